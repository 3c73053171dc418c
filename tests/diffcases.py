"""Building pairs of standard versions from tests/data/diff: a base and JSON-pointer patches."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "diff"
BASE = DATA / "test.diff" / "1.0.0"


@dataclass(frozen=True)
class Case:
    rule: str
    file: str = "standard.yaml"
    patch: tuple[Any, ...] = ()
    both: tuple[Any, ...] = ()
    reverse: bool = False
    xpath: str | None = None
    also: tuple[str, ...] = ()  # other rules the pair may report (and no others)
    extra: dict[str, Any] = field(default_factory=dict)


def load_cases() -> list[Case]:
    raw = yaml.safe_load((DATA / "cases.yaml").read_text(encoding="utf-8"))
    cases = []
    from conformance.standards.diff import RULES

    for kind, value in raw["schema"].items():
        spec = value if isinstance(value, dict) else {"patch": value}
        for direction in ("input", "output"):
            if f"{direction}-{kind}" not in RULES:
                continue  # a kind of one direction only (XML order, readOnly, writeOnly)
            cases.append(
                Case(
                    f"{direction}-{kind}",
                    {"input": "schemas/in.schema.json", "output": "schemas/out.schema.json"}[
                        direction
                    ],
                    tuple(spec.get("patch", ())),
                    both=tuple(spec.get("both", ())),
                    reverse=bool(spec.get("reverse", False)),
                )
            )
    for item in raw["cases"]:
        cases.append(
            Case(
                rule=item["rule"],
                file=item.get("file", "standard.yaml"),
                patch=tuple(item.get("patch", ())),
                both=tuple(item.get("both", ())),
                reverse=bool(item.get("reverse", False)),
                xpath=item.get("xpath"),
                also=tuple(item.get("also", ())),
            )
        )
    return cases


def _tokens(pointer: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.lstrip("/").split("/")]


def apply_op(data: Any, op: dict[str, Any]) -> Any:
    *parents, last = _tokens(op["path"])
    node = data
    for token in parents:
        node = node[int(token)] if isinstance(node, list) else node[token]
    if op["op"] == "remove":
        if isinstance(node, list):
            node.pop(int(last))
        else:
            del node[last]
    elif isinstance(node, list):
        if last == "-":
            node.append(op["value"])
        elif op["op"] == "add":
            node.insert(int(last), op["value"])
        else:
            node[int(last)] = op["value"]
    else:
        if op["op"] == "replace":
            assert last in node, f"replace of a missing member {op['path']}"
        node[last] = op["value"]
    return data


def apply(folder: Path, file: str, patches: tuple[Any, ...]) -> None:
    if not patches:
        return
    path = folder / file
    text = path.read_text(encoding="utf-8")
    if all(p["op"] == "text" for p in patches):
        for p in patches:
            assert p["old"] in text, f"{p['old']!r} not in {file}"
            text = text.replace(p["old"], p["new"], 1)
        path.write_text(text, encoding="utf-8")
        return
    data = json.loads(text) if file.endswith(".json") else yaml.safe_load(text)
    for p in patches:
        data = apply_op(data, p)
    if file.endswith(".json"):
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def make_version(root: Path, version: str, source: Path = BASE) -> Path:
    folder = root / source.parent.name / version
    shutil.copytree(source, folder)
    manifest = folder / "standard.yaml"
    text = manifest.read_text(encoding="utf-8").replace("version: 1.0.0", f"version: {version}", 1)
    manifest.write_text(text, encoding="utf-8")
    return folder


def make_pair(
    root: Path,
    case: Case,
    old_version: str = "1.0.0",
    new_version: str = "2.0.0",
    source: Path = BASE,
) -> tuple[Path, Path]:
    old = make_version(root, old_version, source)
    new = make_version(root, new_version, source)
    for folder in (old, new):
        apply(folder, case.file, case.both)
    apply(old if case.reverse else new, case.file, case.patch)
    return old, new
