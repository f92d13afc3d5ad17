"""The command line: ``sirenpde solve | check | plot | export | eval | examples | schema``: arguments,
dispatch, exit codes.

Exit codes: 0 success, 2 bad input (one line on stderr, no traceback), 1 a failure while running.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .._version import __version__
from . import examples as _examples
from . import schema as _schema
from .export import add_parsers as _add_export_parsers
from .export import evaluate as _eval
from .export import export as _export
from .solve import EXIT_BAD_INPUT, EXIT_OK, solve

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own usage errors: one line, exit 2
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="sirenpde", description="Solve PDEs with SIRENs from a YAML problem file.")
    p.add_argument("--version", action="version", version=f"sirenpde {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    solve = sub.add_parser("solve", help="train on a problem file and write the result to HDF5")
    solve.add_argument("file", help="the problem file (YAML)")
    solve.add_argument("--steps", type=int, help="Adam steps (overrides training.steps)")
    solve.add_argument("--device", help="auto, cpu, cuda or cuda:N (overrides training.device)")
    solve.add_argument("--seed", type=int, help="random seed (overrides training.seed)")
    solve.add_argument("--out", help="result file (overrides output.path)")
    solve.add_argument("--quiet", action="store_true", help="no progress bar or lines, only the summary")
    solve.add_argument("--log", metavar="FILE.csv",
                       help="write every progress report (each term's loss and weight) to a CSV file")
    solve.add_argument("--tensorboard", metavar="DIR",
                       help="write the same metrics for TensorBoard (needs the tensorboard package)")
    solve.add_argument("--log-seconds", type=float, metavar="S",
                       help="where stderr is not a terminal: at most one progress line every S seconds"
                            " (default 10)")
    solve.add_argument("--resume", action="store_true",
                       help="continue from the newest checkpoint of this run (<result>.ckpt), if any")
    solve.add_argument("--force", action="store_true", help="overwrite an existing result file")
    solve.add_argument("--nproc", type=int, metavar="N",
                       help="train with N processes on this machine (torchrun; docs/scaling.md)")
    check = sub.add_parser("check", help="validate a problem file without training")
    check.add_argument("file", help="the problem file (YAML)")
    plot = sub.add_parser("plot", help="draw the fields, errors and loss curves of a result")
    plot.add_argument("result", help="a result file written by `sirenpde solve`")
    plot.add_argument("--out", help="folder for the PNG files (default: next to the result)")
    plot.add_argument("--times", type=float, nargs="+", metavar="T",
                      help="space-time results: snapshot times (default: five, evenly spaced)")
    plot.add_argument("--animation", choices=("gif", "mp4", "none"), default="gif",
                      help="space-time results: animation format (default: gif)")
    _add_export_parsers(sub)
    _examples.add_parser(sub)
    _schema.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as done:  # --help, --version and usage errors: a code, not an exception
        return done.code if isinstance(done.code, int) else EXIT_BAD_INPUT
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from ..config import ConfigError  # torch is imported here, after --help/--version

    try:
        verbs = {"solve": solve, "check": _check, "plot": _plot, "export": _export, "eval": _eval,
                 "examples": _examples.examples, "schema": _schema.schema}
        return verbs[args.command](args)
    except ConfigError as err:
        for line in err.lines():
            print(f"error: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _check(args) -> int:
    from ..config import load_problem_file

    spec = load_problem_file(args.file)
    names = ", ".join(c.name for c in spec.problem.constraints)
    print(f"{args.file}: ok ({spec.problem.kind}, axes {', '.join(spec.problem.axes)}; constraints: {names})")
    for line in spec.picked:
        print(f"  chosen {line}")
    return EXIT_OK


def _plot(args) -> int:
    from ..results.plotting import plot_result

    result = Path(args.result)
    if not result.is_file():
        print(f"error: {result}: file not found", file=sys.stderr)
        return EXIT_BAD_INPUT
    folder = Path(args.out) if args.out else result.parent
    folder.mkdir(parents=True, exist_ok=True)
    try:
        written = plot_result(result, folder, args.times, args.animation)
    except (OSError, ValueError, KeyError) as err:
        print(f"error: {result}: {_first_line(err)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for path in written:
        print(f"wrote {path}")
    return EXIT_OK


def _first_line(err: BaseException) -> str:
    return " ".join(str(err).split())


if __name__ == "__main__":
    sys.exit(main())
