"""What the ggml-cpu device claims: exactly the op signatures checked against the golden.

ggml's own ``supports_op`` says yes to layouts its CPU kernels then assert on (aborting the
process) or silently misread, so it cannot be the whole answer. A node is claimed when
ggml says yes AND some case of ``crosscheck_cases`` with the same op, the same types and
operand layouts at least as general as the node's was computed by real ggml and matched the
golden. Leafs and view ops compute nothing and are always claimed.

Layout classes, from most to least constrained: ``C`` contiguous; ``R1`` rows maybe padded,
higher dims packed over rows (ggml_is_contiguous_1); ``RP`` rows packed (nb[0] = element);
``G`` anything.
"""

from __future__ import annotations

import functools

from ggsched.op import VIEW_OPS, Op
from ggsched.tensor import Tensor

LAYOUT_ORDER = {"C": 0, "R1": 1, "RP": 2, "G": 3}


def layout_class(t: Tensor) -> str:
    if t.is_contiguous:
        return "C"
    if t.is_contiguous_n(1):
        return "R1"
    return "RP" if t.is_contiguous_rows else "G"


Signature = tuple  # (op_desc, types of dst and srcs, layout classes of dst and srcs)


def signature(t: Tensor) -> Signature:
    operands = [t, *(s for s in t.src if s is not None)]
    return (
        t.op_desc,
        tuple(o.type for o in operands),
        tuple(layout_class(o) for o in operands),
    )


def _covers(verified: Signature, sig: Signature) -> bool:
    return verified[:2] == sig[:2] and all(
        LAYOUT_ORDER[v] >= LAYOUT_ORDER[s] for v, s in zip(verified[2], sig[2])
    )


@functools.cache
def verified_signatures() -> dict[tuple, list[Signature]]:
    """Signatures of the crosscheck cases (their tested node), keyed by (op_desc, types).

    Building the cases' graphs is enough: ``tests/test_vs_ggml.py`` is what proves that each
    of them computes like the golden.
    """
    from .crosscheck_cases import all_cases

    table: dict[tuple, list[Signature]] = {}
    for case in all_cases():
        if not case.ggml_bug:
            sig = signature(case.build())
            table.setdefault(sig[:2], []).append(sig)
    return table


def _known_wrong(t: Tensor) -> bool:
    """Shapes where ggml 0.20.2's CPU kernel gives a wrong answer (see crosscheck_cases)."""
    return t.op is Op.COUNT_EQUAL and t.src[0].ne[2] * t.src[0].ne[3] > 1


def verified(t: Tensor) -> bool:
    """Is t's op, with its types and layouts, covered by a case checked against the golden?"""
    if t.op in VIEW_OPS or t.op is Op.NONE:
        return True
    if _known_wrong(t):
        return False
    sig = signature(t)
    return any(_covers(v, sig) for v in verified_signatures().get(sig[:2], ()))
