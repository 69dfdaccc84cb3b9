"""Section 2: whole model graphs through the scheduler, on each backend and on combinations.

A *config* is a list of backends in priority order (the CPU last, as ggml requires) plus the
backend that holds the weights: ``cpu`` alone; ``X,cpu`` with the weights on X; ``X*,cpu``
where X is wrapped in ``Restricted`` so that some ops (SOFT_MAX and GELU) must fall back to
the CPU, forcing splits and cross-backend copies. ``ggml-cpu`` runs the same graph in real
ggml. Each forward is one ``Scheduler.graph_compute`` of the allocated graph.

The graphs come from ``ggsched.models`` (``gpt2`` and ``llama_block``); neither has a KV cache
(K and V are this evaluation's), so "decode" is one token attending to itself: the
weight-bound shape of a decode step without the cache reads.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ggsched import Op, UnaryOp
from ggsched.alloc import alloc_ctx_tensors
from ggsched.backend import Backend, BufferUsage, DeviceType
from ggsched.models import Model, gpt2, llama_block
from ggsched.sched import Scheduler

from .placement import write_feeds
from .results import ERROR, OK, Result, status_of
from .targets import GGML_CPU, BackendTarget, NotSupported, Target
from .timing import Budget, Runner, calibrate, sample

FALLBACK_OPS = (Op.SOFT_MAX, UnaryOp.GELU)  # what a restricted device leaves to the CPU
RESTRICTED_NOTE = "X* = backend X refusing SOFT_MAX and GELU, which fall back to the CPU"


@dataclass(frozen=True)
class ModelCase:
    name: str  # "GPT-2-small prefill 128"
    hparams: dict = field(hash=False)
    builder: Callable[..., Model] = field(default=gpt2, hash=False, compare=False, repr=False)

    @property
    def n_tokens(self) -> int:
        return self.hparams["n_tokens"]

    def build(self) -> Model:
        return self.builder(**self.hparams)


GPT2_SMALL = dict(n_embd=768, n_head=12, n_layer=12, n_vocab=50257)
GPT2_TINY = dict(n_embd=256, n_head=4, n_layer=4, n_vocab=512)
LLAMA_TINY = dict(n_embd=256, n_head=4, n_head_kv=4, n_ff=688)
LLAMA_1B = dict(n_embd=2048, n_head=32, n_head_kv=4, n_ff=5632)  # one TinyLlama-1.1B layer


def model_cases(size: str) -> list[ModelCase]:
    """quick: the small GPT-2 and LLaMA block; otherwise GPT-2-small (prefill 128, decode 1
    with f32, f16 and q8_0 matrices) and a TinyLlama-shaped block too."""
    cases = [ModelCase("GPT-2 256x4 prefill 64", {**GPT2_TINY, "n_tokens": 64}),
             ModelCase("GPT-2 256x4 decode 1", {**GPT2_TINY, "n_tokens": 1}),
             ModelCase("LLaMA block 256 prefill 64", {**LLAMA_TINY, "n_tokens": 64},
                       llama_block)]
    if size != "quick":
        cases += [ModelCase("GPT-2-small prefill 128", {**GPT2_SMALL, "n_tokens": 128}),
                  ModelCase("GPT-2-small decode 1", {**GPT2_SMALL, "n_tokens": 1}),
                  ModelCase("GPT-2-small decode 1 f16",
                            {**GPT2_SMALL, "n_tokens": 1, "wtype": "f16"}),
                  ModelCase("GPT-2-small decode 1 q8_0",
                            {**GPT2_SMALL, "n_tokens": 1, "wtype": "q8_0"}),
                  ModelCase("LLaMA block 2048 GQA prefill 128", {**LLAMA_1B, "n_tokens": 128},
                            llama_block)]
    return cases


# -- configs -------------------------------------------------------------------------------


@dataclass
class Config:
    """Backends in priority order and the one whose buffer holds the weights."""

    name: str
    backends: list[Backend]
    weights_on: Backend


def configs_for(targets: list[Target]) -> list[Config | Target]:
    """``cpu`` alone; for each other backend X, ``X,cpu`` and ``X*,cpu``; the ggml target."""
    from ggsched.backends.registry import cpu
    from ggsched.backends.restrict import Restricted

    out: list[Config | Target] = []
    host = None
    for t in targets:
        if not isinstance(t, BackendTarget):
            out.append(t)
            continue
        b = t.backend
        if b.device.type is DeviceType.CPU:
            host = b
            out.append(Config(t.name, [b], b))
            continue
        host = host or cpu()
        out.append(Config(f"{t.name},cpu", [b, host], b))
        restricted = Restricted(b, refuse=FALLBACK_OPS, name=f"{b.name}*")
        out.append(Config(f"{t.name}*,cpu", [restricted, host], b))
    return out


@functools.cache
def configs(names: tuple[str, ...]) -> dict[str, Config | Target]:
    """The configs of the targets called ``names``, by config name (built once per process)."""
    from .targets import resolve

    return {c.name: c for c in configs_for([resolve(n) for n in names])}


# -- runners -------------------------------------------------------------------------------


class SchedRunner:
    """A model placed by a Scheduler: weights in their own buffer, compute buffers reserved."""

    def __init__(self, model: Model, config: Config, feeds: dict) -> None:
        self.model = model
        weights = {t: feeds[t] for t in model.weights}
        self.weights_buffer = alloc_ctx_tensors(model.weights, config.weights_on)
        if self.weights_buffer is not None:  # as llama.cpp flags its model buffers
            self.weights_buffer.usage = BufferUsage.WEIGHTS
        write_feeds(weights)
        self.sched = Scheduler(config.backends, graph_size=max(2048, 2 * len(model.graph)))
        if not self.sched.reserve(model.graph) or not self.sched.alloc_graph(model.graph):
            raise NotSupported(f"n/a: cannot allocate the compute buffers of {model.name}")
        self.inputs = {t: feeds[t] for t in model.inputs}

    def run(self, n: int) -> None:
        # NOTE: the graph allocator may reuse an input's memory once its last reader is done
        # (as ggml's does), so inputs are set before every forward, as a llama.cpp loop does.
        for _ in range(n):
            write_feeds(self.inputs)
            self.sched.graph_compute(self.model.graph)

    def facts(self) -> dict[str, Any]:
        plan = self.sched.plan()
        splits = plan["splits"]
        return {
            "n_splits": plan["n_splits"],
            "n_split_inputs": sum(len(s["inputs"]) for s in splits),
            "bytes_copied": sum(s["bytes_copied"] for s in splits),
            "compute_buffer_bytes": sum(b["buffer_size"] for b in plan["backends"]),
            "buffer_sizes": {b["name"]: b["buffer_size"] for b in plan["backends"]},
            "weights_bytes": self.weights_buffer.size if self.weights_buffer else 0,
        }


def prepare_model(case: ModelCase, where: Config | Target) -> tuple[Runner, dict[str, Any]]:
    """The runner of ``case`` on a config (or the ggml target) and its scheduler facts."""
    model = case.build()
    # the same values on every config: the seed depends on the case only
    feeds = model.feeds(np.random.default_rng(zlib.crc32(case.name.encode())))
    if isinstance(where, Config):
        runner = SchedRunner(model, where, feeds)
        return runner, runner.facts()
    facts = {}
    if where.name == GGML_CPU:  # what ggml's own gallocr would give this graph
        from ggsched.backends.ggml import measure_gallocr

        facts["compute_buffer_bytes"] = measure_gallocr(model.graph, static=model.weights)
    return where.prepare(model.graph, feeds), facts


def run_model(case: ModelCase, configs: list[Config | Target], budget: Budget) -> list[Result]:
    """One model case on every config, interleaved like the per-op cases."""
    results: dict[str, Result] = {}
    runners: dict[str, Runner] = {}
    warm: dict[str, float] = {}
    for where in configs:
        name = where.name
        res = results[name] = Result("model", case.name, "model", case.name, name, OK,
                                     label=case.name)
        try:
            runner, facts = prepare_model(case, where)
            warm[name] = calibrate(runner)
            runners[name] = runner
            res.extra.update(facts)
        except NotSupported as e:
            res.status, res.reason = status_of(str(e)), str(e)
        except Exception as e:  # noqa: BLE001 - one broken config must not end the run
            res.status, res.reason = ERROR, f"{type(e).__name__}: {e}"
    for name, stats in sample(runners, warm, budget).items():
        r = results[name]
        r.stats = stats
        r.extra["ms_per_forward"] = stats.median_us / 1e3
        r.extra["tokens_per_s"] = case.n_tokens / (stats.median_us * 1e-6)
        r.extra.update({k: v for k, v in case.hparams.items()})
    return list(results.values())


MODEL_BUDGETS = {
    "quick": Budget(total_s=0.5, sample_s=0.02, min_rounds=3, max_rounds=20),
    "default": Budget(total_s=3.0, sample_s=0.05, min_rounds=3, max_rounds=50),
    "full": Budget(total_s=6.0, sample_s=0.1, min_rounds=5, max_rounds=100),
}

__all__ = ["GGML_CPU", "MODEL_BUDGETS", "Config", "ModelCase", "configs_for", "model_cases",
           "run_model"]
