"""Data-parallel training: a 2-process Gloo job on the CPU, as torchrun or `solve --nproc` starts it.

Each job runs real processes (`python -m sirenpde solve …`), so these tests take a few seconds each.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import pytest

from sirenpde.training.distributed import Distributed, _reason, from_environment, rank_seed

# Poisson on the unit square; each rank draws `points` per step (the 2-process job: half of the
# 1-process run's, so that both see the same points per step in all).
PROBLEM = """\
problem: poisson
domain: {{box: {{lo: [0, 0], hi: [1, 1]}}}}
pde: {{source: 2*pi**2*sin(pi*x)*sin(pi*y), points: {pde}}}
boundary:
  - {{type: dirichlet, on: boundary, value: 0, points: {wall}, weight: 100}}
exact: sin(pi*x)*sin(pi*y)
model: {{layers: [24, 24], w0_initial: 3}}
training: {{steps: {steps}, lr: 1.0e-2, device: cpu, validate_every: 50, scales: none}}
output: {{resolution: 33, checkpoint_every: 40}}
"""


def write(folder: Path, name: str, pde: int = 400, wall: int = 160, steps: int = 600) -> Path:
    path = folder / name
    path.write_text(PROBLEM.format(pde=pde, wall=wall, steps=steps), encoding="utf-8")
    return path


def solve(*args: str, cwd: Path, threads: int = 1, wait: bool = True):
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONWARNINGS": "ignore"}
    command = [sys.executable, "-m", "sirenpde", "solve", *args, "--quiet"]
    if not wait:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def error_of(result: Path) -> float:
    with h5py.File(result) as f:
        return float(f.attrs["relative_l2_u"])


def workers(launcher: subprocess.Popen) -> dict[int, int]:
    """The launcher's worker processes, rank → pid (from the RANK each was started with)."""
    found = {}
    for child in Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children").read_text().split():
        try:
            environ = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        for entry in environ:
            if entry.startswith(b"RANK="):
                found[int(entry[5:])] = int(child)
    return found


def test_two_processes_reach_the_accuracy_of_one_with_the_same_points_per_step(tmp_path):
    one = solve(str(write(tmp_path, "one.yaml", pde=800, wall=320)), cwd=tmp_path, threads=2)
    two = solve(str(write(tmp_path, "two.yaml")), "--nproc", "2", cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    assert two.returncode == 0, two.stderr
    # Exactly one result (rank 0's), and nothing else left behind: no checkpoint, no temp file.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "one.h5", "one.xdmf", "one.yaml", "two.h5", "two.xdmf", "two.yaml"]
    assert two.stdout.count("wrote two.h5") == 1
    e1, e2 = error_of(tmp_path / "one.h5"), error_of(tmp_path / "two.h5")
    assert e1 < 4e-2 and e2 < 4e-2, (e1, e2)  # measured 1.9e-2 (one process, seed 0)
    assert 1 / 3 < e2 / e1 < 3, (e1, e2)  # the same band: different samples, same statistics


def test_killing_one_rank_stops_the_job_and_it_resumes_from_the_last_checkpoint(tmp_path):
    path = write(tmp_path, "p.yaml", steps=800)
    launcher = solve(str(path), "--nproc", "2", cwd=tmp_path, wait=False)
    checkpoint = tmp_path / "p.h5.ckpt"
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert checkpoint.exists(), launcher.communicate()[1]
    ranks = workers(launcher)
    assert sorted(ranks) == [0, 1]
    os.kill(ranks[1], signal.SIGKILL)
    _, stderr = launcher.communicate(timeout=120)
    assert launcher.returncode == 1
    assert "Traceback" not in stderr
    assert "rank 1 of the 2-process job was killed (SIGKILL)" in stderr, stderr
    assert f"sirenpde solve {path} --resume --nproc 2" in stderr, stderr
    assert not (tmp_path / "p.h5").exists() and checkpoint.exists()
    resumed = solve(str(path), "--nproc", "2", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert (tmp_path / "p.h5").exists() and not checkpoint.exists()
    with h5py.File(tmp_path / "p.h5") as f:
        assert len(f["history/loss"]) == 800 and bool(f.attrs["complete"])


def test_a_checkpoint_resumes_in_a_job_of_another_size(tmp_path):
    path = write(tmp_path, "p.yaml")
    run = solve(str(path), cwd=tmp_path, wait=False)
    checkpoint = tmp_path / "p.h5.ckpt"
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    run.send_signal(signal.SIGKILL)
    run.communicate()
    assert checkpoint.exists() and not (tmp_path / "p.h5").exists()
    resumed = solve(str(path), "--nproc", "2", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "written by 1 process(es), this job has 2" in resumed.stderr
    assert error_of(tmp_path / "p.h5") < 4e-2


def test_nproc_must_be_positive(tmp_path):
    result = solve(str(write(tmp_path, "p.yaml")), "--nproc", "0", cwd=tmp_path)
    assert result.returncode == 2
    expected = "error: bad command-line option --nproc 0: expected a number of processes ≥ 1"
    assert result.stderr.strip() == expected


def test_a_bad_output_is_refused_before_any_worker_starts(tmp_path):
    path = write(tmp_path, "p.yaml")
    (tmp_path / "p.h5").write_text("an earlier result")
    result = solve(str(path), "--nproc", "2", cwd=tmp_path)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "exists" in result.stderr and (tmp_path / "p.h5").read_text() == "an earlier result"


def test_rank_seeds_keep_rank_zero_and_separate_the_others():
    assert rank_seed(7, 0) == 7
    seeds = {rank_seed(7, r) for r in range(64)}
    assert len(seeds) == 64 and all(0 <= s < 2**63 for s in seeds)


def test_the_job_comes_from_torchrun_variables(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert from_environment() is None
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert from_environment() is None
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("LOCAL_RANK", "1")
    job = from_environment()
    assert job == Distributed(3, 4, 1) and not job.main
    import torch

    assert job.device(torch.device("cuda")) == torch.device("cuda", 1)
    assert job.device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.parametrize("text, gist", [
    ("[/x/gloo/transport/tcp/pair.cc:537] Read error [127.0.0.1]:37774: Connection reset by peer. This is"
     " typically caused by", "Read error [127.0.0.1]:37774: Connection reset by peer"),
    ("", "RuntimeError"),
])
def test_backend_errors_are_cut_to_their_gist(text, gist):
    assert _reason(RuntimeError(text)) == gist


def test_ctrl_c_stops_every_rank_after_its_step_with_a_checkpoint(tmp_path):
    path = write(tmp_path, "p.yaml", steps=3000)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    job = subprocess.Popen([sys.executable, "-m", "sirenpde", "solve", str(path), "--nproc", "2", "--quiet"],
                           cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           start_new_session=True)
    checkpoint = tmp_path / "p.h5.ckpt"
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(job.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: launcher and workers alike
    _, stderr = job.communicate(timeout=120)
    assert job.returncode == 130, stderr
    assert "Traceback" not in stderr and stderr.count("SIGINT: stopping after this step") == 1, stderr
    assert f"sirenpde solve {path} --nproc 2 --resume" in stderr, stderr
    with h5py.File(tmp_path / "p.h5") as f:
        assert not bool(f.attrs["complete"])
    assert checkpoint.exists()


def test_a_job_names_the_killed_rank_even_when_its_peer_failed_first_by_the_agents_clock(capsys):
    from types import SimpleNamespace

    from sirenpde.cli.launch import _exit_code

    # Rank 0 lost its peer and exited with an error; the agent timed that before rank 1's SIGKILL.
    failures = {0: SimpleNamespace(exitcode=1, timestamp=100), 1: SimpleNamespace(exitcode=-9, timestamp=101)}
    err = SimpleNamespace(failures=failures, get_first_failure=lambda: (0, failures[0]))
    assert _exit_code(err, 2, "p.yaml") == 1
    assert "rank 1 of the 2-process job was killed (SIGKILL)" in capsys.readouterr().err
    plain = {0: SimpleNamespace(exitcode=3, timestamp=100), 1: SimpleNamespace(exitcode=1, timestamp=101)}
    err = SimpleNamespace(failures=plain, get_first_failure=lambda: (0, plain[0]))
    assert _exit_code(err, 2, "p.yaml") == 3 and capsys.readouterr().err == ""
