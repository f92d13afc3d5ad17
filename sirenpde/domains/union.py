"""Union: the region covered by any of several pieces."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from . import _composite as cmp
from .base import AbstractDomain, check_count, sample_mixture
from .sampling import Sampler

__all__ = ["Union"]


@dataclass(frozen=True)
class Union(AbstractDomain):
    """The union of ``parts``.

    Boundary parts are each piece's parts prefixed by the piece's name: ``"part0"`` for a piece
    with the single part ``"boundary"``, else ``"part0.x_min"``, ``"part1.edge2"``, … . Each part
    is only where that boundary still bounds the union: covered boundary and a face where two
    pieces touch are left out, and an outer face that two pieces share belongs to the first of
    them only (so a listed part may be empty). Normals are the pieces' outward normals.

    Interior points are drawn from the pieces in proportion to their volumes and a point of piece
    ``k`` is kept only if no earlier piece contains it, which is exactly uniform on the union.
    ``volume`` and ``boundary_measure`` are Monte-Carlo estimates (``2**16`` scrambled Sobol
    points from a fixed seed: deterministic, about 1e-3 relative accuracy).

    Args:
        parts: two or more regions of the same dimension.
        names: one name per piece (default ``"part0"``, ``"part1"``, …).
    """

    parts: tuple[AbstractDomain, ...]
    names: tuple[str, ...] | None = None
    _table: dict[str, tuple[int, str]] = field(init=False, repr=False, compare=False)
    _volumes: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _measures: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pieces = tuple(self.parts)
        if len(pieces) < 1:
            raise ValueError("Union: give at least one piece")
        for i, piece in enumerate(pieces):
            if not isinstance(piece, AbstractDomain):
                raise TypeError(f"Union: piece {i} is {type(piece).__name__}, not a domain")
        dims = [p.dim for p in pieces]
        if len(set(dims)) != 1:
            raise ValueError(f"Union: all pieces need the same dimension, got {dims}")
        names = tuple(f"part{i}" for i in range(len(pieces))) if self.names is None else self.names
        names = tuple(names)
        if len(names) != len(pieces) or len(set(names)) != len(names):
            raise ValueError(f"Union: need {len(pieces)} distinct piece names, got {list(names)}")
        table: dict[str, tuple[int, str]] = {}
        for i, (name, piece) in enumerate(zip(names, pieces, strict=True)):
            table.update(cmp.part_table(name, piece, i))
        object.__setattr__(self, "parts", pieces)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "_table", table)
        # Computed once: they weight the proposals of every draw.
        object.__setattr__(self, "_volumes", tuple(p.volume() for p in pieces))
        object.__setattr__(self, "_measures", tuple(p.boundary_measure() for p in pieces))

    @property
    def dim(self) -> int:
        return self.parts[0].dim

    def _signs_earlier(self) -> tuple[list[float], list[tuple[AbstractDomain, ...]]]:
        """Outward normals stay; boundary shared by two pieces is drawn from the first only."""
        return [1.0] * len(self.parts), [self.parts[:k] for k in range(len(self.parts))]

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        boxes = [p.bounds() for p in self.parts]
        return np.min([lo for lo, _ in boxes], axis=0), np.max([hi for _, hi in boxes], axis=0)

    def contains(self, x: torch.Tensor) -> torch.Tensor:
        return ~cmp.outside(self.parts, x)

    def _interior_draws(self) -> list[cmp.Draw]:
        """One draw per piece, keeping points that no earlier piece contains."""

        def piece_draw(k: int) -> cmp.Draw:
            def draw(m: int, sampler: Sampler) -> tuple[torch.Tensor, ...]:
                x = self.parts[k].sample_interior(m, sampler)
                return cmp.outside(self.parts[:k], x), x

            return draw

        return [piece_draw(k) for k in range(len(self.parts))]

    def sample_interior(self, n: int, sampler: Sampler) -> torch.Tensor:
        check_count(n, "Union.sample_interior")
        draws = self._interior_draws()

        def draw(m: int, s: Sampler) -> tuple[torch.Tensor, ...]:
            return sample_mixture(m, s, self._volumes, lambda k, mk: draws[k](mk, s))

        return cmp.collect(n, sampler, draw, "Union.sample_interior")[0]

    def boundary_parts(self) -> tuple[str, ...]:
        return tuple(self._table)

    def _sources(self, part: str | None) -> list[tuple[int, str | None]]:
        if part is None:
            return [(k, None) for k in range(len(self.parts))]
        prefixes = {name: i for i, name in enumerate(self.names)}
        return [cmp.resolve_part(self, part, self._table, prefixes, self.parts)]

    def sample_boundary(
        self, n: int, sampler: Sampler, part: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        check_count(n, "Union.sample_boundary")
        sources = self._sources(part)
        weights = self._measures if part is None else [1.0]
        draw = cmp.boundary_draw(self, self.parts, sources, weights, *self._signs_earlier())
        x, normal = cmp.collect(n, sampler, draw, f"Union.sample_boundary(part={part!r})")
        return x, normal

    def boundary_measure(self, part: str | None = None) -> float:
        """Monte-Carlo estimate (see the class docstring)."""
        sources = self._sources(part)
        return cmp.boundary_measure(self, self.parts, sources, *self._signs_earlier())

    def volume(self) -> float:
        """Monte-Carlo estimate (see the class docstring)."""
        return cmp.estimate_measure(list(self._volumes), self._interior_draws())
