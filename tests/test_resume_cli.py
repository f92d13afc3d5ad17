"""A real `sirenpde solve` killed with SIGKILL mid-training, resumed: the same result as one never
killed, and no half-written file in between."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

import sirenpde as sp

PROBLEM = """\
problem: poisson
domain: {box: {lo: [0, 0], hi: [1, 1]}}
pde: {source: 2*pi**2*sin(pi*x)*sin(pi*y), points: 256}
boundary:
  - {type: dirichlet, on: boundary, value: 0, points: 64, weight: 10}
exact: sin(pi*x)*sin(pi*y)
model: {layers: [16, 16], w0_initial: 3}
training: {steps: 600, lbfgs_steps: 5, lbfgs_inner: 5, validate_every: 50}
output: {resolution: 21, checkpoint_every: 25}
"""


def solve(*args: str, cwd) -> subprocess.Popen:
    # One thread: the same order of floating-point sums in every process whatever else the machine
    # runs (with two threads on a loaded machine a resumed and a straight run once differed in the
    # last bits).
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "sirenpde", "solve", *args, "--quiet"], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def weights(path) -> np.ndarray:
    model = sp.load(path).model
    return np.concatenate([p.detach().numpy().reshape(-1) for p in model.parameters()])


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_killed_run_resumes_to_the_same_result(tmp_path):
    (tmp_path / "p.yaml").write_text(PROBLEM)
    straight = solve("p.yaml", "--out", "straight.h5", cwd=tmp_path)
    assert straight.wait(timeout=300) == 0, straight.stderr.read()

    killed = solve("p.yaml", "--out", "r.h5", cwd=tmp_path)
    checkpoint = tmp_path / "r.h5.ckpt"
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert killed.poll() is None, "the run ended before a checkpoint was written: make it longer"
    time.sleep(0.3)  # a few more steps, maybe another checkpoint
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=60)
    # Nothing half-written: no result, the checkpoint (and its predecessor) readable; at most a
    # hidden temporary file from a write cut short, which the next run removes.
    visible = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert "r.h5" not in visible and "r.h5.ckpt" in visible
    assert set(visible) <= {"p.yaml", "straight.h5", "straight.xdmf", "r.h5.ckpt", "r.h5.ckpt.prev"}

    afresh = solve("p.yaml", "--out", "r.h5", cwd=tmp_path)   # would lose the interrupted run
    assert afresh.wait(timeout=300) == 2 and "pass --resume to continue it" in afresh.stderr.read()
    resumed = solve("p.yaml", "--out", "r.h5", "--resume", cwd=tmp_path)
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    assert np.array_equal(weights(tmp_path / "r.h5"), weights(tmp_path / "straight.h5"))
    with h5py.File(tmp_path / "r.h5") as f, h5py.File(tmp_path / "straight.h5") as g:
        assert np.array_equal(f["history/loss"][()], g["history/loss"][()])
    assert not checkpoint.exists() and not any(p.name.startswith(".") for p in tmp_path.iterdir())


def test_an_existing_result_is_not_overwritten_without_force(tmp_path, capsys):
    from sirenpde.cli import main

    (tmp_path / "p.yaml").write_text(PROBLEM.replace("steps: 600", "steps: 3"))
    out = tmp_path / "r.h5"
    out.write_bytes(b"precious")
    assert main(["solve", str(tmp_path / "p.yaml"), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "exists; pass --force" in err and len(err.strip().splitlines()) == 1
    assert out.read_bytes() == b"precious"
    assert main(["solve", str(tmp_path / "p.yaml"), "--out", str(out), "--quiet", "--force"]) == 0
    assert out.read_bytes() != b"precious"


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc, a folder nobody can write to")
def test_an_unwritable_folder_is_refused_before_training(tmp_path, capsys):
    from sirenpde.cli import main

    (tmp_path / "p.yaml").write_text(PROBLEM)
    start = time.perf_counter()
    assert main(["solve", str(tmp_path / "p.yaml"), "--out", "/proc/self/r.h5", "--quiet"]) == 2
    assert "cannot write to the output folder '/proc/self'" in capsys.readouterr().err
    assert time.perf_counter() - start < 1.0   # refused before any training


def started(process: subprocess.Popen, checkpoint) -> None:
    """Wait until training runs (its first checkpoint exists)."""
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before a checkpoint was written: make it longer"


@pytest.mark.skipif(os.name != "posix", reason="signals")
@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_saves_a_checkpoint_and_a_partial_result_then_resume_finishes(tmp_path, signum, code):
    (tmp_path / "p.yaml").write_text(PROBLEM)
    run = solve("p.yaml", "--out", "r.h5", cwd=tmp_path)
    started(run, tmp_path / "r.h5.ckpt")
    run.send_signal(signum)
    assert run.wait(timeout=60) == code
    err = run.stderr.read()
    assert "Traceback" not in err and "sirenpde solve p.yaml --resume" in err
    with h5py.File(tmp_path / "r.h5") as f:
        assert not f.attrs["complete"] and 0 < f.attrs["stopped_at"] < 600
    if signum == signal.SIGINT:   # resumed, it ends where an uninterrupted run ends
        assert solve("p.yaml", "--out", "r.h5", "--resume", cwd=tmp_path).wait(timeout=300) == 0
        assert solve("p.yaml", "--out", "straight.h5", cwd=tmp_path).wait(timeout=300) == 0
        assert np.array_equal(weights(tmp_path / "r.h5"), weights(tmp_path / "straight.h5"))
        with h5py.File(tmp_path / "r.h5") as f:
            assert f.attrs["complete"]


def test_force_starts_afresh_and_drops_an_interrupted_run(tmp_path, capsys):
    from sirenpde.cli import main
    from sirenpde.training.checkpoint import write_checkpoint

    (tmp_path / "p.yaml").write_text(PROBLEM.replace("steps: 600", "steps: 3"))
    out = tmp_path / "r.h5"
    write_checkpoint(tmp_path / "r.h5.ckpt", {"key": "an older run", "step": 1})
    assert main(["solve", str(tmp_path / "p.yaml"), "--out", str(out), "--quiet"]) == 2
    assert "holds an interrupted run; pass --resume" in capsys.readouterr().err
    assert main(["solve", str(tmp_path / "p.yaml"), "--out", str(out), "--quiet", "--force"]) == 0
    assert out.exists() and not (tmp_path / "r.h5.ckpt").exists()
