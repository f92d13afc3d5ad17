"""Time marching: a space-time problem trained window by window, joined exactly.

The interval [t_0, t_K] is split into K equal windows. Window k is the problem on space × [t_k,
t_{k+1}] — its interior and lateral boundary terms moved there, its initial terms gone — with the
ansatz of :mod:`sirenpde.model.marched`: u_k = g_k + τ·h_k + τ²·N_k, (g_k, h_k) the previous window's
u and u_t at t_k, so nothing the network does can break the join. Each window is an ordinary run
(:func:`~sirenpde.train`, the whole schedule), its network started from the previous window's (a
field one window later looks more like the field now than like a random one). A long, steep
evolution that one network over the whole interval cannot fit becomes K short ones.

The windows' networks, frozen once trained, make a :class:`~sirenpde.model.marched.MarchedModel`:
the solution evaluates piecewise in time and is stored with every window. Checkpoints resume inside
a window: each finished window is kept beside the checkpoint, and the running window's checkpoint
is the ordinary one, under the window's own key.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import torch

from ..constraints.marchable import marching_obstacle
from ..constraints.problem import Problem
from ..domains import SpaceTime
from ..domains.regions import Boundary, Interior, Region
from ..model.ansatz import AnsatzFactory
from ..model.config import ModelConfig, build_model
from ..model.marched import MarchedModel, WindowLift, WindowModel, earlier_windows, next_table, start_table
from ..results.atomic import atomic_path
from ..results.solution import Solution
from .checkpoint import WINDOW_SUFFIX, Checkpointing, remove_checkpoints
from .errors import TrainingInterrupted
from .point_pools import WindowPoints, draw_places
from .run import Progress
from .settings import TrainConfig, resolve_device

__all__ = ["march", "in_window", "window_edges"]


def window_edges(t0: float, t1: float, count: int) -> list[float]:
    """t_0 < … < t_K: ``count`` equal windows, the ends exactly t0 and t1."""
    return [t0 + (t1 - t0) * k / count for k in range(count)] + [float(t1)]


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
              moved: Mapping[int, Region] | None = None) -> Problem:
    """``problem`` on space × [t0, t1] with ``ansatz``: every interior and lateral boundary term moved
    to the window (terms that shared points still share them) — to ``moved[id(region)]`` when
    given — and no initial or final term."""
    whole: SpaceTime = problem.domain
    window = SpaceTime(whole.space, t0, t1)
    regions = marched_regions(problem)
    if moved is None:
        moved = {key: Interior(window) if isinstance(region, Interior) else Boundary(window, region.part)
                 for key, region in regions.items()}
    constraints = [dataclasses.replace(c, region=moved[id(c.region)]) for c in problem.constraints]
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
    single = dataclasses.replace(config, windows=1)
    places = draw_places(problem, marched_regions(problem), config, resolve_device(config.device),
                         config.torch_dtype(), salt=104_729)
    tables = {key: start_table(initial, pool.x) for key, pool in places.items()}
    networks: list[torch.nn.Module] = []
    histories, infos = [], []
    for k in range(count):
        lift = WindowLift(earlier_windows(networks, edges, initial), k)
        points = {key: WindowPoints(pool, edges[k], edges[k + 1], tables[key])
                  for key, pool in places.items()}
        window = in_window(problem, edges[k], edges[k + 1], AnsatzFactory(WindowModel, lift), points)
        finished = _finished_path(checkpointing, k)
        model = _model(window, networks, model_config, config.seed)
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
                marched = MarchedModel([*networks, part.model.network], edges[: k + 2], initial)
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
            tables = {key: next_table(tables[key], network, edges[k], edges[k + 1], pool.x)
                      for key, pool in places.items()}
        if solution is not None:
            histories.append(solution.history)
            infos.append(solution.info)
    marched = MarchedModel(networks, edges, initial)
    info = _merged(infos, edges)
    return Solution(marched, problem.axes, problem.fields, domain=problem.domain, exact=problem.exact,
                    kind=problem.kind, history=_joined(histories), info=info, complex=problem.complex)


def _model(window: Problem, networks: list[torch.nn.Module], config: ModelConfig,
           seed: int) -> torch.nn.Module:
    """The first window's model as configured; a later one's network the previous window's. Either
    way its input box (the SIREN's ``lo``/``hi``) is :func:`light_cone_box` of the window."""
    if networks:
        network = window.ansatz(copy.deepcopy(networks[-1]).requires_grad_(True))
    else:
        network = build_model(window, config, seed=seed)
    lo, hi = light_cone_box(window)
    with torch.no_grad():
        network.network.lo.copy_(torch.as_tensor(lo)), network.network.hi.copy_(torch.as_tensor(hi))
    return network


def light_cone_box(window: Problem) -> tuple[torch.Tensor, torch.Tensor]:
    """The box a window's network maps to [−1, 1]: the domain's in space; in time, centred on the
    window and as long as the space's widest side takes the fastest wave to cross, so that the light
    cone is at 45° in the network's inputs and one first-layer frequency suits space and time
    alike (the window itself, mapped to [−1, 1], would turn every spatial frequency into one
    (width / c) / (t_{k+1} − t_k) times higher in time). Without a speed, the window's own box."""
    lo, hi = (torch.as_tensor(b, dtype=torch.float64).clone() for b in window.domain.bounds())
    if window.speed is None:
        return lo, hi
    middle, half = (lo[-1] + hi[-1]) / 2, float((hi[:-1] - lo[:-1]).max()) / 2 / window.speed
    lo[-1], hi[-1] = middle - half, middle + half
    return lo, hi


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
    return info
