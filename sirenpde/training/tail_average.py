"""The mean of Levenberg–Marquardt's last iterates, kept when it validates better than the last one.

An LM step on M fresh points fits that batch almost exactly, and with fewer rows than weights it
fits it by changing the network between the points as well: every iterate carries its own batch's
error. Once LM has converged that far, consecutive iterates scatter around the solution rather than
move towards it, and their mean — an average over several batches' fits, as if one step had seen
all their points — lies closer to it (Polyak–Ruppert averaging of a stochastic method's tail).
Further back the iterates are still converging, so the mean covers a few steps only.

The run ends its LM phase on the mean only when the mean's loss on the fixed validation batch is
lower than the last iterate's: a run still converging at its end, whose mean lags behind its last
iterate, keeps the last one.
"""

from __future__ import annotations

from collections import deque

import torch

__all__ = ["TailAverage", "TAIL_LENGTH"]

TAIL_LENGTH = 5
"""How many of the last iterates the mean covers."""


class TailAverage:
    """The last ``length`` values of named tensors (updated in place elsewhere), and their mean.

    Args:
        tensors: name → tensor, e.g. the trained parameters; :meth:`add` copies their current values.
        length: how many of the latest values are kept.
    """

    def __init__(self, tensors: dict[str, torch.Tensor], length: int = TAIL_LENGTH):
        self.tensors = tensors
        self.values: deque[dict[str, torch.Tensor]] = deque(maxlen=length)

    def add(self) -> None:
        """Keep the tensors' current values (dropping the oldest kept, if ``length`` are kept)."""
        self.values.append(self.current())

    def mean(self) -> dict[str, torch.Tensor]:
        """name → the mean of the kept values."""
        return {n: torch.stack([v[n] for v in self.values]).mean(0) for n in self.tensors}

    def current(self) -> dict[str, torch.Tensor]:
        """name → a copy of the tensors' current values."""
        return {n: t.detach().clone() for n, t in self.tensors.items()}

    def assign(self, values: dict[str, torch.Tensor]) -> None:
        """Write ``values`` into the tensors."""
        with torch.no_grad():
            for n, t in self.tensors.items():
                t.copy_(values[n])

    def state_dict(self) -> list[dict[str, torch.Tensor]]:
        """The kept values, oldest first (for checkpoints: a resumed run averages the same ones)."""
        return [{n: t.cpu() for n, t in v.items()} for v in self.values]

    def load_state_dict(self, values: list[dict[str, torch.Tensor]]) -> None:
        self.values.clear()
        for v in values:
            self.values.append({n: v[n].to(t) for n, t in self.tensors.items()})
