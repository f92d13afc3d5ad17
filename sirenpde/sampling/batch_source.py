"""Each training step's batches, drawn as every constraint's sampling strategy says.

Constraints holding the same region object with the same point count and the same strategy share
one batch (and so one :class:`~sirenpde.derivatives.fields.Fields`). A group without a strategy, or whose
:class:`~sirenpde.Plain` sampler is the run's own, draws from the run's sampler exactly as
:func:`~sirenpde.sampling.batch.draw_batches` does (a problem without strategies trains bit for bit as
before); other plain samplers (``lhs``, ``sobol``, ``uniform``) are built on the run's generator.
RAD pools (:mod:`sirenpde.sampling.rad`) act on every phase: refreshed every ``every`` Adam steps, and
before every Levenberg–Marquardt step and the L-BFGS batch (an LM step costs far more than scoring
the pool, and changes the network far more than an Adam step). Near-source mixtures
(:mod:`sirenpde.sampling.importance`) act on the Adam steps; LM (a plain sum of squares) and L-BFGS draw
those groups plainly.

The source's :meth:`~BatchSource.state` extends the run sampler's with the other samplers' and the
RAD pools, so checkpoints and rollbacks take them along.
"""

from __future__ import annotations

import torch

from ..constraints.constraint import AbstractConstraint, Constraint
from ..constraints.problem import Problem
from ..domains import SAMPLERS, Sampler, make_sampler
from ..domains.regions import PointSet, Region
from .batch import Batch
from .importance import NearSampler
from .rad import RadPool, Scorer
from .strategies import RAD, NearPoints, Plain, SamplingStrategy

__all__ = ["BatchSource", "check_sampling"]


class _Group:
    """Constraints sharing a region, a point count and a strategy; a RAD group's pool, if any."""

    def __init__(self, region: Region, points: int, strategy: SamplingStrategy | None,
                 members: list[AbstractConstraint], sampler: Sampler):
        self.region, self.points, self.strategy = region, points, strategy
        self.members, self.sampler = members, sampler
        self.pool: RadPool | None = None
        self.near: NearSampler | None = None

    def empty(self) -> Batch:
        """A batch of no points, naming the group's region and constraints."""
        s = self.sampler
        nothing = torch.empty(0, 0, dtype=s.dtype, device=s.device)
        return Batch(self.region, nothing, None, tuple(self.members))

    def plain(self, scale: float) -> Batch:
        x, normals, data = self.region.draw(max(1, round(self.points * scale)), self.sampler)
        return Batch(self.region, x, normals, tuple(self.members), dict(data))

    def rad(self, scale: float, score: Scorer, generator: torch.Generator,
            replacement: bool = True) -> Batch:
        """A fresh pool of ``pool × points·scale`` candidates, scored; then ``points·scale`` drawn from it."""
        s, n = self.strategy, max(1, round(self.points * scale))
        self.pool = RadPool.scored(self.plain(s.pool * scale), score, s.k, s.c, chunk=n)
        return self.pool.draw(n, generator, replacement=replacement)

    def adam(self, step: int, score: Scorer, generator: torch.Generator) -> Batch:
        s = self.strategy
        if isinstance(s, RAD):
            if self.pool is None or step % s.every == 0:
                return self.rad(1.0, score, generator)
            return self.pool.draw(self.points, generator)
        if isinstance(s, NearPoints):
            x, weights = self.near.draw(self.points, self.sampler)
            return Batch(self.region, x, None, tuple(self.members), {}, weights)
        return self.plain(1.0)


class BatchSource:
    """Draws batches for ``problem`` with ``sampler`` (the run's) and the constraints' strategies.

    Args:
        problem: the constraints.
        sampler: the run's sampler (``training.sampler``); other samplers share its generator.

    Raises:
        ValueError: a strategy that cannot apply to its constraint (RAD on a point set, near-source
            sampling off a domain's interior, either on a constraint without a pointwise penalty).
    """

    def __init__(self, problem: Problem, sampler: Sampler):
        self.problem, self.sampler = problem, sampler
        self.generator = sampler.generator
        self.samplers: dict[str, Sampler] = {}   # the plain samplers other than the run's
        index: dict[tuple, _Group] = {}
        for c in problem.constraints:
            strategy = _strategy(c, sampler)
            key = (id(c.region), int(c.points), strategy)
            if key not in index:
                index[key] = _Group(c.region, int(c.points), strategy, [], self._sampler_for(strategy))
            index[key].members.append(c)
        self.groups = list(index.values())
        for group in self.groups:
            for c in group.members:
                check_sampling(c)
            if isinstance(group.strategy, NearPoints):
                group.near = NearSampler(group.strategy, group.region, group.members[0].name)

    def _sampler_for(self, strategy: SamplingStrategy | None) -> Sampler:
        if not isinstance(strategy, Plain):
            return self.sampler
        if strategy.kind not in self.samplers:
            s = self.sampler
            self.samplers[strategy.kind] = make_sampler(strategy.kind, s.generator, s.device, s.dtype)
        return self.samplers[strategy.kind]

    def draw(self, scale: float = 1.0, score: Scorer | None = None) -> list[Batch]:
        """Fresh batches, each constraint's ``points`` times ``scale`` (min 1), for LM and L-BFGS: with
        ``score``, RAD groups from a pool refreshed now, without replacement (a Gauss–Newton step fits
        its batch almost exactly: a repeated point would only shrink it, and did make LM collapse on
        Burgers); near-source groups plainly."""
        return [g.rad(scale, score, self.generator, replacement=False)
                if score is not None and isinstance(g.strategy, RAD) else g.plain(scale) for g in self.groups]

    def draw_adam(self, step: int, score: Scorer) -> list[Batch]:
        """The batches of Adam step ``step`` (0-based): RAD pools refreshed when due, scored by ``score``."""
        return [g.adam(step, score, self.generator) for g in self.groups]

    def state(self) -> dict:
        """The run sampler's state, plus the other samplers' and the RAD pools (for checkpoints)."""
        return {**self.sampler.state(),
                "samplers": {k: s.state() for k, s in self.samplers.items()},
                "pools": [None if g.pool is None else g.pool.state() for g in self.groups]}

    def reseed(self, seed: int) -> None:
        """Start fresh streams from ``seed`` (a resumed job of another size): the generator is
        re-seeded, and Sobol engines and RAD pools are made anew from it when next needed."""
        self.generator.manual_seed(seed)
        for sampler in (self.sampler, *self.samplers.values()):
            sampler.load_state({"generator": self.generator.get_state(), "sobol": {}})
        for group in self.groups:
            group.pool = None

    def load_state(self, state: dict) -> None:
        """Continue from a :meth:`state`."""
        for kind, s in state.get("samplers", {}).items():
            self.samplers[kind].load_state(s)
        self.sampler.load_state(state)   # last: the generator they share stands where the run's did
        for group, pool in zip(self.groups, state.get("pools", [None] * len(self.groups)), strict=True):
            group.pool = None if pool is None else RadPool.from_state(pool, group.empty())


def _strategy(c: AbstractConstraint, sampler: Sampler) -> SamplingStrategy | None:
    """The constraint's strategy; a plain one naming the run's own sampler is no strategy at all."""
    strategy = c.sampling
    if isinstance(strategy, Plain) and type(sampler) is SAMPLERS[strategy.kind]:
        return None
    return strategy


def check_sampling(constraint: AbstractConstraint) -> None:
    """Raise ValueError (one line, with the fix) if the constraint's strategy cannot apply to it:
    RAD on a point set or measurements, near-source sampling off a domain's interior or with centres
    of another dimension, either without a pointwise penalty. For config layers, before training."""
    s, name = constraint.sampling, constraint.name
    if not isinstance(s, (RAD, NearPoints)):
        return
    label = "RAD" if isinstance(s, RAD) else "near-source sampling"
    if not isinstance(constraint, Constraint):
        raise ValueError(f"constraint {name!r}: {label} needs a sirenpde.Constraint (a pointwise penalty);"
                         " drop its sampling")
    region = constraint.region
    if isinstance(s, RAD) and (isinstance(region, PointSet) or region.has_data):
        raise ValueError(f"constraint {name!r}: RAD draws a candidate pool from a continuous region, but"
                         f" {region.describe()} is already a finite set of points; drop its sampling")
    if isinstance(s, NearPoints):
        NearSampler(s, region, name)
