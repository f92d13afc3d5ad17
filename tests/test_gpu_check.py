"""benchmarks/gpu_check.py: its dry run on the CPU runs every part's code, and the GPU recipes load.

The check itself runs once on a lent GPU; this keeps it from rotting in between: a changed CLI summary,
option or API breaks the dry run here first.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sirenpde.cli import main

ROOT = Path(__file__).resolve().parents[1]
RECIPES = [ROOT / "problems" / "helmholtz_gpu.yaml", ROOT / "problems" / "wave_gpu.yaml"]
PARTS = ("environment", "cuda_tests", "helmholtz", "nproc", "step_timing", "helmholtz_gpu", "wave_gpu")


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_the_gpu_recipes_pass_check(path: Path, capsys):
    assert main(["check", str(path)]) == 0
    assert "ok" in capsys.readouterr().out


def test_the_dry_run_runs_every_part(tmp_path: Path):
    script = ROOT / "benchmarks" / "gpu_check.py"
    done = subprocess.run([sys.executable, str(script), str(tmp_path), "--dry-run"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    log = (tmp_path / "gpu_check.log").read_text() if (tmp_path / "gpu_check.log").exists() else ""
    assert done.returncode == 0, done.stderr + log[-3000:]
    parts = json.loads((tmp_path / "gpu_check.json").read_text())["parts"]
    assert set(parts) == set(PARTS)
    for name, part in parts.items():
        # Without CUDA the CUDA tests are only collected; every other part must have run.
        passed = part["status"] == "ok" or part["status"] == "skipped: no CUDA (collected)"
        assert passed, f"{name}: {part['status']}\n{log[-3000:]}"
    assert parts["environment"]["sirenpde_from"] == str(ROOT / "sirenpde" / "__init__.py")
    assert len(parts["cuda_tests"]["tests"]) >= 2  # the skipif(not torch.cuda.is_available()) tests
    # What the summary parser read from `sirenpde solve`: it breaks here when the CLI's lines change.
    for name in ("helmholtz", "nproc", "helmholtz_gpu"):
        assert parts[name]["against"].startswith("the hankel reference")
        assert parts[name]["relative_l2"]["u"] > 0 and parts[name]["training_s"] > 0
    assert parts["wave_gpu"]["relative_l2_at_last_time"]["u"]["t"] == pytest.approx(0.4)
    assert parts["helmholtz_gpu"]["stopped_by"] == "steps"  # until: {time, steps} reached the file
    for recipe in ("helmholtz_gpu", "wave_gpu"):
        assert parts["step_timing"][recipe]["variants"]["forward eager float32"]["ms_per_step"] > 0


def test_the_step_profile_runs_on_the_cpu():
    script = ROOT / "benchmarks" / "step_profile.py"
    done = subprocess.run([sys.executable, str(script), "--files", "helmholtz"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    head = [line for line in done.stdout.splitlines() if line.startswith("== ")]
    assert len(head) == 1 and "ms per Adam step" in head[0] and "4100 points" in head[0], done.stdout[-2000:]
    assert "aten::mm" in done.stdout  # the profiler's table
