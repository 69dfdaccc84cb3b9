"""The backend registry: every backend family, where it came from, and whether it is usable.

Backends come from the entry-point group ``ggsched.backends`` (the value of each entry point
is a callable returning a ``BackendReg``; a third-party package adds one with one line of its
own pyproject) and from ``register(reg)`` in-process. A family whose ``devices()`` raises
``BackendUnavailable`` is kept, with the reason, and so is one that fails in any other way:
listing backends never crashes. Lookups are case-insensitive; CPU is always listed, last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

from ggsched.backend import Backend, BackendReg, Device
from ggsched.errors import BackendNotFound, BackendUnavailable, TypeMismatchError

GROUP = "ggsched.backends"
CPU = "cpu"


@dataclass
class RegEntry:
    """One backend family as the registry sees it.

    ``reg`` is None when it could not even be loaded; ``error`` says why it is unavailable
    (None when it is available); ``source`` says where it came from.
    """

    name: str
    source: str
    reg: BackendReg | None = None
    devices: list[Device] = field(default_factory=list)
    error: str | None = None

    @property
    def available(self) -> bool:
        return self.error is None


_registered: list[BackendReg] = []
_cache: list[RegEntry] | None = None


def register(reg: BackendReg) -> None:
    """Add a backend family in-process (listed before those from entry points)."""
    if not isinstance(reg, BackendReg):
        raise TypeMismatchError(f"register() needs a BackendReg, got {type(reg).__name__}")
    if reg not in _registered:
        _registered.append(reg)
    refresh()


def unregister(reg: BackendReg) -> None:
    if reg in _registered:
        _registered.remove(reg)
    refresh()


def refresh() -> None:
    """Forget what was loaded and probed; the next lookup asks every backend again."""
    global _cache
    _cache = None


def _entry_points() -> list[EntryPoint]:
    return sorted(entry_points(group=GROUP), key=lambda ep: ep.name)


def _describe(e: BaseException) -> str:
    return str(e) if isinstance(e, BackendUnavailable) else f"{type(e).__name__}: {e}"


def _from_entry_point(ep: EntryPoint) -> RegEntry:
    source = f"entry point {ep.name} = {ep.value}"
    try:
        factory: Callable[[], BackendReg] = ep.load()
        reg = factory()
    except Exception as e:  # a broken third-party package must not break the listing
        return RegEntry(ep.name, source, error=_describe(e))
    if not isinstance(reg, BackendReg):
        return RegEntry(ep.name, source, error=f"{ep.value} returned {reg!r}, not a BackendReg")
    return _probe(reg, source, fallback_name=ep.name)


def _probe(reg: BackendReg, source: str, fallback_name: str = "?") -> RegEntry:
    try:
        name = str(reg.name)
    except Exception as e:
        return RegEntry(fallback_name, source, reg, error=f"name: {_describe(e)}")
    try:
        devices = list(reg.devices())
    except Exception as e:
        return RegEntry(name, source, reg, error=_describe(e))
    bad = [d for d in devices if not isinstance(d, Device)]
    if bad:
        return RegEntry(name, source, reg, error=f"devices() returned {bad[0]!r}, not a Device")
    if not devices:
        return RegEntry(name, source, reg, error="it has no devices")
    return RegEntry(name, source, reg, devices)


def entries() -> list[RegEntry]:
    """Every backend family, available or not: in-process first, then entry points by name;
    duplicates (same name, any case) after the first are ignored; CPU last."""
    global _cache
    if _cache is None:
        found = [_probe(r, "in-process") for r in _registered]
        found += [_from_entry_point(ep) for ep in _entry_points()]
        seen: set[str] = set()
        unique = []
        for e in found:
            if e.name.casefold() not in seen:
                seen.add(e.name.casefold())
                unique.append(e)
        unique.sort(key=lambda e: e.name.casefold() == CPU)  # stable: only CPU moves
        _cache = unique
    return list(_cache)


def regs() -> list[BackendReg]:
    """The backend families that could be loaded (usable or not)."""
    return [e.reg for e in entries() if e.reg is not None]


def devices() -> list[Device]:
    """Every device of every available family, CPU's last."""
    return [d for e in entries() if e.available for d in e.devices]


def unavailable() -> dict[str, str]:
    """Family name -> why it cannot be used."""
    return {e.name: e.error for e in entries() if e.error is not None}


def _check_name(name: object, what: str) -> None:
    if not isinstance(name, str):
        raise BackendNotFound(f"a {what} is looked up by name (a str), got {name!r}")


def get_reg(name: str) -> BackendReg:
    _check_name(name, "backend family")
    for e in entries():
        if e.name.casefold() == name.casefold() and e.reg is not None:
            return e.reg
    raise BackendNotFound(_not_found("backend family", name, [e.name for e in entries()]))


def get_device(name: str) -> Device:
    """The device called ``name`` (any case), e.g. "CPU", "OpenCL0"."""
    _check_name(name, "device")
    devs = devices()
    for d in devs:
        if d.name.casefold() == name.casefold():
            return d
    raise BackendNotFound(_not_found("device", name, [d.name for d in devs]))


def _not_found(what: str, name: str, known: list[str]) -> str:
    msg = f"no {what} named {name!r}; available: {', '.join(known) or 'none'}"
    missing = unavailable()
    if missing:
        msg += "; unavailable: " + "; ".join(f"{n} ({why})" for n, why in missing.items())
    return msg


def init_backend(name: str, params: str = "") -> Backend:
    """A backend (stream) on the device called ``name``."""
    return get_device(name).init_backend(params)


def cpu() -> Backend:
    """A backend on the CPU device."""
    return init_backend("CPU")


__all__ = [
    "GROUP",
    "RegEntry",
    "cpu",
    "devices",
    "entries",
    "get_device",
    "get_reg",
    "init_backend",
    "refresh",
    "register",
    "regs",
    "unavailable",
    "unregister",
]
