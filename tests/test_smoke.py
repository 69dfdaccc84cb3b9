"""The package installs, imports and answers --version."""

import subprocess
import sys

import ggsched


def test_version_command():
    out = subprocess.run([sys.executable, "-m", "ggsched.cli", "--version"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"ggsched {ggsched.__version__}"


def test_reference_is_the_ggsched_package():
    assert ggsched.__file__.replace("\\", "/").endswith("reference/__init__.py")
