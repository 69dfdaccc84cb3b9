"""The timing harness: warm up, size the runs, interleave targets round by round, keep stats.

A *runner* is anything with ``run(n)``: execute the work ``n`` times back to back and return
only once it has finished (each runner synchronizes its device before returning, so the
clock is read after the work, never after the enqueue).

Sizing follows test-backend-ops' perf mode in spirit: one warm-up run, then a repetition
count per sample from the warm-up time (ggml appends the output node ``n_runs - 1`` more
times to one graph; here a runner queues ``n`` executions and synchronizes once, which
amortizes launch and sync cost the same way), then samples until a time budget is spent.
Targets are interleaved: each round takes one sample of every target, in an order rotated
from round to round, so that drift (thermal, other users of a shared machine) hits all of
them alike.

NOTE: interleaving in one process has a trap: a threaded library keeps its worker threads
spinning for a while after a call returns (OpenBLAS's for about 0.1 s), and they take the
cores from whatever target runs next. So the harness sleeps ``settle_s`` before each sample
(and each warm-up) that follows another target's; measured here, an OpenCL (PoCL) product
right after a BLAS call ran 1.7x slower without it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class Runner(Protocol):
    def run(self, n: int) -> None:
        """Execute the work ``n`` times and return when the device has finished."""


@dataclass(frozen=True)
class Budget:
    """How long to measure one case: ``total_s`` over all its targets, split in samples."""

    total_s: float = 1.0  # time to spend sampling one case, all targets together
    sample_s: float = 0.02  # aim of one sample (n executions timed as one)
    min_rounds: int = 3  # at least this many samples per target (for a spread)
    max_rounds: int = 200
    max_reps: int = 4096  # cap on executions per sample (ggml: 8192 nodes per graph)
    settle_s: float = 0.1  # idle time before a sample that follows another target's


QUICK = Budget(total_s=0.25, sample_s=0.01, min_rounds=3, max_rounds=50)
DEFAULT = Budget(total_s=1.0, sample_s=0.04)
FULL = Budget(total_s=3.0, sample_s=0.1, min_rounds=5, max_rounds=500)


@dataclass(frozen=True)
class Stats:
    """Per-execution times in microseconds over the samples of one target."""

    median_us: float
    q1_us: float
    q3_us: float
    min_us: float
    max_us: float
    n_samples: int
    n_runs: int  # executions in all samples together
    reps: int  # executions per sample

    @property
    def iqr_us(self) -> float:
        return self.q3_us - self.q1_us


def summarize(per_run_us: list[float], reps: int) -> Stats:
    """Median, quartiles and range of per-execution times (one value per sample)."""
    if not per_run_us:
        raise ValueError("no samples to summarize")
    a = np.asarray(per_run_us, dtype=np.float64)
    q1, med, q3 = np.percentile(a, [25, 50, 75])
    return Stats(
        median_us=float(med),
        q1_us=float(q1),
        q3_us=float(q3),
        min_us=float(a.min()),
        max_us=float(a.max()),
        n_samples=int(a.size),
        n_runs=int(a.size) * reps,
        reps=reps,
    )


def reps_for(warm_s: float, budget: Budget) -> int:
    """Executions per sample so that one sample takes about ``budget.sample_s``."""
    if warm_s <= 0:
        return budget.max_reps
    return max(1, min(budget.max_reps, math.ceil(budget.sample_s / warm_s)))


def time_once(runner: Runner, n: int, clock: Callable[[], float] = time.perf_counter) -> float:
    """Seconds for ``runner.run(n)``; the runner synchronizes before returning."""
    t0 = clock()
    runner.run(n)
    return clock() - t0


def rounds_for(sample_times_s: Mapping[str, float], budget: Budget) -> int:
    """How many rounds fit in the budget, given each target's sample time (and the settling
    pause before each sample when there are several targets)."""
    per_round = sum(sample_times_s.values())
    if len(sample_times_s) > 1:
        per_round += budget.settle_s * len(sample_times_s)
    if per_round <= 0:
        return budget.max_rounds
    fit = int(budget.total_s / per_round)
    return max(budget.min_rounds, min(budget.max_rounds, fit))


def rotated(names: list[str], k: int) -> list[str]:
    """The order of round ``k``: names rotated by k, so no target always goes first."""
    if not names:
        return []
    k %= len(names)
    return names[k:] + names[:k]


def measure(
    runners: Mapping[str, Runner],
    budget: Budget = DEFAULT,
    clock: Callable[[], float] = time.perf_counter,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Stats]:
    """Time every runner on the same case: warm-up, sizing, then interleaved rounds."""
    warm = {}
    for name, r in runners.items():
        if warm and budget.settle_s > 0:
            sleep(budget.settle_s)
        warm[name] = calibrate(r, clock)
    return sample(runners, warm, budget, clock, sleep)


def calibrate(runner: Runner, clock: Callable[[], float] = time.perf_counter) -> float:
    """Run once untimed (kernel builds, first touch of memory), then once timed: seconds."""
    runner.run(1)
    return time_once(runner, 1, clock)


def sample(
    runners: Mapping[str, Runner],
    warm_s: Mapping[str, float],
    budget: Budget = DEFAULT,
    clock: Callable[[], float] = time.perf_counter,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Stats]:
    """Interleaved rounds of one sample per runner, sized from the warm-up times ``warm_s``."""
    names = list(runners)
    reps = {name: reps_for(warm_s[name], budget) for name in names}
    n_rounds = rounds_for({n: warm_s[n] * reps[n] for n in names}, budget)
    samples: dict[str, list[float]] = {name: [] for name in names}
    settle = budget.settle_s if len(names) > 1 else 0.0
    deadline = clock() + 2 * budget.total_s  # NOTE: warm-up estimates can be off; stay bounded
    for k in range(n_rounds):
        if k >= budget.min_rounds and clock() > deadline:
            break
        for name in rotated(names, k):
            if settle > 0:
                sleep(settle)
            dt = time_once(runners[name], reps[name], clock)
            samples[name].append(dt * 1e6 / reps[name])
    return {name: summarize(samples[name], reps[name]) for name in names}
