"""The bench harness's logic: run sizing, interleaving, stats. No timing assertions: a fake
clock that advances by each runner's declared cost makes every figure predictable."""

from __future__ import annotations

import numpy as np
import pytest
from ggsched.bench import timing as tm


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s


class FakeRunner:
    """Each execution costs ``cost_s`` of fake time; calls are logged as (name, n)."""

    def __init__(self, name: str, cost_s: float, clock: FakeClock, log: list) -> None:
        self.name, self.cost_s, self.clock, self.log = name, cost_s, clock, log

    def run(self, n: int) -> None:
        self.log.append((self.name, n))
        self.clock.now += self.cost_s * n


def _runners(costs: dict[str, float]):
    clock, log = FakeClock(), []
    return {k: FakeRunner(k, c, clock, log) for k, c in costs.items()}, clock, log


def test_reps_fill_one_sample_and_are_capped():
    b = tm.Budget(sample_s=0.01, max_reps=100)
    assert tm.reps_for(0.001, b) == 10
    assert tm.reps_for(0.02, b) == 1  # a slow case still runs once per sample
    assert tm.reps_for(1e-9, b) == 100
    assert tm.reps_for(0.0, b) == 100


def test_rounds_fit_the_budget_within_min_and_max():
    b = tm.Budget(total_s=1.0, min_rounds=3, max_rounds=50, settle_s=0.0)
    assert tm.rounds_for({"a": 0.05, "b": 0.05}, b) == 10
    settled = tm.Budget(total_s=1.0, min_rounds=3, max_rounds=50, settle_s=0.05)
    assert tm.rounds_for({"a": 0.05, "b": 0.05}, settled) == 5  # 0.1 s of work + 0.1 s idle
    assert tm.rounds_for({"a": 0.05}, settled) == 20  # a lone target never waits
    assert tm.rounds_for({"a": 2.0}, b) == 3
    assert tm.rounds_for({"a": 1e-6}, b) == 50


def test_rotation_puts_every_target_first_in_turn():
    names = ["a", "b", "c"]
    firsts = [tm.rotated(names, k)[0] for k in range(3)]
    assert sorted(firsts) == names
    assert all(sorted(tm.rotated(names, k)) == names for k in range(5))


def test_summarize_gives_median_quartiles_and_range():
    s = tm.summarize([5.0, 1.0, 3.0, 2.0, 4.0], reps=7)
    q1, med, q3 = np.percentile([1, 2, 3, 4, 5], [25, 50, 75])
    assert (s.median_us, s.q1_us, s.q3_us) == (med, q1, q3)
    assert (s.min_us, s.max_us, s.n_samples, s.n_runs) == (1.0, 5.0, 5, 35)
    assert s.iqr_us == q3 - q1


def test_summarize_refuses_no_samples():
    with pytest.raises(ValueError):
        tm.summarize([], reps=1)


def test_measure_warms_up_sizes_and_interleaves():
    runners, clock, log = _runners({"fast": 1e-4, "slow": 1e-3})
    budget = tm.Budget(total_s=0.1, sample_s=0.002, min_rounds=3, max_rounds=100, settle_s=0)
    stats = tm.measure(runners, budget, clock, clock.sleep)
    # warm-up: an untimed run and a timed run of one execution each, before any sample
    assert log[:4] == [("fast", 1), ("fast", 1), ("slow", 1), ("slow", 1)]
    samples = log[4:]
    reps = {"fast": 20, "slow": 2}  # sample_s / cost
    assert all(n == reps[name] for name, n in samples)
    # interleaved: every round holds each target once, and the first one alternates
    rounds = [samples[i:i + 2] for i in range(0, len(samples), 2)]
    assert all(sorted(name for name, _ in r) == ["fast", "slow"] for r in rounds)
    assert {r[0][0] for r in rounds} == {"fast", "slow"}
    assert len(rounds) == stats["fast"].n_samples == stats["slow"].n_samples
    assert stats["fast"].median_us == pytest.approx(100.0)
    assert stats["slow"].median_us == pytest.approx(1000.0)
    assert stats["slow"].reps == 2 and stats["slow"].n_runs == 2 * len(rounds)


def test_measure_spends_about_the_budget():
    runners, clock, _ = _runners({"a": 1e-3, "b": 3e-3})
    budget = tm.Budget(total_s=0.5, sample_s=0.01, min_rounds=3, max_rounds=1000,
                       settle_s=0.005)
    t0 = clock.now
    tm.measure(runners, budget, clock, clock.sleep)
    assert 0.4 <= clock.now - t0 <= 0.6  # samples and settling pauses together


def test_measure_keeps_min_rounds_for_slow_cases():
    runners, clock, _ = _runners({"a": 5.0})
    stats = tm.measure(runners, tm.Budget(total_s=1.0, min_rounds=3), clock, clock.sleep)
    assert stats["a"].n_samples == 3
    assert clock.sleeps == []  # a lone target has no one to settle after


def test_measure_settles_before_every_sample_after_another_target():
    runners, clock, log = _runners({"a": 1e-3, "b": 1e-3})
    budget = tm.Budget(total_s=0.0, sample_s=0.001, min_rounds=4, settle_s=0.07)
    stats = tm.measure(runners, budget, clock, clock.sleep)
    n_samples = stats["a"].n_samples + stats["b"].n_samples
    # one pause between the two warm-ups, then one before each sample
    assert clock.sleeps == [0.07] * (1 + n_samples)
    # the pauses are not counted in the samples
    assert stats["a"].median_us == pytest.approx(1000.0)
