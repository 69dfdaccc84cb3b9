"""Fail if an import goes against the layering reference <- backends <- conformance <- bench.

A module may import its own layer and the layers to its left, never one to its right. Both
``import ggsched.x`` and relative imports are resolved to the layer they land in.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

LAYERS = ["reference", "backends", "conformance", "bench"]
PACKAGE_OF = {"reference": "ggsched", "backends": "ggsched.backends",
              "conformance": "ggsched.conformance", "bench": "ggsched.bench"}


def layer_of_module(name: str) -> int | None:
    if not (name == "ggsched" or name.startswith("ggsched.")):
        return None
    for i in range(len(LAYERS) - 1, 0, -1):
        pkg = PACKAGE_OF[LAYERS[i]]
        if name == pkg or name.startswith(pkg + "."):
            return i
    return 0


def module_name(root: Path, layer: str, path: Path) -> str:
    parts = list(path.relative_to(root / layer).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([PACKAGE_OF[layer], *parts])


def imported(tree: ast.AST, current: str, is_pkg: bool) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = current.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append((node.lineno, name))
            out += [(node.lineno, f"{name}.{a.name}") for a in node.names]
    return out


def main(root: Path) -> int:
    bad = []
    for i, layer in enumerate(LAYERS):
        for path in sorted((root / layer).rglob("*.py")):
            mod = module_name(root, layer, path)
            tree = ast.parse(path.read_text(), str(path))
            for lineno, name in imported(tree, mod, path.name == "__init__.py"):
                target = layer_of_module(name)
                if target is not None and target > i:
                    bad.append(f"{path}:{lineno}: {layer} imports {name} ({LAYERS[target]})")
    for line in bad:
        print(line)
    if bad:
        print(f"{len(bad)} import(s) against reference <- backends <- conformance <- bench")
        return 1
    print("imports follow reference <- backends <- conformance <- bench")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent))
