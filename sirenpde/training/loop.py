"""The training loop: sample, loss = Σ w·mean‖C‖, step, record, keep the best.

The loop knows constraints, regions and a model — never a PDE. It sets a run up (sampler, validation
batch, causal parts, state), takes up a checkpoint when resuming, then runs the phases of
:data:`~sirenpde.training.phases.PHASES` in order from the step it stands at: Adam draws fresh points
every step; Levenberg–Marquardt and L-BFGS polish. The iterate with the lowest loss on a fixed
validation batch is the result, so a late spike never becomes the answer. With ``training.until``
(:mod:`sirenpde.training.until`) a phase may end early, and the next starts where it ended.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable

import torch

from ..constraints.problem import Problem
from ..constraints.scales import natural_scales, problem_frequency, scaled
from ..domains import UniformSampler
from ..model.config import ModelConfig, build_model
from ..results.solution import Solution
from ..sampling.batch import draw_batches
from ..sampling.batch_source import BatchSource
from .checkpoint import Checkpointing, read_checkpoint
from .distributed import Distributed, DistributedError, rank_seed
from .errors import Stopped, TrainingError, TrainingInterrupted
from .levenberg_marquardt import check_least_squares
from .marching import march
from .phases import PHASES, run_phases, steps_taken
from .point_pools import with_lift_pools
from .run import Progress, Run
from .settings import TrainConfig, resolve_device

__all__ = ["train", "setup_run", "Progress", "TrainingError", "TrainingInterrupted"]

log = logging.getLogger(__name__)


def train(
    problem: Problem,
    model: torch.nn.Module | None = None,
    config: TrainConfig | None = None,
    *,
    model_config: ModelConfig | None = None,
    callback: Callable[[Progress], None] | None = None,
    checkpointing: Checkpointing | None = None,
    stop: Callable[[], bool] | None = None,
    distributed: Distributed | None = None,
) -> Solution:
    """Fit a network to ``problem`` and return the best iterate as a :class:`Solution`.

    Args:
        problem: the constraints to satisfy.
        model: a network mapping (N, d) → (N, c); by default a SIREN built from ``model_config``.
        config: optimisation settings (steps, learning rate, seed, device …).
        model_config: network settings used when ``model`` is not given.
        callback: called every ``config.log_every`` steps and at the end, with a :class:`Progress`.
        checkpointing: where and when to write checkpoints, and whether to resume from one
            (see :mod:`sirenpde.training.checkpoint`).
        stop: asked after every step; when it returns true, training writes a checkpoint (when
            checkpointing) and raises :class:`TrainingInterrupted` with the best iterate so far.
        distributed: this process's place in a data-parallel job (:mod:`sirenpde.training.distributed`):
            its own samples, gradients averaged by DDP, checkpoints written by rank 0 only.

    Raises:
        TrainingError: the loss stayed NaN or infinite after ``config.max_retries`` rollbacks.
        TrainingInterrupted: ``stop()`` returned true.
        DistributedError: another process of the job failed.
    """
    config = config or TrainConfig()
    if config.windows > 1:
        if model is not None:
            raise ValueError("time marching builds one network per window from model_config; pass no model")
        return march(problem, config, model_config or ModelConfig(), train, callback=callback,
                     checkpointing=checkpointing, stop=stop, distributed=distributed)
    scales = natural_scales(problem, problem_frequency(problem)) if config.scales == "natural" else None
    if scales is not None:
        problem = scaled(problem, scales)
    device = resolve_device(config.device)
    if distributed is not None:
        device = distributed.device(device)
        distributed.start(device)
    dtype = config.torch_dtype()
    if model is None:
        model = build_model(problem, model_config or ModelConfig(), seed=config.seed)
    model = model.to(device=device, dtype=dtype)
    problem = with_lift_pools(problem, config, device, dtype)  # the lift's jets read, not recomputed
    if problem.unknowns is not None:
        problem.unknowns.to(device=device, dtype=dtype)  # in place: the residuals hold its parameters
    run = setup_run(problem, model, config, device, dtype, callback, checkpointing, stop, distributed)
    state = run.new_state(sum(kind.length(config) for kind in PHASES))
    if checkpointing is not None and checkpointing.resume:
        checkpoint = read_checkpoint(checkpointing.path, checkpointing.key)
        if checkpoint is not None:
            run.resume(state, checkpoint)
            log.info("resumed from %s at step %d (%s)", checkpointing.path, state.step, checkpoint["phase"])
    state.start_clock()
    stopped = False
    try:
        with _tf32(config.tf32 and device.type == "cuda"):
            run_phases(state, run)
    except Stopped:
        stopped = True
    except RuntimeError as err:  # e.g. DDP's gradient all-reduce, when a rank has died
        if distributed is None or isinstance(err, DistributedError) or not distributed.failed(err):
            raise
        raise distributed.error(err) from err
    state.restore_best()
    wall, taken = state.wall_time(), steps_taken(state, config)
    # Without until, the configured steps (as ever); with it, those taken, and what ended the run.
    steps = (config.steps, config.lm_steps, config.lbfgs_steps) if config.until is None else (
        taken["adam"], taken["lm"], taken["lbfgs"])
    info = dict(
        steps=steps[0], lm_steps=steps[1], lbfgs_steps=steps[2], seed=config.seed,
        device=str(device), dtype=config.dtype, wall_time=wall, best_step=state.best_step,
        best_validation_loss=state.best_loss, rollbacks=state.rollback.retries,
    )
    if config.until is not None:
        info.update(stopped_by=state.stopped_by)
    if state.lm_ending is not None:
        info.update(lm_ending=state.lm_ending)
    if scales is not None:  # the history's total is Σ (w/s²)·loss: the scales say how to recompute it
        info.update(natural_scales=json.dumps(scales))
    if stopped:
        info.update(complete=False, stopped_at=state.step)
    log.info("trained %d+%d+%d steps in %.1f s; best validation loss %.3e at step %d",
             *steps, wall, state.best_loss, state.best_step)
    solution = Solution(model, problem.axes, problem.fields, domain=problem.domain, exact=problem.exact,
                        kind=problem.kind, history=state.history(taken["adam"]), info=info,
                        complex=problem.complex, unknowns=problem.unknowns)
    if stopped:
        raise TrainingInterrupted(solution)
    return solution


def setup_run(problem: Problem, model: torch.nn.Module, config: TrainConfig, device: torch.device,
              dtype: torch.dtype, callback: Callable[[Progress], None] | None,
              checkpointing: Checkpointing | None, stop: Callable[[], bool] | None,
              distributed: Distributed | None) -> Run:
    """The run's sampler, validation batch and causal parts, checked before any training time is spent."""
    if config.lm.steps > 0:
        check_least_squares(problem, model)
    rank = 0 if distributed is None else distributed.rank
    generator = torch.Generator(device=device).manual_seed(rank_seed(config.seed, rank))
    # Each constraint's points as its sampling strategy says (the run's sampler by default).
    sampler = BatchSource(problem, config.sampling.make(generator, device, dtype))
    # The validation batch has its own generator so that validating never shifts training samples.
    val_generator = torch.Generator(device=device).manual_seed(config.seed + 7919)
    validation = draw_batches(problem, UniformSampler(generator=val_generator, device=device, dtype=dtype),
                              scale=config.sampling.validation_fraction)
    causal = config.causal_settings.parts(problem, config.adam.steps)
    return Run(problem, model, config, sampler=sampler, validation=validation, causal=causal,
               callback=callback, checkpointing=checkpointing, stop=stop, job=distributed)


@contextlib.contextmanager
def _tf32(allowed: bool):
    """TF32 matmuls on CUDA for the duration of training only: the switch is torch's global one,
    so it is restored afterwards (no lasting global state)."""
    previous = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    if allowed:
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = previous

