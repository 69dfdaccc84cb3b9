"""The README's example runs as written."""

import contextlib
import io
import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def _example() -> str:
    text = README.read_text()
    section = text.split("## Build a graph and evaluate it", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README.md lost its python example under 'Build a graph and evaluate it'"
    return match.group(1)


def test_readme_example_runs_and_prints_softmax_rows():
    scope: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(_example(), str(README), "exec"), scope)
    values = scope["values"][scope["c"]]
    assert values.shape == scope["c"].shape == (1, 1, 2, 3)
    np.testing.assert_allclose(values.sum(axis=-1), 1.0, rtol=1e-6)
    assert out.getvalue().strip(), "the example prints its result"
