"""The CI recipe for third parties (ci/conformance/) asks for things ggsched understands."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

from ggsched.cli import build_parser

CI = Path(__file__).resolve().parents[1] / "ci" / "conformance"


def _parse(command: str):
    argv = shlex.split(command.replace("\\\n", " "))
    assert argv[0] == "ggsched"
    return build_parser().parse_args(argv[1:])


def test_the_workflow_runs_the_suite_and_keeps_both_reports():
    text = (CI / "github-actions.yml").read_text()
    run = re.search(r"run: >-\n((?:\s+.*\n)+?)\s+- name", text).group(1)
    command = " ".join(line.strip() for line in run.splitlines())
    command = re.sub(r"\$\( .* \)", "", command).replace('"$BACKEND"', "mybackend")
    args = _parse(command)
    assert args.backend == ["mybackend"] and args.json and args.junitxml
    assert "conformance.json" in text.split("upload-artifact")[1]
    assert "conformance.xml" in text.split("upload-artifact")[1]


def test_the_tox_environment_runs_the_suite():
    ini = configparser.ConfigParser()
    ini.read(CI / "tox.ini")
    commands = ini["testenv:ggsched-conformance"]["commands"].strip().splitlines()
    suite = "\n".join(commands[1:]).replace("{env:GGSCHED_BACKEND}", "mybackend")
    suite = suite.replace("{toxworkdir}", "/tmp").replace("{posargs}", "")
    args = _parse(suite)
    assert args.backend == ["mybackend"] and args.json.endswith(".json")
    assert args.junitxml.endswith(".xml") and args.workers == "auto"


def test_every_package_is_in_the_distribution():
    """A backend's CI installs ggsched from a wheel: a package missing from pyproject's list
    (say, the CPU kernels) would break the suite there and nowhere else."""
    from ggsched.conformance.xfails import tomllib

    root = CI.parents[1]
    tool = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(tool["packages"])
    dirs = {pkg: Path(d) for pkg, d in tool["package-dir"].items()}
    found = set()
    for pkg, d in dirs.items():
        for init in (root / d).rglob("__init__.py"):
            rel = init.parent.relative_to(root / d).parts
            if not any(part.startswith(".") or part == "tests" for part in rel):
                found.add(".".join((pkg, *rel)))
    assert found - listed == set()
