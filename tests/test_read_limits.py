"""Export read limits: one public seam (``conformance.exports.ReadLimits`` and
``read_limits``), read when a reading starts; tests change sizes through it, never by
replacing private names of the export pipeline (issue 17 item 3)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from conformance.exports import RECORDS, ReadLimits, read_limits, validate_export
from conformance.exports._limits import DEFAULTS, current
from tests.conftest import ROOT
from tests.test_exports import make_spec, rec, write

_PRIVATE = "conformance.exports._"


def _private_names(tree: ast.Module) -> set[str]:
    """Names a test module binds to private modules (or their contents) of the exports."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if node.module.startswith(_PRIVATE) or (
                    node.module == "conformance.exports" and alias.name.startswith("_")
                ):
                    names.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(_PRIVATE) and alias.asname:
                    names.add(alias.asname)
    return names


def _root(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def private_patches(source: str) -> list[int]:
    """Lines where ``source`` patches a private name of conformance.exports."""
    tree = ast.parse(source)
    private = _private_names(tree)
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name not in {"setattr", "delattr", "patch", "object"}:
            continue
        target = node.args[0]
        if isinstance(target, ast.Constant) and isinstance(target.value, str):
            if target.value.startswith(_PRIVATE):
                lines.append(node.lineno)
        elif _root(target) in private or "conformance.exports._" in ast.unparse(target):
            lines.append(node.lineno)
    return lines


def test_no_test_patches_private_names_of_the_exports() -> None:
    found = {}
    for path in sorted((ROOT / "tests").rglob("*.py")):
        lines = private_patches(path.read_text(encoding="utf-8"))
        if lines:
            found[path.relative_to(ROOT).as_posix()] = lines
    assert not found, f"tests patch private names of conformance.exports: {found}"


def test_the_guard_sees_a_patch() -> None:
    """The guard above can fail: each way a private name may be patched is seen."""
    seen = private_patches(
        "from conformance.exports import _readers\n"
        "from conformance.exports._validate import Checker as C\n"
        "import conformance.exports._parallel as par\n"
        "def test(monkeypatch):\n"
        "    monkeypatch.setattr(_readers, 'CSV_BLOCK', 1)\n"
        "    monkeypatch.setattr(C, 'flush', None)\n"
        "    monkeypatch.setattr(par.plan_ranges, 'x', 1)\n"
        "    monkeypatch.setattr('conformance.exports._encoding.CHUNK', 1)\n"
        "    monkeypatch.setattr(conformance.exports._compressed, 'X', 1)\n"
        "    monkeypatch.setenv('CONFORMANCE_EXACT_ONLY', '1')\n"
    )
    assert seen == [5, 6, 7, 8, 9]


def test_read_limits_changes_and_restores() -> None:
    assert current() == DEFAULTS == ReadLimits()
    with read_limits(record_bytes=4096, chunk_bytes=1000) as inside:
        assert current() is inside
        assert (inside.record_bytes, inside.chunk_bytes) == (4096, 1000)
        assert inside.csv_block_bytes == DEFAULTS.csv_block_bytes
        with read_limits(chunk_bytes=2000):
            assert (current().record_bytes, current().chunk_bytes) == (4096, 2000)
        assert current().chunk_bytes == 1000
    assert current() == DEFAULTS


def test_unknown_or_bad_limits_are_refused_by_name() -> None:
    with pytest.raises(TypeError, match="record_limit") as caught, read_limits(record_limit=1):
        pass
    assert "record_bytes" in str(caught.value)  # the known names are listed
    with pytest.raises(ValueError, match="chunk_bytes"):
        ReadLimits(chunk_bytes=0)
    with (
        pytest.raises(ValueError, match="record_bytes"),
        read_limits(record_bytes=1.5),  # type: ignore[arg-type]
    ):
        pass
    assert current() == DEFAULTS


def _records(count: int, big_every: int) -> bytes:
    lines = []
    for number in range(count):
        note = "n" * (3000 if number % big_every == 0 else 10)
        lines.append(json.dumps(rec(number, note=note), ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_a_limit_is_read_when_the_reading_starts(tmp_path: Path) -> None:
    spec = make_spec(tmp_path / "std", "jsonl")
    path = write(tmp_path / "a.jsonl", _records(400, 50))
    plain = validate_export(spec, path)
    assert plain.counts[(RECORDS, "record-too-large")] == 0
    with read_limits(record_bytes=2048):
        lowered = validate_export(spec, path)
    assert lowered.counts[(RECORDS, "record-too-large")] == 8
    assert "larger than 2 KiB" in next(
        i.message for i in lowered.issues if i.kind == "record-too-large"
    )
    assert validate_export(spec, path).counts == plain.counts  # restored


def test_jobs_workers_read_with_the_parents_limits(tmp_path: Path) -> None:
    spec = make_spec(tmp_path / "std", "jsonl")
    path = write(tmp_path / "a.jsonl", _records(2000, 50))
    with read_limits(record_bytes=2048, min_range_bytes=16 * 1024):
        one = validate_export(spec, path)
        two = validate_export(spec, path, jobs=2)
    assert one.counts[(RECORDS, "record-too-large")] == 40
    assert one.counts == two.counts
    assert [(i.kind, i.line) for i in one.issues] == [(i.kind, i.line) for i in two.issues]
