"""The layer table of ARCHITECTURE.md is the import-linter contract, and covers every module.

``lint-imports`` (run by .ci/run) checks the imports against the contract; this test keeps
the contract complete (a module in no layer would be unconstrained) and the documentation
true to it (row by row, in the same order).
"""

from __future__ import annotations

import pkgutil
import re
import tomllib

import conformance
from tests.conftest import ROOT


def _layers() -> list[set[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    return [{name.strip() for name in re.split(r"[:|]", layer)} for layer in contract["layers"]]


def _modules() -> set[str]:
    found = {"conformance.__main__"}
    for info in pkgutil.walk_packages(conformance.__path__, "conformance."):
        found.add(info.name)
    return found


def _covering(module: str, layers: list[set[str]]) -> list[int]:
    return [
        number
        for number, layer in enumerate(layers)
        if any(module == m or module.startswith(m + ".") for m in layer)
    ]


def _split_package(module: str, layers: list[set[str]]) -> bool:
    """A package whose modules sit in several layers, with nothing in its __init__ to import."""
    path = ROOT / module.replace(".", "/") / "__init__.py"
    inside = {n for n, layer in enumerate(layers) for m in layer if m.startswith(module + ".")}
    return path.is_file() and len(inside) > 1 and "import" not in path.read_text("utf-8")


def test_every_module_is_in_exactly_one_layer() -> None:
    layers = _layers()
    named = set().union(*layers)
    modules = _modules()
    assert named <= modules, f"the contract names modules that do not exist: {named - modules}"
    for module in sorted(modules):
        if _split_package(module, layers):
            continue  # conformance.engine, conformance.standards
        assert len(_covering(module, layers)) == 1, f"{module} is in no layer, or in several"


def test_architecture_table_is_the_contract_row_by_row() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    rows = rows[1:]  # the header
    layers = _layers()
    modules = _modules()
    assert len(rows) == len(layers)
    for number, (row, layer) in enumerate(zip(rows, layers, strict=True)):
        cell = row.split("|")[2]
        named = set()
        for token in re.findall(r"`([^`]+)`", cell):
            dotted = "conformance." + token.strip("/").replace("/", ".")
            if dotted in modules:
                named.add(dotted)
        assert named, f"row {number + 1} names no module: {row}"
        for module in named:
            assert _covering(module, layers) == [number], f"row {number + 1}: {module}"
        assert named & layer, f"row {number + 1} names none of the contract's layer {layer}"
