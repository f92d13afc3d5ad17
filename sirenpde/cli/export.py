"""``sirenpde export`` and ``sirenpde eval``: a stored result re-evaluated on a grid of any resolution
or at given points. Parsing, printing and exit codes only; the work is in ``results.export``."""

from __future__ import annotations

import sys
from pathlib import Path

from .solve import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK

__all__ = ["add_parsers", "export", "evaluate"]

_FORMATS = ("vtk", "xdmf", "csv")


def add_parsers(sub) -> None:
    """Add the ``export`` and ``eval`` verbs to the sub-command parsers ``sub``."""
    export = sub.add_parser("export", help="evaluate a result on a grid of any resolution and write"
                            " it as VTK, HDF5 + XDMF or CSV")
    export.add_argument("result", help="a result file written by `sirenpde solve`")
    export.add_argument("--format", required=True, choices=_FORMATS,
                        help="vtk (.vtr), xdmf (.h5 + .xdmf, for ParaView/VisIt) or csv")
    export.add_argument("--resolution", type=int, nargs="+", metavar="N",
                        help="grid points per axis: one count, or one per axis (default: the result's"
                        " stored grid)")
    export.add_argument("--out", help="file to write (default: <result>_export.vtr/.h5/.csv beside it)")
    evaluate = sub.add_parser("eval", help="evaluate a result at the points of a CSV or .npy file")
    evaluate.add_argument("result", help="a result file written by `sirenpde solve`")
    evaluate.add_argument("points", help="a CSV file whose header names the axes, or an (N, d) .npy")
    evaluate.add_argument("--out", help="CSV file to write (default: print to standard output)")


class _BadInput(Exception):
    """A one-line reason to exit with code 2."""


def export(args) -> int:
    """``sirenpde export RESULT --format F [--resolution N …] [--out PATH]``."""
    from ..results.export import FORMATS, ExportError, export_grid, stored_shape

    result = Path(args.result)
    out = Path(args.out) if args.out else result.with_name(f"{result.stem}_export{FORMATS[args.format]}")
    try:
        solution = _load(result)
        resolution = _resolution(args.resolution, solution.axes) or stored_shape(result)
        _check_out(out, result, args.format)
        written = export_grid(solution, out, args.format, resolution)
    except (_BadInput, ExportError) as err:
        return _bad(err)
    except OSError as err:  # the disk, not the input: nothing half-written is left
        return _bad(f"{out}: cannot write: {_one_line(err)}", EXIT_FAILED)
    for path in written:
        print(f"wrote {path}")
    return EXIT_OK


def evaluate(args) -> int:
    """``sirenpde eval RESULT POINTS [--out values.csv]``."""
    from ..results.export import ExportError, read_points, values_csv, write_text

    result, out = Path(args.result), Path(args.out) if args.out else None
    try:
        solution = _load(result)
        if out is not None:
            _check_out(out, result, "csv")
        text = values_csv(solution, read_points(args.points, solution.axes))
    except (_BadInput, ExportError) as err:
        return _bad(err)
    if out is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        write_text(out, text)
    except OSError as err:
        return _bad(f"{out}: cannot write: {_one_line(err)}", EXIT_FAILED)
    print(f"wrote {out}")
    return EXIT_OK


def _resolution(counts: list[int] | None, axes: tuple[str, ...]):
    if counts is None:
        return None
    found = " ".join(map(str, counts))
    if len(counts) not in (1, len(axes)):
        raise _BadInput(f"--resolution: expected one count or {len(axes)} (axes {', '.join(axes)});"
                        f" found {found}")
    if min(counts) < 2:
        raise _BadInput(f"--resolution: expected counts of at least 2; found {found}")
    return counts[0] if len(counts) == 1 else counts


def _load(result: Path):
    from ..results.hdf5 import load

    if not result.is_file():
        raise _BadInput(f"{result}: file not found; expected a result file written by `sirenpde solve`")
    try:
        return load(result)
    except (OSError, ValueError, KeyError) as err:
        message = _one_line(err)
        raise _BadInput(message if message.startswith(str(result)) else f"{result}: {message}") from None


def _check_out(out: Path, result: Path, fmt: str) -> None:
    from ..results.xdmf import xdmf_path

    if not out.parent.is_dir():
        raise _BadInput(f"{out}: the output folder does not exist; create it or pass another --out")
    targets = [out, xdmf_path(out)] if fmt == "xdmf" else [out]
    if any(t.exists() and t.resolve() == result.resolve() for t in targets):
        raise _BadInput(f"{out}: would overwrite the result {result}; pass another --out")


def _bad(err: BaseException | str, code: int = EXIT_BAD_INPUT) -> int:
    print(f"error: {_one_line(err)}", file=sys.stderr)
    return code


def _one_line(err: BaseException | str) -> str:
    return " ".join(str(err).split())
