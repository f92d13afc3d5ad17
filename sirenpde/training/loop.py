"""The training loop: sample, loss = Σ w·mean‖C‖, step, record, keep the best.

The loop knows constraints, regions and a model — never a PDE. Each Adam step draws fresh points
from every region; an optional L-BFGS phase then polishes on a fixed batch (L-BFGS needs the same
objective from one line-search evaluation to the next). The iterate with the lowest loss on a fixed
validation batch is the result, so a late spike never becomes the answer.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..constraints.problem import Problem
from ..derivatives.forward import compilable_jets
from ..domains import SpaceTime, make_sampler
from ..model.config import ModelConfig, build_model
from ..results.solution import Solution
from ..sampling.batch import Batch, draw_batches
from ..sampling.batch_source import BatchSource
from .balancing import make_balancer
from .causal import CausalWeights, TimeWindow, is_causal_target
from .checkpoint import Checkpointing, read_checkpoint, write_checkpoint
from .distributed import Distributed, DistributedError, objective, rank_seed
from .levenberg_marquardt import LevenbergMarquardt, check_least_squares
from .loss import evaluate_losses, evaluate_terms, pool_scorer
from .rollback import DivergenceError, Rollback
from .settings import TrainConfig, resolve_device

__all__ = ["train", "Progress", "TrainingError", "TrainingInterrupted"]

log = logging.getLogger(__name__)


class TrainingError(RuntimeError):
    """Training cannot go on (e.g. the loss stayed NaN or infinite after every rollback)."""


class TrainingInterrupted(Exception):
    """Training stopped early because ``stop()`` said so; ``solution`` is the best iterate so far,
    with ``info["complete"] = False`` (a checkpoint was written first, when checkpointing)."""

    def __init__(self, solution: Solution):
        super().__init__(f"training interrupted at step {solution.info['stopped_at']}")
        self.solution = solution


class _Stop(Exception):
    """Raised inside the loop when ``stop()`` returns true."""


@dataclass(frozen=True)
class Progress:
    """What a progress callback is told: the step (1-based), the total, the loss and the phase."""

    step: int
    total: int
    loss: float
    phase: str


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
            (see :mod:`sirenpde.checkpoint`).
        stop: asked after every step; when it returns true, training writes a checkpoint (when
            checkpointing) and raises :class:`TrainingInterrupted` with the best iterate so far.
        distributed: this process's place in a data-parallel job (:mod:`sirenpde.distributed`):
            its own samples, gradients averaged by DDP, checkpoints written by rank 0 only.

    Raises:
        TrainingError: the loss stayed NaN or infinite after ``config.max_retries`` rollbacks.
        TrainingInterrupted: ``stop()`` returned true.
        DistributedError: another process of the job failed.
    """
    config = config or TrainConfig()
    device = resolve_device(config.device)
    if distributed is not None:
        device = distributed.device(device)
        distributed.start(device)
    dtype = config.torch_dtype()
    if model is None:
        model = build_model(problem, model_config or ModelConfig(), seed=config.seed)
    model = model.to(device=device, dtype=dtype)
    if problem.unknowns is not None:
        problem.unknowns.to(device=device, dtype=dtype)  # in place: the residuals hold its parameters
    if config.lm_steps > 0:
        check_least_squares(problem, model)  # before any training time is spent
    rank = 0 if distributed is None else distributed.rank
    generator = torch.Generator(device=device).manual_seed(rank_seed(config.seed, rank))
    # Each constraint's points as its sampling strategy says (the run's sampler by default).
    sampler = BatchSource(problem, make_sampler(config.sampler, generator, device, dtype))
    # The validation batch has its own generator so that validating never shifts training samples.
    val_generator = torch.Generator(device=device).manual_seed(config.seed + 7919)
    validation = draw_batches(problem, make_sampler("uniform", val_generator, device, dtype),
                              scale=config.validation_fraction)
    causal = _causal_parts(problem, config)
    run = _Run(problem, model, config, validation, callback, sampler, checkpointing, stop, distributed)
    if checkpointing is not None and checkpointing.resume:
        state = read_checkpoint(checkpointing.path, checkpointing.key)
        if state is not None:
            run.restore(state)
            log.info("resumed from %s at step %d (%s)", checkpointing.path, run.step, state["phase"])
    run.started = time.perf_counter()
    adam_end, lm_end = config.steps, config.steps + config.lm_steps
    stopped = False
    try:
        with _tf32(config.tf32 and device.type == "cuda"):
            if run.step < adam_end:
                run.adam(sampler, *causal)
            if run.step < lm_end:
                run.levenberg_marquardt(sampler)
            if run.step < run.losses.shape[0]:
                run.lbfgs(sampler.draw(scale=config.lbfgs_points_factor, score=run.score))
    except _Stop:
        stopped = True
    except RuntimeError as err:  # e.g. DDP's gradient all-reduce, when a rank has died
        if distributed is None or isinstance(err, DistributedError) or not distributed.failed(err):
            raise
        raise distributed.error(err) from err
    run.restore_best()
    wall = run.wall_time()
    info = dict(
        steps=config.steps, lm_steps=config.lm_steps, lbfgs_steps=config.lbfgs_steps, seed=config.seed,
        device=str(device), dtype=config.dtype, wall_time=wall, best_step=run.best_step,
        best_validation_loss=run.best_loss, rollbacks=run.rollback.retries,
    )
    if stopped:
        info.update(complete=False, stopped_at=run.step)
    log.info("trained %d+%d+%d steps in %.1f s; best validation loss %.3e at step %d",
             config.steps, config.lm_steps, config.lbfgs_steps, wall, run.best_loss, run.best_step)
    solution = Solution(model, problem.axes, problem.fields, domain=problem.domain, exact=problem.exact,
                        kind=problem.kind, history=run.history(), info=info, complex=problem.complex,
                        unknowns=problem.unknowns)
    if stopped:
        raise TrainingInterrupted(solution)
    return solution


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


def _causal_parts(problem: Problem, config: TrainConfig) -> tuple[CausalWeights | None, TimeWindow | None]:
    """The causal weights and the time window that ``config.causal`` asks for."""
    if config.causal == "none":
        return None, None
    domain = problem.domain
    if not isinstance(domain, SpaceTime):
        raise ValueError(f"training.causal: {config.causal} needs a space-time domain; this problem's"
                         f" domain is a {type(domain).__name__} (set causal: none)")
    weights = window = None
    if config.causal in ("weights", "both"):
        if not any(is_causal_target(c) for c in problem.constraints):
            raise ValueError("training.causal: weights needs a constraint on the space-time interior")
        weights = CausalWeights(domain.t0, domain.t1, config.causal_slices, config.causal_tolerance)
    if config.causal in ("window", "both"):
        window = TimeWindow(domain.t0, max(1, round(config.window_fraction * config.steps)))
    return weights, window


class _Run:
    """The state of one training run: model, best iterate, the loss record and the phase's optimiser."""

    def __init__(self, problem, model, config: TrainConfig, validation: list[Batch], callback, sampler,
                 checkpointing: Checkpointing | None, stop: Callable[[], bool] | None,
                 job: Distributed | None = None):
        self.problem, self.model, self.config = problem, model, config
        # Everything trained: the network, and the problem's unknowns when it has some.
        self.weights = model if problem.unknowns is None else torch.nn.ModuleDict(
            {"network": model, "unknowns": problem.unknowns})
        self.job = job
        # Losses are evaluated through this (DDP in a job: its backward averages the gradients).
        self.objective = objective(self.weights, job, unused=problem.unknowns is not None)
        self.validation, self.callback = validation, callback
        self.sampler, self.checkpointing, self.stop = sampler, checkpointing, stop
        self.rollback = Rollback(config.max_retries)
        self.last_checkpoint = time.monotonic()
        self.started, self.wall_before = time.perf_counter(), 0.0  # the latter: before a resume
        # The running phase's name and its optimiser state for a checkpoint; a resumed run's state
        # for the phase it stopped in, taken up when that phase starts.
        self.phase: tuple[str, Callable[[], dict]] = ("adam", dict)
        self.resumed: dict | None = None
        self.names = [c.name for c in problem.constraints]
        total = config.steps + config.lm_steps + config.lbfgs_steps
        first = next(model.parameters())
        # One row per step: total loss then each constraint's; kept on the device (no sync per step).
        self.losses = torch.zeros(total, len(self.names) + 1, dtype=torch.float64, device=first.device)
        self.lrs = [0.0] * total
        self.val_steps: list[int] = []
        self.val_losses: list[float] = []
        self.best_loss, self.best_step, self.best_state = math.inf, 0, None
        self.step = 0
        self.front: torch.Tensor | None = None  # the mean causal weight per Adam step
        # The forward engine's jets compiled once per run, from plain operations that inductor can fuse
        # (LM keeps its own uncompiled pass: torch.func).
        self.jets = torch.compile(compilable_jets) if config.compile else None
        self.score = pool_scorer(problem, model, config.derivatives, self.jets)  # for RAD pools
        self.balancer = make_balancer(config.balance, problem.constraints, config.steps, first.device,
                                      config.balance_every, config.balance_alpha, config.balance_lr)

    def adam(self, sampler: BatchSource, causal: CausalWeights | None, window: TimeWindow | None) -> None:
        cfg = self.config
        optimizer = torch.optim.Adam(self.weights.parameters(), lr=cfg.lr)
        self._enter("adam", optimizer.state_dict, optimizer.load_state_dict)
        schedule = cfg.lr_factor
        if causal is not None and self.front is None:
            self.front = torch.zeros(cfg.steps, dtype=torch.float64, device=self.losses.device)
        while self.step < cfg.steps:
            step = self.step
            if step % cfg.validate_every == 0 or self.rollback.empty:
                self.rollback.keep(self, optimizer)
            lr = cfg.lr * schedule(step) * self.rollback.lr_scale
            for group in optimizer.param_groups:
                group["lr"] = lr
            optimizer.zero_grad(set_to_none=True)
            batches = sampler.draw_adam(step, self.score)
            if window is not None:
                batches = window.apply(batches, window.fraction(step))
            terms, parts, weights = self.objective(evaluate_terms, self.problem, self.model, batches,
                                                   cfg.derivatives, causal, self.jets)
            total = self.balancer.total(step, terms, list(self.model.parameters()))
            seen, parts = self._mean(total, parts)  # over the ranks of a job
            if not bool(torch.isfinite(seen)):  # within one step of a NaN weight, too
                try:
                    self.rollback.recover(self, optimizer, f"the loss became {float(seen)}")
                except DivergenceError as err:
                    raise TrainingError(str(err)) from None
                continue
            if weights is not None:
                self.front[step] = weights.mean()
            total.backward()
            if cfg.clip is not None:
                torch.nn.utils.clip_grad_norm_(self.weights.parameters(), cfg.clip)
            optimizer.step()
            self._record(seen, parts, lr, "adam")

    def levenberg_marquardt(self, sampler: BatchSource) -> None:
        optimizer = LevenbergMarquardt(self.problem, self.model)
        self._enter("lm", lambda: {"damping": optimizer.damping},
                    lambda state: setattr(optimizer, "damping", state["damping"]))
        for _ in range(self.step - self.config.steps, self.config.lm_steps):
            batches = sampler.draw(scale=self.config.lm_points_factor, score=self.score)
            total, parts = optimizer.step(batches)
            if self.job is not None:  # LM is not data-parallel: every rank takes rank 0's step
                self.job.broadcast(self.model)
            self._record(total, parts, optimizer.damping, "lm")

    def lbfgs(self, batches: list[Batch]) -> None:
        cfg = self.config
        optimizer = torch.optim.LBFGS(self.weights.parameters(), lr=1.0, max_iter=cfg.lbfgs_inner,
                                      history_size=50, line_search_fn="strong_wolfe",
                                      tolerance_grad=0.0, tolerance_change=0.0)
        last: dict = {}

        def restore(state: dict) -> None:  # the fixed batch it was polishing, and its history
            batches[:] = [dataclasses.replace(b, x=x.to(b.x), normals=None if n is None else n.to(b.x),
                                              data={k: v.to(b.x.device) for k, v in data.items()})
                          for b, (x, n, data) in zip(batches, state["batches"], strict=True)]
            optimizer.load_state_dict(state["lbfgs"])

        self._enter("lbfgs", lambda: {"lbfgs": optimizer.state_dict(),
                                      "batches": [[b.x, b.normals, dict(b.data)] for b in batches]}, restore)

        def closure():
            optimizer.zero_grad(set_to_none=True)
            total, parts = self.objective(evaluate_losses, self.problem, self.model, batches,
                                          cfg.derivatives, self.jets)
            total.backward()
            seen, parts = self._mean(total, parts)  # every rank line-searches the same objective
            last.update(total=seen, parts=parts)
            return seen

        for _ in range(self.step - cfg.steps - cfg.lm_steps, cfg.lbfgs_steps):
            optimizer.step(closure)
            self._record(last["total"], last["parts"], 1.0, "lbfgs")

    def _record(self, total: torch.Tensor, parts: list[torch.Tensor], lr: float, phase: str) -> None:
        i = self.step
        self.losses[i, 0] = total.detach()
        for k, p in enumerate(parts):
            self.losses[i, k + 1] = p.detach()
        self.lrs[i] = lr
        self.step += 1
        last = self.step == self.losses.shape[0]
        if self.step % self.config.validate_every == 0 or last:
            self._validate()
        if self.callback is not None and (self.step % self.config.log_every == 0 or last):
            self.callback(Progress(self.step, self.losses.shape[0], float(self.losses[i, 0]), phase))
        stopping = self.stop is not None and self.stop()
        due = self.checkpointing is not None and self._checkpoint_due()
        if self.job is not None:  # every rank stops, and checkpoints, at the same step
            stopping, due = self.job.any(stopping, due)
        if self.checkpointing is not None and (stopping or due):
            self.write_checkpoint()
        if stopping:
            raise _Stop

    def _mean(self, total: torch.Tensor, parts: list[torch.Tensor]) -> tuple[torch.Tensor, list]:
        """The loss and its parts as recorded: averaged over the ranks of a job."""
        if self.job is None:
            return total.detach(), [p.detach() for p in parts]
        return self.job.mean_losses(total, parts)

    def _enter(self, name: str, state: Callable[[], dict], load: Callable[[dict], None]) -> None:
        """Start a phase: its optimiser state for checkpoints, restored if the run resumed in it."""
        self.phase = (name, state)
        if self.resumed is not None and self.resumed["phase"] == name:
            load(self.resumed["optimizer"])
            self.resumed = None

    def _checkpoint_due(self) -> bool:
        c = self.checkpointing
        by_count = c.every_steps is not None and self.step % c.every_steps == 0
        elapsed = time.monotonic() - self.last_checkpoint
        by_time = c.every_minutes is not None and elapsed >= 60 * c.every_minutes
        return by_count or by_time

    def write_checkpoint(self) -> None:
        """Write everything needed to go on from this step (see :mod:`sirenpde.checkpoint`)."""
        name, optimizer_state = self.phase
        samplers = [self.sampler.state()] if self.job is None else self.job.gather(self.sampler.state())
        if self.job is not None and not self.job.main:
            self.last_checkpoint = time.monotonic()
            return  # rank 0 writes; the others gave it their sampling streams
        write_checkpoint(self.checkpointing.path, dict(
            key=self.checkpointing.key, step=self.step, phase=name, optimizer=optimizer_state(),
            model=self.weights.state_dict(), sampler=samplers,
            losses=self.losses[: self.step].cpu(), lrs=self.lrs[: self.step], val_steps=self.val_steps,
            val_losses=self.val_losses, best_loss=self.best_loss, best_step=self.best_step,
            best_state=self.best_state, front=None if self.front is None else self.front.cpu(),
            rollback=self.rollback.state(), wall=self.wall_time(), balance=self.balancer.state(),
        ))
        self.last_checkpoint = time.monotonic()

    def restore(self, state: dict) -> None:
        """Take up a checkpoint written by :meth:`write_checkpoint` for the same configuration."""
        self.step = int(state["step"])
        self.weights.load_state_dict(state["model"])
        self._restore_sampling(state["sampler"])
        self.losses[: self.step] = state["losses"].to(self.losses)
        self.lrs[: self.step] = state["lrs"]
        self.val_steps, self.val_losses = list(state["val_steps"]), list(state["val_losses"])
        self.best_loss, self.best_step = state["best_loss"], state["best_step"]
        self.best_state = state["best_state"]
        if state["front"] is not None:
            self.front = state["front"].to(self.losses.device)
        self.rollback.load_state(state["rollback"])
        self.balancer.load_state(state.get("balance", {}))
        self.wall_before = float(state["wall"])
        self.resumed = state

    def _restore_sampling(self, streams: list | dict) -> None:
        """Each rank takes up its own sampling stream; a job of another size (or a checkpoint of
        another) gets fresh streams instead, seeded from the step so that no points repeat."""
        streams = streams if isinstance(streams, list) else [streams]  # before distributed training
        world, rank = (1, 0) if self.job is None else (self.job.world_size, self.job.rank)
        if len(streams) == world:
            self.sampler.load_state(streams[rank])
            return
        seed = rank_seed(self.config.seed + self.step, rank)
        self.sampler.reseed(seed)
        if rank == 0:
            log.warning("the checkpoint was written by %d process(es), this job has %d: each draws fresh"
                        " samples from here on (seed %d + step); the result is not bit-identical to an"
                        " uninterrupted run", len(streams), world, self.config.seed)

    def _validate(self) -> None:
        loss = float(evaluate_losses(self.problem, self.model, self.validation,
                                     self.config.derivatives, self.jets)[0].detach())
        if not math.isfinite(loss):
            raise TrainingError(
                f"the loss became {loss} at step {self.step}; lower the learning rate (training.lr)"
                " or w0, or enable gradient clipping (training.clip)"
            )
        self.val_steps.append(self.step)
        self.val_losses.append(loss)
        if loss < self.best_loss:
            self.best_loss, self.best_step = loss, self.step
            self.best_state = copy.deepcopy(self.weights.state_dict())

    def wall_time(self) -> float:
        """Seconds of training so far, the interrupted runs before a resume included."""
        return self.wall_before + time.perf_counter() - self.started

    def restore_best(self) -> None:
        if self.best_state is not None:
            self.weights.load_state_dict(self.best_state)

    def history(self) -> dict:
        losses = self.losses[: self.step].cpu().numpy()
        record = {"step": list(range(1, self.step + 1)), "loss": losses[:, 0], "lr": self.lrs[: self.step]}
        record.update({f"constraint/{n}": losses[:, k + 1] for k, n in enumerate(self.names)})
        record.update({"validation/step": self.val_steps, "validation/loss": self.val_losses})
        if self.front is not None:
            record["causal/front"] = self.front.cpu().numpy()
        record.update(self.balancer.history(min(self.step, self.config.steps)))
        return record
