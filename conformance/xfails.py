"""Expected-failure manifests: known failures, each with its reason, in TOML.

::

    # conformance/xfails/opencl.toml (built in), or any file given with --xfails FILE
    [[xfail]]
    id = "SOFT_MAX(type=f32,ne=[1024,2,1,1],mask=f16,max_bias=8)"  # an id, op name or glob
    reason = "why it fails, and the issue that tracks it"
    backends = ["opencl"]  # optional; default: the file's backend, or every backend

A built-in manifest ``xfails/<backend>.toml`` applies to that backend. An entry that matches
no case of the whole table is stale: it is reported (a warning), never silently kept.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .select import matches

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

BUILTIN = Path(__file__).parent / "xfails"


class StaleXfailWarning(UserWarning):
    """An expected-failure entry that matches no case."""


class ManifestError(ValueError):
    """A manifest that cannot be read; the message names the file and the entry."""


@dataclass(frozen=True)
class Entry:
    pattern: str
    reason: str
    backends: tuple[str, ...] | None  # None: every backend
    source: str

    def applies_to(self, backend: str) -> bool:
        return self.backends is None or backend.casefold() in self.backends

    def describe(self) -> str:
        return f"{self.source}: {self.pattern!r} ({self.reason})"


def _entries(path: Path, default_backends: tuple[str, ...] | None) -> list[Entry]:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ManifestError(f"cannot read the xfail manifest {path}: {e}") from None
    out = []
    for i, item in enumerate(data.get("xfail", [])):
        if not isinstance(item, dict) or "id" not in item or "reason" not in item:
            raise ManifestError(f"{path}: [[xfail]] entry {i + 1} needs an id and a reason")
        backends = item.get("backends")
        names = tuple(b.casefold() for b in backends) if backends else default_backends
        out.append(Entry(str(item["id"]), str(item["reason"]), names, str(path)))
    return out


class Manifest:
    def __init__(self, entries: Sequence[Entry] = ()) -> None:
        self.entries = list(entries)

    def match(self, backend: str, case) -> Entry | None:
        for e in self.entries:
            if e.applies_to(backend) and matches(e.pattern, case):
                return e
        return None

    def stale(self, cases: Iterable) -> list[Entry]:
        """Entries matching none of ``cases`` (the whole table, not just the selection)."""
        cases = list(cases)
        return [e for e in self.entries if not any(matches(e.pattern, c) for c in cases)]

    def warn_stale(self, cases: Iterable) -> list[Entry]:
        stale = self.stale(cases)
        for e in stale:
            warnings.warn(f"stale xfail entry matches no case: {e.describe()}",
                          StaleXfailWarning, stacklevel=2)
        return stale


def load(files: Sequence[str], backends: Sequence[str]) -> Manifest:
    """The built-in manifests of ``backends`` plus every file in ``files``."""
    entries: list[Entry] = []
    for name in backends:
        path = BUILTIN / f"{name.casefold()}.toml"
        if path.is_file():
            entries += _entries(path, (name.casefold(),))
    for f in files:
        entries += _entries(Path(f), None)
    return Manifest(entries)
