"""``ggsched backends`` and ``ggsched ops`` against a registry of null devices, and the
representative support cases behind ``ggsched ops``."""

from __future__ import annotations

import json

import pytest
from ggsched.backend import BackendReg, DeviceType
from ggsched.backends import registry
from ggsched.backends.null import NullDevice, NullReg
from ggsched.backends.support import representative_cases
from ggsched.cli import main
from ggsched.errors import BackendUnavailable
from ggsched.op import GluOp, Op, UnaryOp
from ggsched.types import QUANT_TYPES


class Missing(BackendReg):
    @property
    def name(self):
        return "Missing"

    def devices(self):
        raise BackendUnavailable("no Missing device: driver not installed")


def no_quants(t):
    return all(s.type not in QUANT_TYPES for s in [t, *t.sources])


def explodes(t):
    raise RuntimeError("kernel table is corrupt")


@pytest.fixture
def reg(monkeypatch):
    devs = [
        NullDevice("Null0", "null GPU zero", memory=(3 << 20, 8 << 20), supports_op=no_quants),
        NullDevice("Boom0", "null device whose supports_op raises", supports_op=explodes),
    ]
    cpu = NullReg("CPU", [NullDevice("CPU", "null CPU", type=DeviceType.CPU)])
    monkeypatch.setattr(registry, "_entry_points", lambda: [])
    monkeypatch.setattr(registry, "_registered", [cpu, NullReg("Null", devs), Missing()])
    registry.refresh()
    yield
    registry.refresh()


def run_json(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_backends_json_lists_devices_and_unavailable_ones(reg, capsys):
    out = run_json(capsys, "backends", "--json")["backends"]
    assert [b["name"] for b in out] == ["Null", "Missing", "CPU"]
    null0 = out[0]["devices"][0]
    assert (null0["name"], null0["type"]) == ("Null0", "GPU")
    assert (null0["memory_free"], null0["memory_total"]) == (3 << 20, 8 << 20)
    assert out[1] == {"name": "Missing", "source": "in-process", "available": False,
                      "reason": "no Missing device: driver not installed", "devices": []}


def test_backends_table(reg, capsys):
    assert main(["backends"]) == 0
    text = capsys.readouterr().out
    for word in ("Null0", "null GPU zero", "3 MiB / 8 MiB", "GPU", "unavailable", "driver not"):
        assert word in text


def test_ops_matrix_follows_supports_op(reg, capsys):
    m = run_json(capsys, "ops", "--json", "--backend", "null0", "--op", "mul_mat")
    assert m["devices"] == ["Null0"]
    got = {c["params"]["type_a"]: c["supported"]["Null0"] for c in m["cases"]}
    assert got == {"f32": True, "f16": True, "q8_0": False, "q4_0": False}


def test_ops_reports_a_supports_op_that_raises(reg, capsys):
    m = run_json(capsys, "ops", "--json", "-b", "Boom0", "-o", "ADD")
    assert {c["supported"]["Boom0"] for c in m["cases"]} == {
        "error: RuntimeError: kernel table is corrupt"}


def test_ops_table_counts_supported_cases(reg, capsys):
    assert main(["ops", "-b", "CPU", "-o", "SOFT_MAX"]) == 0
    assert "CPU: 3/3 cases supported" in capsys.readouterr().out


def test_ops_unknown_backend_is_an_error(reg, capsys):
    assert main(["ops", "-b", "Vulkan0"]) == 2
    err = capsys.readouterr().err
    assert "no device named 'Vulkan0'" in err and "Missing (no Missing device" in err


def test_ops_unknown_op_is_an_error(reg, capsys):
    assert main(["ops", "--op", "SILUU"]) == 2
    assert "unknown op 'SILUU'" in capsys.readouterr().err


def test_misspelt_option_names_the_subcommand(capsys):
    with pytest.raises(SystemExit) as e:
        main(["backends", "--jsn"])
    assert e.value.code == 2
    assert "ggsched backends: error: unrecognized arguments: --jsn" in capsys.readouterr().err


def test_representative_cases_cover_every_op_and_sub_op():
    cases = representative_cases()
    built = [c.build() for c in cases]
    assert {t.op for t in built} == set(Op) - {Op.NONE}
    descs = {t.op_desc for t in built}
    assert {str(u) for u in UnaryOp} <= descs and {str(g) for g in GluOp} <= descs
    assert all(t.op_desc == c.op for c, t in zip(cases, built))
    assert len({c.id for c in cases}) == len(cases), "case ids must be unique"


def test_cpy_cases_cover_every_pair_of_matrix_types():
    pairs = {(c.build().src[0].type, c.build().src[1].type) for c in representative_cases()
             if c.op == "CPY"}
    assert len(pairs) == 17  # 4 x 4 float/quantized pairs, plus i32 -> i32
