"""Solve every physics-only file in benchmarks/unseen/ with the package's defaults; print a table.

    python benchmarks/unseen.py                      # all files, one after the other
    python benchmarks/unseen.py --only poisson_cube  # some of them
    python benchmarks/unseen.py --json out.json      # also keep the figures

Each file runs as ``sirenpde solve FILE --quiet`` in its own process (so one run's threads or memory
never touch the next), with its wall time measured around the whole command. The error is the
relative L2 error the command reports — at the final time for space-time files, else over the
grid — against the file's exact solution or reference.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

UNSEEN = Path(__file__).resolve().parent / "unseen"
_OVERALL = re.compile(r"relative L2 error of (\w+) against [^:]*: (\S+)")
_FINAL = re.compile(r"relative L2 error of (\w+) at \w+ = [^:]*: (\S+)")


def solve(path: Path, timeout: float) -> dict:
    """One file: its error (final time where there is one), wall time and exit code."""
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "sirenpde", "solve", str(path), "--quiet",
                   "--out", str(Path(folder) / "result.h5")]
        start = time.perf_counter()
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"file": path.name, "error": None, "wall_s": timeout, "status": "timed out"}
        wall = time.perf_counter() - start
    final = _FINAL.findall(done.stdout)
    overall = _OVERALL.findall(done.stdout)
    figures = final or overall
    error = max(float(e) for _, e in figures) if figures else None
    status = "ok" if done.returncode == 0 else f"exit {done.returncode}: {done.stderr.strip()[-200:]}"
    return {"file": path.name, "error": error, "wall_s": wall, "status": status,
            "measured": "final time" if final else "grid"}


def table(rows: list[dict]) -> str:
    lines = ["| file | relative L2 | wall time (s) | note |", "|---|---|---|---|"]
    for r in rows:
        error = "—" if r["error"] is None else f"{r['error']:.2e}"
        final = r.get("measured") == "final time"
        note = r["status"] if r["status"] != "ok" else ("at the final time" if final else "")
        lines.append(f"| `{r['file']}` | {error} | {r['wall_s']:.0f} | {note} |")
    errors = [r["error"] for r in rows if r["error"] is not None]
    if errors:
        lines.append("")
        lines.append(f"median relative L2 {statistics.median(errors):.2e}; "
                     f"{sum(e <= 1e-2 for e in errors)} of {len(rows)} files ≤ 1e-2")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="file names (without .yaml) to run")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per file (default 900)")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = parser.parse_args()
    files = sorted(UNSEEN.glob("*.yaml"))
    if args.only:
        files = [f for f in files if f.stem in set(args.only)]
    rows = []
    for path in files:
        rows.append(solve(path, args.timeout))
        r = rows[-1]
        print(f"{r['file']}: {r['error']} in {r['wall_s']:.0f} s ({r['status']})", file=sys.stderr,
              flush=True)
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
