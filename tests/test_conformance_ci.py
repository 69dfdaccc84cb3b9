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
