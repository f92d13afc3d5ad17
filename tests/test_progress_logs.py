"""Progress a batch job keeps: plain lines where stderr is not a terminal, ``--log metrics.csv``, each
term's loss in the Python callback, and the device line."""

from __future__ import annotations

import csv
import dataclasses
import io

import pytest
import torch
from test_cli import TINY, _run, _write

import sirenpde as sp
from sirenpde.cli import main
from sirenpde.cli.progress import LogLines, MetricsCSV, device_line
from sirenpde.training.run import Progress

# The Dirichlet condition kept in the loss, so that the lines carry two terms.
SOFT = TINY.replace("value: 0, points: 32}", "value: 0, points: 32, exact: false}")
NAMES = ["pde", "dirichlet:boundary"]


def _progress(step: int, elapsed: float, phase: str = "adam", stopped_by=None, total: int = 100) -> Progress:
    return Progress(step, total, 0.5 / step, phase, stopped_by, terms={"pde": 1.0 / step, "edge": 2.0 / step},
                    weights={"pde": 1.0, "edge": 10.0}, lr=1e-3, elapsed=elapsed)


def test_lines_come_at_the_rarer_of_steps_and_seconds():
    stream = io.StringIO()
    log = LogLines(seconds=5.0, stream=stream)
    for step in range(10, 101, 10):  # a report every 10 steps, 2 s apart
        log(_progress(step, elapsed=0.2 * step, stopped_by="steps" if step == 100 else None))
    lines = stream.getvalue().splitlines()
    # the phase's first report (step 10, 2 s), then every 5 s or more: 8 s, 14 s, then the last step
    assert [line.split()[1] for line in lines] == ["10/100", "40/100", "70/100", "100/100"]
    assert "pde 2.500e-02 edge 5.000e-02" in lines[1] and "lr 1.00e-03" in lines[1]
    assert lines[1].endswith("8 s elapsed, 12 s left")  # 0.2 s a step, 60 steps to go
    assert lines[-1].endswith("stopped by steps")


def test_a_new_phase_is_always_announced_with_its_rate_named():
    stream = io.StringIO()
    log = LogLines(seconds=1e9, stream=stream)
    log(_progress(10, 1.0))
    log(_progress(20, 2.0))
    log(_progress(30, 3.0, phase="lm"))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and " lm loss " in lines[1] and "damping 1.00e-03" in lines[1]


def test_metrics_csv_has_every_term_and_weight_and_appends(tmp_path):
    path = tmp_path / "m.csv"
    log = MetricsCSV(path)
    log(_progress(10, 1.0))
    log.close()
    log = MetricsCSV(path, append=True)  # a resumed run continues the file
    log(_progress(20, 2.0))
    log.close()
    rows = list(csv.DictReader(path.open()))
    assert [r["step"] for r in rows] == ["10", "20"]
    assert float(rows[1]["loss/edge"]) == 0.1 and float(rows[1]["weight/edge"]) == 10.0


def test_the_callback_carries_each_terms_loss_and_weight():
    spec = sp.load_problem_text(SOFT)
    seen: list[Progress] = []
    training = dataclasses.replace(spec.training, steps=4, log_every=2)
    sp.train(spec.problem, sp.build_model(spec.problem, spec.model), training, callback=seen.append)
    assert [p.step for p in seen] == [2, 4]
    last = seen[-1]
    assert list(last.terms) == NAMES and list(last.weights) == NAMES
    total = sum(last.weights[n] * last.terms[n] for n in NAMES)
    assert total == pytest.approx(last.loss, rel=1e-5)
    assert last.lr > 0 and last.elapsed > 0 and last.stopped_by == "steps"


def test_solve_to_a_file_leaves_progress_lines_and_the_csv(tmp_path):
    path = _write(tmp_path, SOFT)
    out, metrics = tmp_path / "r.h5", tmp_path / "metrics.csv"
    code, _, stderr = _run(["solve", str(path), "--out", str(out), "--steps", "20", "--log", str(metrics),
                            "--log-seconds", "0"])
    assert code == 0, stderr
    lines = stderr.splitlines()
    assert lines[0].startswith("training on the CPU")
    steps = [line for line in lines if line.startswith("step ")]
    assert len(steps) == 2 and all(f"{n} " in line for n in NAMES for line in steps)  # log_every 10
    rows = list(csv.DictReader(metrics.open()))
    assert [r["step"] for r in rows] == ["10", "20"]
    assert {f"loss/{n}" for n in NAMES} | {f"weight/{n}" for n in NAMES} <= set(rows[0])


@pytest.mark.parametrize("log, words", [("m.txt", "expected a .csv file"), ("no/such/m.csv", "no folder"),
                                        ("old.csv", "the file exists")])
def test_a_log_that_cannot_be_written_is_refused_before_training(tmp_path, log, words):
    path = _write(tmp_path, SOFT)
    (tmp_path / "old.csv").write_text("kept\n")
    code, stdout, stderr = _run(["solve", str(path), "--out", str(tmp_path / "r.h5"),
                                 "--log", str(tmp_path / log)])
    assert code == 2 and stdout == "" and len(stderr.splitlines()) == 1 and words in stderr
    assert not (tmp_path / "r.h5").exists() and (tmp_path / "old.csv").read_text() == "kept\n"


def test_quiet_prints_only_the_summary(tmp_path):
    path = _write(tmp_path, SOFT)
    code, _, stderr = _run(["solve", str(path), "--out", str(tmp_path / "r.h5"), "--steps", "10", "--quiet"])
    assert code == 0 and stderr == ""


def test_device_line_says_why_auto_is_on_the_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.version, "cuda", "12.4")
    line = device_line("auto")
    assert line.startswith("training on the CPU") and "CUDA 12.4" in line and "no usable GPU" in line
    monkeypatch.setattr(torch.version, "cuda", None)
    assert "CUDA" not in device_line("auto") and "CUDA" not in device_line("cpu")


def test_help_lists_the_log_options(capsys):
    assert main(["solve", "--help"]) == 0
    text = capsys.readouterr().out
    assert "--log FILE.csv" in text and "--tensorboard DIR" in text and "--log-seconds S" in text
