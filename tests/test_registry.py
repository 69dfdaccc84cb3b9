"""The backend registry: entry points, in-process registration, case-insensitive lookup,
unavailable backends with their reasons, and third-party backends that fail."""

from __future__ import annotations

import sys
import types
from importlib.metadata import EntryPoint

import pytest
from ggsched import BackendNotFound, BackendUnavailable
from ggsched.backend import BackendReg, DeviceType
from ggsched.backends import registry
from ggsched.backends.null import NullBackend, NullDevice, NullReg

FAKE = "ggsched_fake_backends"


class Broken(BackendReg):
    """A third-party family whose devices() fails with ``error``."""

    def __init__(self, name, error):
        self._name, self.error = name, error

    @property
    def name(self):
        return self._name

    def devices(self):
        raise self.error


def _boom():
    raise RuntimeError("driver crashed while loading")


@pytest.fixture
def fake(monkeypatch):
    """Entry points backed by a module made here; the real ones are hidden."""
    mod = types.ModuleType(FAKE)
    mod.null = lambda: NullReg("Fake", [NullDevice("FakeGPU0"), NullDevice("FakeGPU1")])
    mod.cpu = lambda: NullReg("CPU", [NullDevice("CPU", type=DeviceType.CPU)])
    mod.gone = lambda: Broken("Gone", BackendUnavailable("no Gone device found (driver 0)"))
    mod.crash = lambda: Broken("Crash", ZeroDivisionError("division by zero"))
    mod.boom = _boom
    mod.notareg = lambda: 42
    monkeypatch.setitem(sys.modules, FAKE, mod)
    eps = [EntryPoint(n, f"{FAKE}:{n}", registry.GROUP)
           for n in ("cpu", "null", "gone", "crash", "boom", "notareg")]
    eps.append(EntryPoint("missing", "ggsched_no_such_module:register", registry.GROUP))
    monkeypatch.setattr(registry, "_entry_points", lambda: sorted(eps, key=lambda e: e.name))
    monkeypatch.setattr(registry, "_registered", [])
    registry.refresh()
    yield mod
    registry.refresh()


def test_the_installed_entry_points_declare_the_built_in_backends():
    names = {ep.name for ep in registry.entry_points(group=registry.GROUP)}
    assert {"cpu", "opencl", "ggml"} <= names


def test_cpu_is_listed_last(fake):
    names = [e.name for e in registry.entries()]
    assert names[-1] == "CPU"
    assert [d.name for d in registry.devices()] == ["FakeGPU0", "FakeGPU1", "CPU"]


def test_lookup_is_case_insensitive(fake):
    assert registry.get_device("fakegpu1").name == "FakeGPU1"
    assert registry.get_device("cpu").name == "CPU"
    assert registry.get_reg("FAKE").name == "Fake"
    backend = registry.init_backend("FAKEGPU0")
    assert isinstance(backend, NullBackend) and backend.device.name == "FakeGPU0"


def test_not_found_lists_what_exists_and_what_is_unavailable(fake):
    with pytest.raises(BackendNotFound) as info:
        registry.get_device("Vulkan0")
    msg = str(info.value)
    assert "no device named 'Vulkan0'" in msg
    assert "available: FakeGPU0, FakeGPU1, CPU" in msg
    assert "Gone (no Gone device found (driver 0))" in msg


def test_unavailable_backends_are_kept_with_their_reason(fake):
    why = registry.unavailable()
    assert why["Gone"] == "no Gone device found (driver 0)"
    assert why["Crash"] == "ZeroDivisionError: division by zero"
    assert why["boom"] == "RuntimeError: driver crashed while loading"
    assert "not a BackendReg" in why["notareg"]
    assert why["missing"].startswith("ModuleNotFoundError")
    assert set(why) == {"Gone", "Crash", "boom", "notareg", "missing"}


def test_regs_are_those_that_loaded(fake):
    # in entry-point name order (crash, gone, null), CPU last
    assert [r.name for r in registry.regs()] == ["Crash", "Gone", "Fake", "CPU"]


def test_in_process_registration_comes_first_and_wins_duplicates(fake):
    mine = NullReg("Mine", [NullDevice("Mine0")])
    shadow = NullReg("fake", [NullDevice("Shadow0")])
    registry.register(mine)
    registry.register(shadow)
    devs = [d.name for d in registry.devices()]
    assert devs[:2] == ["Mine0", "Shadow0"]
    assert "FakeGPU0" not in devs  # the entry point "Fake" duplicates the in-process "fake"
    registry.unregister(shadow)
    assert "FakeGPU0" in [d.name for d in registry.devices()]


def test_register_refuses_what_is_not_a_reg(fake):
    with pytest.raises(TypeError, match="needs a BackendReg"):
        registry.register(NullDevice())


def test_a_family_without_devices_is_unavailable(fake):
    registry.register(NullReg("Empty", []))
    assert registry.unavailable()["Empty"] == "it has no devices"


def test_cpu_helper_needs_the_cpu_device(fake):
    assert registry.cpu().device.name == "CPU"


def test_the_real_registry_has_cpu_last_and_available():
    registry.refresh()
    try:
        last = registry.entries()[-1]
        assert last.name.casefold() == "cpu"
        assert last.available, last.error
        assert registry.get_device("cpu").name == "CPU"
    finally:
        registry.refresh()
