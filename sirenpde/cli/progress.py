"""Progress on the terminal while training."""

from __future__ import annotations

import sys

__all__ = ["ProgressBar"]


class ProgressBar:
    """tqdm on a terminal; silent when quiet or when stderr is not a TTY."""

    def __init__(self, total: int, enabled: bool):
        self.bar = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="step", dynamic_ncols=True)

    def __call__(self, progress) -> None:
        if self.bar is not None:
            if self.bar.total != progress.total:  # a phase ended early (training.until)
                self.bar.total = progress.total
            self.bar.update(progress.step - self.bar.n)
            self.bar.set_postfix_str(f"loss {progress.loss:.3e} ({progress.phase})", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
