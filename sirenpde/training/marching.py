"""Time marching: a space-time problem trained window by window, joined exactly.

The interval [t_0, t_K] is split into K equal windows. Window k is the problem on space × [t_k,
t_{k+1}] — its interior and lateral boundary terms moved there, its initial terms gone — with the
ansatz of :mod:`sirenpde.model.marched`: u_k = g_k + τ·h_k + B_k·N_k, (g_k, h_k) the previous window's
u and u_t at t_k, so nothing the network does can break the join. Where the data leave most of the
space at rest, the window is posed on its reach (:mod:`sirenpde.training.reach`): its points, its
network's input box and B_k's cutoff, which also cuts the network off beyond the window's light
cone (:mod:`sirenpde.model.cone_cutoff`), where every point is drawn, and holds u = 0 exactly on
the box's walls where the data allow (:mod:`sirenpde.training.walls`); with an overlap, it is
trained past t_{k+1} (it still hands over there), and with ``window_front`` its network is also
given the wave front as an input (:mod:`sirenpde.model.front`). Each window is an ordinary run
(:func:`~sirenpde.train`, the whole schedule), its network started from the previous window's —
the same function of space, its first layer fitted to the new box
(:func:`~sirenpde.training.window_network.rebox`): a field one window later looks more like the
field now than like a random one, and only rescaling the inputs would start from
that field stretched.

The windows' networks, frozen once trained, make a :class:`~sirenpde.model.marched.MarchedModel`,
evaluated piecewise in time and stored with every window. Checkpoints resume inside a window: each
finished window is kept beside the checkpoint, the running one's checkpoint under its own key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import torch

from ..constraints.marchable import marching_obstacle
from ..constraints.problem import Problem
from ..domains import SpaceTime, UniformSampler
from ..domains.clipped import Clipped
from ..domains.regions import Boundary, Interior, Region
from ..model.ansatz import AnsatzFactory
from ..model.cone_cutoff import ConeCut
from ..model.config import ModelConfig
from ..model.marched import MarchedModel, WindowLift, WindowModel, earlier_windows, next_table, start_table
from ..model.walls import Walls
from ..model.window_frame import Frame
from ..results.atomic import atomic_path
from ..results.solution import Solution
from .checkpoint import WINDOW_SUFFIX, Checkpointing, remove_checkpoints
from .errors import TrainingInterrupted
from .point_pools import WindowPoints, draw_places
from .reach import (
    Reach,
    cone_cut,
    cut_cone,
    front_of,
    light_cone,
    reaches,
    support,
    support_parts,
    window_places,
    window_region,
)
from .run import Progress
from .settings import TrainConfig, resolve_device
from .walls import zero_walls
from .window_network import window_model

__all__ = ["march", "in_window", "window_edges"]


def window_edges(t0: float, t1: float, count: int) -> list[float]:
    """t_0 < … < t_K: ``count`` equal windows, the ends exactly t0 and t1."""
    return [t0 + (t1 - t0) * k / count for k in range(count)] + [float(t1)]


def trained_ends(edges: list[float], overlap: float) -> list[float]:
    """Where each window's training ends: ``overlap`` of a window past its edge, at most the end."""
    return [min(edges[-1], b + overlap * (b - a)) for a, b in zip(edges, edges[1:], strict=False)]


def check_marchable(problem: Problem) -> None:
    """Raise ValueError unless ``problem`` can be marched (:func:`marching_obstacle`)."""
    obstacle = marching_obstacle(problem)
    if obstacle is not None:
        raise ValueError(obstacle)


def marched_regions(problem: Problem) -> dict[int, Region]:
    """The problem's regions by id, each checked to be the space-time interior or a lateral
    boundary part: the terms a march moves to every window."""
    whole, regions = problem.domain, {}
    for c in problem.constraints:
        region = c.region
        lateral = isinstance(region, Boundary) and region.part not in ("initial", "final")
        if not (isinstance(region, (Interior, Boundary)) and region.domain is whole and
                (isinstance(region, Interior) or lateral)):
            raise ValueError(f"time marching moves the terms in the space-time domain and on its lateral"
                             f" boundary to each window; {c.name!r} holds {region.describe()}")
        regions[id(region)] = region
    return regions


def in_window(problem: Problem, t0: float, t1: float, ansatz: AnsatzFactory,
              moved: Mapping[int, Region | None] | None = None, space=None) -> Problem:
    """``problem`` on ``space`` (the problem's, or a part of it) × [t0, t1] with ``ansatz``: every
    interior and lateral boundary term moved to the window (terms that shared points still share
    them) — to ``moved[id(region)]`` when given, dropped where that is ``None`` — and no initial or
    final term."""
    whole: SpaceTime = problem.domain
    window = SpaceTime(whole.space if space is None else space, t0, t1)
    regions = marched_regions(problem)
    if moved is None:
        moved = {key: Interior(window) if isinstance(region, Interior) else Boundary(window, region.part)
                 for key, region in regions.items()}
    constraints = [dataclasses.replace(c, region=moved[id(c.region)]) for c in problem.constraints
                   if moved[id(c.region)] is not None]
    return dataclasses.replace(problem, domain=window, constraints=tuple(constraints), ansatz=ansatz)


def march(problem: Problem, config: TrainConfig, model_config: ModelConfig, train: Callable[..., Solution], *,
          callback: Callable[[Progress], None] | None = None, checkpointing: Checkpointing | None = None,
          stop: Callable[[], bool] | None = None, distributed=None) -> Solution:
    """Train ``problem`` in ``config.windows`` windows (see the module docstring), each an ordinary
    run of ``train`` (:func:`~sirenpde.train`, which calls this when ``config.windows`` > 1, with
    its own arguments)."""
    check_marchable(problem)
    if distributed is not None:
        raise ValueError("time marching in a torchrun job is not supported; run it in one process")
    count, initial = config.windows, problem.ansatz.part
    edges = window_edges(problem.domain.t0, problem.domain.t1, count)
    ends = trained_ends(edges, config.window_overlap)
    single = dataclasses.replace(config, windows=1)
    device, dtype = resolve_device(config.device), config.torch_dtype()
    regions = marched_regions(problem)
    places = draw_places(problem, regions, config, device, dtype, salt=104_729)
    found = support(problem, places, initial)
    reach = reaches(problem, found, [edges[0], *ends])
    found_parts = support_parts(problem, found, initial) if reach[0] is not None else None
    front = front_of(problem, found_parts) if config.window_front and found_parts is not None else None
    walls, held = (None, frozenset()) if found_parts is None else zero_walls(problem, places, initial,
                                                                             found_parts.width)
    sampler = UniformSampler(generator=torch.Generator(device=device).manual_seed(config.seed + 104_731),
                             device=device, dtype=dtype)
    # Each region's places, their start tables and the reach they were drawn in, for the next window.
    state = {key: None if reach[0] is not None else (pool, start_table(initial, pool.x), None)
             for key, pool in places.items()}
    networks: list[torch.nn.Module] = []
    frames: list[Frame] = []
    histories, infos = [], []
    for k in range(count):
        drawn = {key: window_places(window_region(region, reach[k], edges[k], ends[k]),
                                    len(places[key].x), sampler, initial, state[key], reach[k])
                 for key, region in regions.items() if key not in held}
        cut = None if found_parts is None else cone_cut(problem, found_parts, ends[k] - edges[0])
        frames.append(_frame(edges[k], edges[k + 1], reach[k], drawn.values(), initial.velocity is not None,
                             cut, walls))
        cones = _cones(problem, drawn, found, cut, ends[k]) if reach[k] is not None or cut is not None else {}
        lift = WindowLift(earlier_windows(networks, edges, initial, frames), k)
        window = _window_problem(problem, edges[k], ends[k], reach[k], drawn | dict.fromkeys(held), cones,
                                 cut is not None, lift)
        finished = _finished_path(checkpointing, k)
        model = window_model(window, networks, model_config, config.seed, front)
        if finished is not None and finished.exists():  # trained before an interruption
            model.network.load_state_dict(torch.load(finished, weights_only=True))
            solution = None
        else:
            try:
                solution = train(window, model, dataclasses.replace(single, seed=config.seed + k),
                                 callback=_in_window(callback, k, count, single,
                                                     sum(i["wall_time"] for i in infos)),
                                 checkpointing=_window_checkpointing(checkpointing, k), stop=stop)
            except TrainingInterrupted as stopped:  # the windows so far, the last one as it stood
                part = stopped.solution
                marched = MarchedModel([*networks, part.model.network], edges[: k + 2], initial, frames)
                info = _merged([*infos, part.info], edges[: k + 2])
                info["stopped_at"] = k * _steps(single) + part.info["stopped_at"]
                raise TrainingInterrupted(Solution(
                    marched, problem.axes, problem.fields, exact=problem.exact, kind=problem.kind,
                    domain=SpaceTime(problem.domain.space, edges[0], edges[k + 1]),
                    history=_joined([*histories, part.history]), info=info)) from None
            model = solution.model
            if finished is not None:
                with atomic_path(finished) as tmp:
                    torch.save(model.network.state_dict(), tmp)
                remove_checkpoints(_window_checkpointing(checkpointing, k).path)
        network = model.network.requires_grad_(False)
        networks.append(network)
        if k + 1 < count:
            windows = earlier_windows(networks, edges, initial, frames)
            state |= {key: (pool, next_table(table, windows, k, pool.x) if len(pool.x) else table, reach[k])
                      for key, (pool, table) in drawn.items()}
        if solution is not None:
            histories.append(solution.history)
            infos.append(solution.info)
    marched = MarchedModel(networks, edges, initial, frames)
    info = _merged(infos, edges)
    return Solution(marched, problem.axes, problem.fields, domain=problem.domain, exact=problem.exact,
                    kind=problem.kind, history=_joined(histories), info=info, complex=problem.complex)


def _window_problem(problem: Problem, t0: float, t1: float, reach: Reach | None, drawn: Mapping,
                    cones: Mapping, only_cones: bool, lift: WindowLift) -> Problem:
    """The problem on the window's reach × [t0, t1], its terms drawing from the ``drawn`` places
    (a term whose region has none, or ``None``, is left out), partly from their ``cones`` (only
    from them with ``only_cones``: the network acts nowhere else), with the window's ``lift``."""
    share = 1.0 if only_cones else None
    points = {key: None if pair is None or not len(pair[0].x) else
              WindowPoints(pair[0], t0, t1, pair[1], cones.get(key), share) for key, pair in drawn.items()}
    space = None if reach is None else Clipped(problem.domain.space, reach.lo, reach.hi)
    return in_window(problem, t0, t1, AnsatzFactory(WindowModel, lift), points, space)


def _cones(problem: Problem, drawn: Mapping, found, cut: ConeCut | None, end: float) -> dict:
    """Each region's places the wave can reach by ``end``: where the ``cut`` lets the network act,
    else within c·(end − t_0) of the support ``found``."""
    if cut is not None:
        return {key: cut_cone(pool.x, cut) for key, (pool, _) in drawn.items()}
    return {key: light_cone(pool.x, found, float(problem.speed), end - problem.domain.t0)
            for key, (pool, _) in drawn.items()}


def _frame(t0: float, t1: float, reach: Reach | None, drawn, second_order: bool,
           cut: ConeCut | None, walls: Walls | None) -> Frame:
    """The window's frame: cut to its reach and the light cone (``cut``), zero on those of ``walls``
    its reach meets, scaled to the largest |g| + Δ·|h| its places start from (plain τ^p where they
    start from nothing)."""
    step, order = t1 - t0, 2 if second_order else 1
    size = 0.0
    for _, table in drawn:
        if len(table):
            values = table[:, :, 0].abs()
            size = max(size, float((values[:, 0] + step * values[:, 1:].sum(dim=1)).max()))
    scale = size if size > 0 and np.isfinite(size) else step**order
    if reach is None:
        return Frame(t0, step, scale, cone=cut, walls=walls)
    walls = None if walls is None else walls.met(reach.cut_lo, reach.cut_hi)
    return Frame(t0, step, scale, reach.lo, reach.hi, reach.band, reach.cut_lo, reach.cut_hi, cut, walls)


def _in_window(callback, k: int, count: int, config: TrainConfig, before: float):
    """Progress of window k as part of the whole march: steps and seconds (``before``: the earlier
    windows') counted over all windows; only the last window's last report ends the run."""
    if callback is None:
        return None
    per_window = _steps(config)

    def report(progress: Progress) -> None:
        last = k == count - 1
        callback(dataclasses.replace(
            progress, step=k * per_window + progress.step, window=f"{k + 1}/{count}",
            total=per_window * (count - 1) + progress.total if last else per_window * count,
            elapsed=before + progress.elapsed, stopped_by=progress.stopped_by if last else None))
    return report


def _steps(config: TrainConfig) -> int:
    """A window's steps, all phases."""
    return config.adam_steps + config.lm_steps + config.lbfgs_steps


def _window_checkpointing(checkpointing: Checkpointing | None, k: int) -> Checkpointing | None:
    """Window k's checkpoints: beside the run's, under the window's own key."""
    if checkpointing is None:
        return None
    path = Path(checkpointing.path)
    return dataclasses.replace(checkpointing, path=path.with_name(f"{path.name}{WINDOW_SUFFIX}{k}"),
                               key=f"{checkpointing.key}/window {k}")


def _finished_path(checkpointing: Checkpointing | None, k: int) -> Path | None:
    """Where window k's trained network is kept once it is done (beside the checkpoint)."""
    if checkpointing is None:
        return None
    path = Path(checkpointing.path)
    return path.with_name(f"{path.name}{WINDOW_SUFFIX}{k}.done")


def _joined(histories: list[dict]) -> dict:
    """The windows' loss histories one after the other (keys every window has)."""
    if not histories:
        return {}
    keys = set.intersection(*(set(h) for h in histories))
    return {key: np.concatenate([np.asarray(h[key]) for h in histories]) for key in sorted(keys)}


def _merged(infos: list[dict], edges: list[float]) -> dict:
    """One run's info for the march: the first window's settings, times and steps summed."""
    info = dict(infos[0]) if infos else {}
    for key in ("wall_time", "steps", "lm_steps", "lbfgs_steps"):
        if infos and all(key in i for i in infos):
            info[key] = sum(i[key] for i in infos)
    info.update(windows=len(edges) - 1, window_times=[float(i.get("wall_time", np.nan)) for i in infos])
    if any("lm_ending" in i for i in infos):
        endings = (f"window {k + 1}: {i.get('lm_ending', 'no LM')}" for k, i in enumerate(infos))
        info["lm_ending"] = "; ".join(endings)
    return info
