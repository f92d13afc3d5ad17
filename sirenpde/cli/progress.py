"""Progress while training: a bar on a terminal, plain lines where stderr is kept (a batch job's log),
and the metrics a user asks for in a CSV file or for TensorBoard."""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

__all__ = ["ProgressBar", "LogLines", "MetricsCSV", "TensorBoardLog", "Reporters", "device_line",
           "LOG_SECONDS"]

LOG_SECONDS = 10.0  # the default least interval between two plain lines


class ProgressBar:
    """tqdm on a terminal."""

    def __init__(self, total: int):
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit="step", dynamic_ncols=True)

    def __call__(self, progress) -> None:
        if self.bar.total != progress.total:  # a phase ended early (training.until)
            self.bar.total = progress.total
        self.bar.update(progress.step - self.bar.n)
        self.bar.set_postfix_str(f"loss {progress.loss:.3e} ({_phase(progress)})", refresh=False)

    def close(self) -> None:
        self.bar.close()


def _phase(progress) -> str:
    """The phase, and the time window while a march trains one (``adam, window 2/4``)."""
    return f"{progress.phase}, window {progress.window}" if progress.window else progress.phase


class LogLines:
    """One plain line per report on ``stream``, at most one every ``seconds`` (the reports themselves
    come every ``training.log_every`` steps, so the rarer of the two sets the pace), and always at a
    phase's first report and the run's last step: step, phase, loss, each term's loss, the learning
    rate (LM: its damping), elapsed time and the time left at the running phase's pace."""

    def __init__(self, seconds: float = LOG_SECONDS, stream=None):
        self.seconds, self.stream = seconds, stream or sys.stderr
        self.printed_at = -math.inf
        self.phase: str | None = None
        self.phase_start = (0, 0.0)  # (step, elapsed) where the running phase's reports began

    def __call__(self, progress) -> None:
        new_phase = _phase(progress) != self.phase
        if new_phase:
            self.phase, self.phase_start = _phase(progress), (progress.step, progress.elapsed)
        last = progress.stopped_by is not None
        if not (new_phase or last or progress.elapsed - self.printed_at >= self.seconds):
            return
        self.printed_at = progress.elapsed
        print(self.line(progress), file=self.stream, flush=True)

    def line(self, progress) -> str:
        terms = " ".join(f"{name} {value:.3e}" for name, value in progress.terms.items())
        rate = "damping" if progress.phase == "lm" else "lr"
        left = (f"stopped by {progress.stopped_by}" if progress.stopped_by is not None
                else f"{_duration(self._left(progress))} left")
        return (f"step {progress.step}/{progress.total} {_phase(progress)} loss {progress.loss:.3e}"
                f" [{terms}] {rate} {progress.lr:.2e} {_duration(progress.elapsed)} elapsed, {left}")

    def _left(self, progress) -> float:
        step0, elapsed0 = self.phase_start
        if progress.step <= step0:
            return math.nan
        per_step = (progress.elapsed - elapsed0) / (progress.step - step0)
        return per_step * (progress.total - progress.step)


class MetricsCSV:
    """Every report as a row of ``path``: step, phase, loss, learning rate, elapsed seconds, then
    each term's loss and weight (``loss/<name>``, ``weight/<name>``). Each row is flushed, so the file
    is readable while the run goes on; ``append`` continues a resumed run's file."""

    def __init__(self, path: Path, append: bool = False):
        self.path = path
        self.file = open(path, "a" if append else "w", newline="", encoding="utf-8")  # noqa: SIM115
        self.writer = csv.writer(self.file)
        self.header_written = append and path.stat().st_size > 0

    def __call__(self, progress) -> None:
        names = list(progress.terms)
        if not self.header_written:
            self.writer.writerow(["step", "phase", "loss", "lr", "elapsed"] + [f"loss/{n}" for n in names]
                                 + [f"weight/{n}" for n in names])
            self.header_written = True
        self.writer.writerow([progress.step, progress.phase, repr(progress.loss), repr(progress.lr),
                              f"{progress.elapsed:.3f}"] + [repr(progress.terms[n]) for n in names]
                             + [repr(progress.weights.get(n, math.nan)) for n in names])
        self.file.flush()

    def close(self) -> None:
        self.file.close()


class TensorBoardLog:
    """Every report as TensorBoard scalars (``loss``, ``loss/<name>``, ``weight/<name>``, ``lr``)."""

    def __init__(self, folder: Path):
        from torch.utils.tensorboard import SummaryWriter  # needs the tensorboard package

        self.writer = SummaryWriter(log_dir=str(folder))

    def __call__(self, progress) -> None:
        add = self.writer.add_scalar
        add("loss", progress.loss, progress.step)
        add(f"lr/{progress.phase}", progress.lr, progress.step)
        for name, value in progress.terms.items():
            add(f"loss/{name}", value, progress.step)
            add(f"weight/{name}", progress.weights.get(name, math.nan), progress.step)

    def close(self) -> None:
        self.writer.close()


class Reporters:
    """Several progress callbacks as one."""

    def __init__(self, reporters: list):
        self.reporters = reporters

    def __call__(self, progress) -> None:
        for report in self.reporters:
            report(progress)

    def close(self) -> None:
        for report in self.reporters:
            if hasattr(report, "close"):
                report.close()


def device_line(requested: str) -> str:
    """Where training runs, in one line; ``device: auto`` on the CPU with a CUDA build of torch says why."""
    import torch

    from ..training.settings import resolve_device

    device = resolve_device(requested)
    if device.type == "cuda":
        return f"training on {device} ({torch.cuda.get_device_name(device)})"
    line = f"training on the CPU ({torch.get_num_threads()} threads)"
    if requested == "auto" and torch.version.cuda is not None:
        line += (f"; this torch is built for CUDA {torch.version.cuda} but sees no usable GPU"
                 " (torch.cuda.is_available() is false: no GPU, or a driver older than the build)")
    return line


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    if seconds < 120:
        return f"{seconds:.0f} s"
    minutes, s = divmod(int(round(seconds)), 60)
    return f"{minutes} min {s:02d} s" if minutes < 120 else f"{minutes // 60} h {minutes % 60:02d} min"
