"""Samplers: the one source of randomness for every domain.

A domain never calls ``torch.rand`` itself; it asks a :class:`Sampler` for points in the unit cube
``[0, 1)^k`` and maps them onto its region. Choosing plain Monte-Carlo or a low-discrepancy sequence
is therefore a choice of sampler, made once per run.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import torch

__all__ = ["Sampler", "UniformSampler", "SobolSampler", "LatinHypercubeSampler", "make_sampler", "SAMPLERS"]


def _check_device(generator: torch.Generator, device: torch.device, name: str) -> None:
    if not isinstance(generator, torch.Generator):
        raise TypeError(
            f"{name}: generator must be a torch.Generator, got {type(generator).__name__}; "
            "create one with torch.Generator(device=...).manual_seed(seed)"
        )
    if name != "SobolSampler" and generator.device.type != device.type:
        raise ValueError(
            f"{name}: generator lives on '{generator.device}' but points are requested on "
            f"'{device}'; create the generator with torch.Generator(device='{device}')"
        )


def _check_shape(n: int, k: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"Sampler.unit: n must be an int >= 0, got {n!r}")
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"Sampler.unit: k must be an int >= 1, got {k!r}")


class Sampler(ABC):
    """Source of points in the unit cube ``[0, 1)^k``; fresh points every call.

    Attributes:
        device: where the returned points live.
        dtype: floating dtype of the returned points.
    """

    generator: torch.Generator
    device: torch.device
    dtype: torch.dtype

    @abstractmethod
    def unit(self, n: int, k: int) -> torch.Tensor:
        """Draw ``n`` fresh points of the unit cube ``[0, 1)^k``.

        Args:
            n: number of points (``>= 0``).
            k: dimension of the cube (``>= 1``).

        Returns:
            Tensor of shape ``(n, k)`` on ``self.device`` with ``self.dtype``.
        """

    def state(self) -> dict:
        """Where the random stream stands, as tensors and numbers (for checkpoints)."""
        return {"generator": self.generator.get_state()}

    def load_state(self, state: dict) -> None:
        """Continue the random stream from a :meth:`state`."""
        self.generator.set_state(state["generator"])


@dataclass(frozen=True)
class UniformSampler(Sampler):
    """I.i.d. uniform points from ``torch.rand`` driven by an explicit generator.

    Args:
        generator: the run's random stream; must live on the same device type as ``device``.
        device: where the points are created.
        dtype: floating dtype of the points.
    """

    generator: torch.Generator
    device: torch.device
    dtype: torch.dtype = torch.float32

    def __post_init__(self) -> None:
        object.__setattr__(self, "device", torch.device(self.device))
        _check_device(self.generator, self.device, "UniformSampler")

    def unit(self, n: int, k: int) -> torch.Tensor:
        _check_shape(n, k)
        return torch.rand(n, k, generator=self.generator, device=self.device, dtype=self.dtype)


@dataclass(frozen=True)
class SobolSampler(Sampler):
    """Scrambled Sobol points (``torch.quasirandom.SobolEngine``), moved to ``device``.

    One engine per dimension ``k`` is created on first use, seeded from ``generator`` so a run is
    reproducible, and kept: each call continues the sequence, so successive calls give fresh
    points. Sobol engines run on the CPU; the points are copied to ``device`` afterwards.

    Args:
        generator: the run's random stream (any device); only used to seed the engines.
        device: where the points are returned.
        dtype: floating dtype of the points.
    """

    generator: torch.Generator
    device: torch.device
    dtype: torch.dtype = torch.float32
    _engines: dict[int, torch.quasirandom.SobolEngine] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "device", torch.device(self.device))
        _check_device(self.generator, self.device, "SobolSampler")

    def _engine(self, k: int) -> torch.quasirandom.SobolEngine:
        if k not in self._engines:
            g = self.generator
            seed = int(torch.randint(0, 2**31 - 1, (1,), generator=g, device=g.device))
            self._engines[k] = torch.quasirandom.SobolEngine(k, scramble=True, seed=seed)
        return self._engines[k]

    def state(self) -> dict:
        # An engine is its seed and how far it has drawn: rebuilt and fast-forwarded on load.
        engines = {str(k): [e.seed, e.num_generated] for k, e in self._engines.items()}
        return {"generator": self.generator.get_state(), "sobol": engines}

    def load_state(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
        self._engines.clear()
        for k, (seed, drawn) in state["sobol"].items():
            engine = torch.quasirandom.SobolEngine(int(k), scramble=True, seed=seed)
            self._engines[int(k)] = engine.fast_forward(drawn)

    def unit(self, n: int, k: int) -> torch.Tensor:
        _check_shape(n, k)
        u = self._engine(k).draw(n, dtype=torch.float64)
        u = u.to(device=self.device, dtype=self.dtype)
        # Rounding to a narrower dtype can turn 0.99999999 into exactly 1.0; keep [0, 1).
        below_one = torch.nextafter(
            torch.ones((), dtype=self.dtype, device=self.device),
            torch.zeros((), dtype=self.dtype, device=self.device),
        )
        return torch.minimum(u, below_one)


@dataclass(frozen=True)
class LatinHypercubeSampler(Sampler):
    """Latin hypercube points: each call's ``n`` points are stratified in every dimension.

    Dimension ``j`` of point ``i`` is ``u_ij = (π_j(i) + ξ_ij) / n`` with ``π_j`` a uniformly random
    permutation of ``0 … n−1`` and ``ξ_ij ~ U[0, 1)`` (jitter), all from ``generator``: each of the
    ``n`` equal slices of every axis holds exactly one point, and each point is still uniform on
    the cube. Every call is an independent design, so the stream's state is the generator's alone.

    Args:
        generator: the run's random stream; must live on the same device type as ``device``.
        device: where the points are created.
        dtype: floating dtype of the points.
    """

    generator: torch.Generator
    device: torch.device
    dtype: torch.dtype = torch.float32

    def __post_init__(self) -> None:
        object.__setattr__(self, "device", torch.device(self.device))
        _check_device(self.generator, self.device, "LatinHypercubeSampler")

    def unit(self, n: int, k: int) -> torch.Tensor:
        _check_shape(n, k)
        g = self.generator
        # One random permutation per dimension: argsort of uniform keys is a uniform permutation.
        keys = torch.rand(k, n, generator=g, device=self.device, dtype=torch.float64)
        strata = keys.argsort(dim=1).T.to(torch.float64)
        jitter = torch.rand(n, k, generator=g, device=self.device, dtype=torch.float64)
        u = ((strata + jitter) / max(n, 1)).to(self.dtype)
        # Rounding to a narrower dtype can turn 0.99999999 into exactly 1.0; keep [0, 1).
        below_one = torch.nextafter(torch.ones((), dtype=self.dtype, device=self.device),
                                    torch.zeros((), dtype=self.dtype, device=self.device))
        return torch.minimum(u, below_one)


SAMPLERS: dict[str, type[Sampler]] = {
    "uniform": UniformSampler, "sobol": SobolSampler, "lhs": LatinHypercubeSampler,
}


def make_sampler(
    kind: str,
    generator: torch.Generator,
    device: torch.device | str,
    dtype: torch.dtype = torch.float32,
) -> Sampler:
    """Build a sampler by name.

    Args:
        kind: one of ``"uniform"``, ``"sobol"``, ``"lhs"`` (Latin hypercube).
        generator: the run's random stream.
        device: where points are created.
        dtype: floating dtype of the points.

    Returns:
        A fresh :class:`Sampler`.

    Raises:
        ValueError: ``kind`` is not a known sampler.
    """
    try:
        cls = SAMPLERS[kind]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown sampler {kind!r}; expected one of {', '.join(sorted(SAMPLERS))}"
        ) from None
    return cls(generator=generator, device=device, dtype=dtype)
