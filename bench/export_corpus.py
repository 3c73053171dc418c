#!/usr/bin/env python3
"""Benchmark: export validation on a corpus of six record schemas, every schema x format.

The corpus (``bench/corpus_schemas.py``, written out to ``bench/corpus/<name>/``): a DCAT-like
dataset entry (root ``$id``, ``$defs``, uri and email fields, arrays), a resident record
(``oneOf``, check characters), an organisation contact (uri, email, nested address), a
purchase order (an array of line objects each holding an array), a 60-column statistical
record, a service event (date-times, enums, uuid). Each has a record schema, a flat CSV schema
(nested objects become prefixed columns; the order's lines become one row each) and an XSD.

For every schema it generates N records with 1% single-fault records as JSON Lines, CSV and
XML, then measures, each in its own subprocess, the format's floor (orjson parsing, the csv
module, lxml iterparse) and this suite (``validate_export``), ``--repeat`` times each (5 by
default), alternating floor and suite: records per CPU second of the median process's own work
(imports excluded), the ratio suite/floor, the highest peak RSS of the suite's processes, and the
errors found against the errors seeded (they must be equal). The worst ratio per format is
printed first, then the table. Each export also pays a cost per file that does not grow with its
records (compiling the schema, first uses in a fresh process): the table's ``file ms`` is the
suite's CPU time on a FIXED_RECORDS-record file of the same schema and format (one seeded
fault), median of ``--repeat`` processes. The ratios measure throughput, so the default size is
100,000 records (the size the issue measured at), where that cost weighs a few percent; at
50,000 it weighs about twice as much. ``--cli N`` also runs the ``conformance run`` command line on
N records of one schema per format and reports that process's peak RSS (``ru_maxrss``).
``--open`` measures the schemas with their objects left open (every ``additionalProperties:
false`` removed), as most published schemas are; no seeded fault is an extra member.
``--generated`` writes every JSON record schema (the flat CSV ones too) as schema generators
do: each optional scalar leaf ``anyOf: [leaf, {"type": "null"}]``, each
``additionalProperties: false`` an ``unevaluatedProperties: false``.

    python bench/export_corpus.py [--records N] [--schemas a,b] [--formats jsonl,csv,xml]
                                  [--repeat N] [--cli N] [--cli-schema NAME] [--write-corpus]
                                  [--open | --generated]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from corpus_schemas import CORPUS, CorpusSchema  # noqa: E402

CORPUS_DIR = ROOT / "bench" / "corpus"
INVALID_SHARE = 100
FIXED_RECORDS = 100  # the small file whose CPU time is the cost per file
TARGETS = {"jsonl": 0.40, "csv": 0.30, "xml": 0.60}
FLOORS = {"jsonl": "orjson", "csv": "csv module", "xml": "iterparse"}
FORMATS = ("jsonl", "csv", "xml")
TIMEOUT_S = 900
XSD_FORMATS = {"date", "date-time"}  # XSD types check these; the others go to field_formats

# ---------------------------------------------------------------- schema derivation


def pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def singular(name: str) -> str:
    return name[:-1] if name.endswith("s") else name + "_item"


def resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def namespace(cs: CorpusSchema) -> str:
    return f"urn:bench-corpus:{cs.name}:1"


def _joined_pattern(items: dict[str, Any], low: int, high: int | None) -> str:
    if "enum" in items:
        one = "(?:" + "|".join(re.escape(v) for v in items["enum"]) + ")"
    else:
        one = f"[^;]{{{items.get('minLength', 0)},{items.get('maxLength', 100)}}}"
    more = "*" if high is None else f"{{0,{high - 1}}}"
    body = f"{one}(?:;{one}){more}"
    return f"^{body}$" if low >= 1 else f"^(?:{body})?$"


def flat_columns(cs: CorpusSchema) -> tuple[dict[str, Any], list[str]]:
    """The flat schema's properties and required columns."""
    root = cs.schema
    properties: dict[str, Any] = {}
    required: list[str] = []

    def walk(node: dict[str, Any], prefix: str, needed: bool) -> None:
        node = resolve(root, node)
        for name, sub in node["properties"].items():
            sub = resolve(root, sub)
            column = prefix + name
            here = needed and name in node.get("required", [])
            if sub.get("type") == "object":
                walk(sub, column + "_", here)
            elif sub.get("type") == "array":
                items = resolve(root, sub["items"])
                if name == cs.explode:
                    walk(items, "", True)
                elif items.get("type") == "object":
                    walk(items, singular(column) + "_", here and sub.get("minItems", 0) > 0)
                else:
                    low = sub.get("minItems", 0)
                    properties[column] = {
                        "type": "string",
                        "pattern": _joined_pattern(items, low, sub.get("maxItems")),
                    }
                    if here and low > 0:
                        required.append(column)
            else:
                properties[column] = dict(sub)
                if here:
                    required.append(column)

    walk(root, "", True)
    return properties, required


def flat_schema(cs: CorpusSchema) -> dict[str, Any]:
    properties, required = flat_columns(cs)
    schema: dict[str, Any] = {
        "$schema": cs.schema["$schema"],
        "$id": cs.schema["$id"].replace(".schema.json", "-flat.schema.json"),
        "title": cs.schema["title"] + ", flat CSV row",
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
    }
    if "oneOf" in cs.schema:
        schema["oneOf"] = cs.schema["oneOf"]
    return schema


def flatten(cs: CorpusSchema, record: dict[str, Any]) -> list[dict[str, Any]]:
    """A record as its CSV rows (one, or one per exploded item)."""
    root = cs.schema
    base: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []

    def walk(node: dict[str, Any], value: dict[str, Any], prefix: str, out: dict[str, Any]):
        node = resolve(root, node)
        for name, sub in node["properties"].items():
            sub = resolve(root, sub)
            if name not in value:
                continue
            column, item = prefix + name, value[name]
            if sub.get("type") == "object":
                walk(sub, item, column + "_", out)
            elif sub.get("type") == "array":
                items = resolve(root, sub["items"])
                if name == cs.explode:
                    rows.extend(item)
                elif items.get("type") == "object":
                    if item:
                        walk(items, item[0], singular(column) + "_", out)
                else:
                    out[column] = ";".join(str(v) for v in item)
            else:
                out[column] = item

    walk(root, record, "", base)
    if cs.explode is None:
        return [base]
    items = resolve(root, resolve(root, root["properties"][cs.explode])["items"])
    result = []
    for line in rows:
        row = dict(base)
        walk(items, line, "", row)
        result.append(row)
    return result


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


_DATE_PATTERN = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_OFFSET = (
    "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+\\-][0-9]{2}:[0-9]{2})"
)


def _simple_type(node: dict[str, Any]) -> str:
    facets: list[str] = []
    kind = node.get("type")
    fmt = node.get("format")
    if kind == "integer":
        base = "xs:integer"
    elif kind == "number":
        base = "xs:decimal"
    elif fmt == "date":
        base, facets = "xs:date", [f'<xs:pattern value="{_DATE_PATTERN}"/>']
    elif fmt == "date-time":
        base, facets = "xs:dateTime", [f'<xs:pattern value="{escape(_OFFSET)}"/>']
    else:
        base = "xs:string"
    if "minimum" in node:
        facets.append(f'<xs:minInclusive value="{node["minimum"]}"/>')
    if "maximum" in node:
        facets.append(f'<xs:maxInclusive value="{node["maximum"]}"/>')
    if "minLength" in node:
        facets.append(f'<xs:minLength value="{node["minLength"]}"/>')
    if "maxLength" in node:
        facets.append(f'<xs:maxLength value="{node["maxLength"]}"/>')
    if "pattern" in node:
        pattern = node["pattern"].removeprefix("^").removesuffix("$")
        facets.append(f'<xs:pattern value="{escape(pattern)}"/>')
    for value in node.get("enum", ()):
        facets.append(f'<xs:enumeration value="{escape(str(value))}"/>')
    if not facets:
        return f' type="{base}"/>'
    inner = "".join(facets)
    return f'><xs:simpleType><xs:restriction base="{base}">{inner}</xs:restriction></xs:simpleType></xs:element>'  # noqa: E501


def xsd(cs: CorpusSchema) -> tuple[str, dict[str, str]]:
    """The XSD text and the manifest's field_formats."""
    root = cs.schema
    formats: dict[str, str] = {}

    def element(name: str, node: dict[str, Any], low: int, high: str, path: str) -> str:
        node = resolve(root, node)
        occurs = (f' minOccurs="{low}"' if low != 1 else "") + (
            f' maxOccurs="{high}"' if high != "1" else ""
        )
        head = f'<xs:element name="{name}"{occurs}'
        if node.get("type") == "object":
            return (
                head + f"><xs:complexType>{content(node, path + '/')}</xs:complexType></xs:element>"
            )
        if node.get("type") == "array":
            items = node["items"]
            child = pascal(singular(path.rsplit("/", 1)[-1] and _json_name(name)))
            inner = element(
                child,
                items,
                node.get("minItems", 0),
                str(node["maxItems"]) if "maxItems" in node else "unbounded",
                f"{path}/{child}",
            )
            sequence = f"<xs:sequence>{inner}</xs:sequence>"
            return head + f"><xs:complexType>{sequence}</xs:complexType></xs:element>"
        fmt = node.get("format")
        if fmt and fmt not in XSD_FORMATS:
            formats[path] = fmt
        return head + _simple_type(node)

    def content(node: dict[str, Any], prefix: str) -> str:
        branches = [b["required"] for b in node.get("oneOf", ())]
        in_branch = {n for b in branches for n in b}
        required = set(node.get("required", ()))
        parts = []
        for name, sub in node["properties"].items():
            if name not in in_branch:
                low = 1 if name in required else 0
                parts.append(element(pascal(name), sub, low, "1", prefix + pascal(name)))
        if branches:
            choice = "".join(
                "<xs:sequence>"
                + "".join(
                    element(pascal(n), node["properties"][n], 1, "1", prefix + pascal(n))
                    for n in branch
                )
                + "</xs:sequence>"
                for branch in branches
            )
            parts.append(f"<xs:choice>{choice}</xs:choice>")
        return "<xs:sequence>" + "".join(parts) + "</xs:sequence>"

    record = content(root, "")
    ns = namespace(cs)
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<!-- {escape(cs.schema['title'])}: derived from {cs.schema['$id']}. -->\n"
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:r="{ns}" '
        f'targetNamespace="{ns}" elementFormDefault="qualified">\n'
        f'<xs:element name="{cs.record_element}s"><xs:complexType><xs:sequence>'
        f'<xs:element ref="r:{cs.record_element}" minOccurs="0" maxOccurs="unbounded"/>'
        "</xs:sequence></xs:complexType></xs:element>\n"
        f'<xs:element name="{cs.record_element}"><xs:complexType>{record}'
        "</xs:complexType></xs:element>\n</xs:schema>\n"
    )
    text = text.replace("><xs:", ">\n<xs:").replace("></xs:", ">\n</xs:")
    return text, formats


_NAMES: dict[str, str] = {}


def _json_name(element: str) -> str:
    return _NAMES.get(element, element)


def xml_record(cs: CorpusSchema, record: dict[str, Any]) -> str:
    root = cs.schema
    parts: list[str] = []

    def value(name: str, node: dict[str, Any], item: Any) -> None:
        node = resolve(root, node)
        tag = pascal(name)
        if node.get("type") == "object":
            parts.append(f"<{tag}>")
            fields(node, item)
            parts.append(f"</{tag}>")
        elif node.get("type") == "array":
            parts.append(f"<{tag}>")
            for element in item:
                value(singular(name), node["items"], element)
            parts.append(f"</{tag}>")
        else:
            parts.append(f"<{tag}>{escape(str(item))}</{tag}>")

    def fields(node: dict[str, Any], item: dict[str, Any]) -> None:
        branch = {n for b in node.get("oneOf", ()) for n in b["required"]}
        for name, sub in node["properties"].items():
            if name not in branch and name in item:
                value(name, sub, item[name])
        for name in node["properties"]:
            if name in branch and name in item:
                value(name, node["properties"][name], item[name])

    parts.append(f"<{cs.record_element}>")
    fields(root, record)
    parts.append(f"</{cs.record_element}>")
    return "  " + "".join(parts) + "\n"


def _register_names() -> None:
    for cs in CORPUS:
        for node in [cs.schema, *cs.schema.get("$defs", {}).values()]:
            for name in node.get("properties", {}):
                _NAMES[pascal(name)] = name


_register_names()

# ---------------------------------------------------------------- corpus files and manifest


def corpus_files(cs: CorpusSchema) -> dict[str, str]:
    text, _ = xsd(cs)
    files = {
        "record.schema.json": json.dumps(cs.schema, ensure_ascii=False, indent=2) + "\n",
        "record.xsd": text,
    }
    if cs.explode or any(
        resolve(cs.schema, p).get("type") in ("object", "array")
        for p in cs.schema["properties"].values()
    ):
        files["flat.schema.json"] = json.dumps(flat_schema(cs), ensure_ascii=False, indent=2) + "\n"
    return files


def write_corpus() -> None:
    for cs in CORPUS:
        folder = CORPUS_DIR / cs.name
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in corpus_files(cs).items():
            (folder / name).write_text(text, encoding="utf-8")


def check_corpus() -> list[str]:
    """Names of committed corpus files that differ from what the code derives."""
    stale = []
    for cs in CORPUS:
        for name, text in corpus_files(cs).items():
            path = CORPUS_DIR / cs.name / name
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path.relative_to(ROOT)))
    return stale


def _keys(cs: CorpusSchema, fmt: str) -> list[str]:
    if fmt == "xml":
        return [pascal(cs.key)]
    if fmt == "csv" and cs.explode and cs.line_key:
        return [cs.key, cs.line_key]
    return [cs.key]


def standard_folder(base: Path, cs: CorpusSchema) -> Path:
    """bench.<name>@1.0.0: an exports-only standard of the three exports."""
    folder = base / f"bench.{cs.name}" / "1.0.0"
    (folder / "schemas").mkdir(parents=True, exist_ok=True)
    files = corpus_files(cs)
    for name, text in files.items():
        (folder / "schemas" / name).write_text(text, encoding="utf-8")
    flat = "flat.schema.json" if "flat.schema.json" in files else "record.schema.json"
    _, field_formats = xsd(cs)
    formats = "".join(f"\n      {path}: {fmt}" for path, fmt in field_formats.items())
    manifest = f"""\
id: bench.{cs.name}
version: 1.0.0
title: {{zh-CN: 基准语料 {cs.name}, en: Benchmark corpus {cs.name}}}
summary: {{zh-CN: 基准语料, en: {json.dumps(cs.title)}}}
status: published
dates: {{published: '2026-12-01', effective: '2026-12-01'}}
owner: {{name: {{zh-CN: 基准, en: Benchmark}}}}
requirements:
  - id: B-EXP-001
    level: MUST
    verification: automated
    checks: [export_records]
    text: {{zh-CN: 每条记录符合记录结构, en: Every record conforms to the record schema}}
  - id: B-EXP-002
    level: MUST
    verification: automated
    checks: [export_encoding]
    text: {{zh-CN: 编码, en: Encoding}}
  - id: B-EXP-003
    level: MUST
    verification: automated
    checks: [export_unique_keys]
    text: {{zh-CN: 主键唯一, en: Keys are unique}}
exports:
  - name: {cs.name}-jsonl
    title: {{zh-CN: {cs.name}, en: {cs.name}}}
    format: jsonl
    schema: schemas/record.schema.json
    key: {json.dumps(_keys(cs, "jsonl"))}
    clauses: [B-EXP-001, B-EXP-002, B-EXP-003]
  - name: {cs.name}-csv
    title: {{zh-CN: {cs.name}, en: {cs.name}}}
    format: csv
    schema: schemas/{flat}
    csv: {{delimiter: ',', empty: absent}}
    key: {json.dumps(_keys(cs, "csv"))}
    clauses: [B-EXP-001, B-EXP-002, B-EXP-003]
  - name: {cs.name}-xml
    title: {{zh-CN: {cs.name}, en: {cs.name}}}
    format: xml
    schema: schemas/record.xsd
    record_element: {cs.record_element}
    field_formats:{formats or " {}"}
    key: {json.dumps(_keys(cs, "xml"))}
    clauses: [B-EXP-001, B-EXP-002, B-EXP-003]
"""
    (folder / "standard.yaml").write_text(manifest, encoding="utf-8")
    return folder


def open_objects(folder: Path) -> None:
    """Remove every ``additionalProperties: false`` from the JSON schemas in ``folder``."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("additionalProperties") is False:
                del node["additionalProperties"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in folder.glob("*.schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        walk(schema)
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=2), encoding="utf-8")


def generated_idioms(path: Path) -> None:
    """Rewrite a record schema as generators write them: each optional property holding a
    scalar leaf becomes ``anyOf: [leaf, {"type": "null"}]``, each ``additionalProperties:
    false`` an ``unevaluatedProperties: false``."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("additionalProperties") is False:
                del node["additionalProperties"]
                node["unevaluatedProperties"] = False
            properties = node.get("properties")
            if isinstance(properties, dict):
                required = set(node.get("required") or [])
                for name, sub in properties.items():
                    scalar = isinstance(sub, dict) and sub.get("type") in SCALARS
                    if name not in required and scalar:
                        properties[name] = {"anyOf": [sub, {"type": "null"}]}
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    schema = json.loads(path.read_text(encoding="utf-8"))
    walk(schema)
    path.write_text(json.dumps(schema, ensure_ascii=False, indent=2), encoding="utf-8")


SCALARS = ("string", "integer", "number", "boolean")


# ---------------------------------------------------------------- generation


def generate(cs: CorpusSchema, folder: Path, count: int, seed: int = 1) -> dict[str, Any]:
    """Write <name>.jsonl, .csv and .xml; return the seeded errors per format."""
    rng = random.Random(f"{seed}:{cs.name}")
    faults = list(cs.faults)
    columns = list(flat_columns(cs)[0])
    seeded = {"jsonl": 0, "csv": 0, "xml": 0}
    rows = 0
    by_fault = dict.fromkeys(faults, 0)
    with (
        (folder / f"{cs.name}.jsonl").open("w", encoding="utf-8") as jsonl,
        (folder / f"{cs.name}.csv").open("w", encoding="utf-8", newline="") as csv_file,
        (folder / f"{cs.name}.xml").open("w", encoding="utf-8") as xml,
    ):
        writer = csv.writer(csv_file, lineterminator="\n")
        writer.writerow(columns)
        xml.write(
            f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<{cs.record_element}s xmlns="{namespace(cs)}">\n'
        )
        for number in range(1, count + 1):
            record = cs.generate(rng, number)
            if number % INVALID_SHARE == 50:
                fault = faults[(number // INVALID_SHARE) % len(faults)]
                cs.faults[fault](record)
                by_fault[fault] += 1
                for fmt in seeded:
                    seeded[fmt] += 1
            jsonl.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            flat = flatten(cs, record)
            rows += len(flat)
            writer.writerows([_cell(row.get(c)) for c in columns] for row in flat)
            xml.write(xml_record(cs, record))
        xml.write(f"</{cs.record_element}s>\n")
    return {"seeded": seeded, "by_fault": by_fault, "records": count, "csv_rows": rows}


# ---------------------------------------------------------------- measured tools (children)


def tool_floor_jsonl(path: Path, _spec: Any) -> tuple[int, int]:
    import orjson

    count = 0
    with path.open("rb") as stream:
        for line in stream:
            orjson.loads(line)
            count += 1
    return count, 0


def tool_floor_csv(path: Path, _spec: Any) -> tuple[int, int]:
    with path.open(encoding="utf-8", newline="") as stream:
        count = sum(1 for _ in csv.reader(stream)) - 1
    return count, 0


def tool_floor_xml(path: Path, spec: Any) -> tuple[int, int]:
    from lxml import etree

    count = 0
    name = spec.name.rsplit("-", 1)[0]
    cs = next(c for c in CORPUS if c.name == name)
    tag = f"{{{namespace(cs)}}}{cs.record_element}"
    for _, element in etree.iterparse(str(path), events=("end",), tag=tag):
        count += 1
        element.clear(keep_tail=True)
        while element.getprevious() is not None:
            del element.getparent()[0]
    return count, 0


def tool_suite(path: Path, spec: Any) -> tuple[int, int]:
    from conformance.exports import Severity, validate_export

    report = validate_export(spec, path)
    errors = sum(n for key, n in report.counts.items() if report.severities[key] is Severity.ERROR)
    return report.records, errors


def _child(tool: str, standards: str, name: str, fmt: str, path: str, profile: str) -> None:
    sys.path.insert(0, str(ROOT))
    from conformance._process import single_threaded_blas

    # every child's process set up as the ``conformance`` program sets its own up
    single_threaded_blas()
    import conformance.exports
    import conformance.formats
    import conformance.standards.loader
    import conformance.validation  # noqa: F401
    from conformance.standards.loader import load_standard

    spec = load_standard(Path(standards) / f"bench.{name}" / "1.0.0").export(f"{name}-{fmt}")
    function = globals()[f"tool_{tool}"]
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    wall, cpu = time.perf_counter(), time.process_time()
    records, errors = function(Path(path), spec)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if profile:
        profiler.disable()
        profiler.dump_stats(profile)
    with open("/proc/self/status", encoding="ascii") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(
        json.dumps(
            {"records": records, "errors": errors, "cpu": cpu, "wall": wall, "peak_mb": kib / 1024}
        )
    )


def _run(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """One process; its CPU time and peak RSS from ``wait4``."""
    import threading

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=ROOT, env=env)
        timer = threading.Timer(TIMEOUT_S, process.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {
            "code": code,
            "wall_s": time.perf_counter() - started,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "maxrss_mb": usage.ru_maxrss / 1024,
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace")[-600:],
        }


def measure(
    tool: str, standards: Path, cs: CorpusSchema, fmt: str, path: Path, profile: str = ""
) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        tool,
        str(standards),
        cs.name,
        fmt,
        str(path),
        profile,
    ]
    result = _run(command)
    if result["code"] != 0:
        return {"failed": f"exit {result['code']}: {result['stderr'][-300:]}"}
    return json.loads(result["stdout"].strip().splitlines()[-1])


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median CPU time (a failed run fails the measurement); its peak RSS is
    the highest of all the runs."""
    failed = [run for run in runs if "failed" in run]
    if failed:
        return failed[0]
    ordered = sorted(runs, key=lambda run: run["cpu"])
    median = dict(ordered[(len(ordered) - 1) // 2])
    median["peak_mb"] = max(run["peak_mb"] for run in runs)
    median["cpus"] = [round(run["cpu"], 4) for run in runs]
    return median


# ---------------------------------------------------------------- the command line run


def cli_run(cs: CorpusSchema, fmt: str, count: int, work: Path, standards: Path) -> dict[str, Any]:
    """``conformance run`` on one export of ``count`` records; the CLI process's peak RSS."""
    folder = work / f"cli-{cs.name}-{count}"
    folder.mkdir(exist_ok=True)
    if not (folder / f"{cs.name}.{fmt}").exists():
        print(f"  generating {count:,} {cs.name} records for the CLI run ...", flush=True)
        generate(cs, folder, count)
    candidate = folder / f"candidate-{fmt}.yaml"
    candidate.write_text(
        "identity: {vendor: bench, system: corpus, version: '1'}\n"
        f"claims:\n  - standard: bench.{cs.name}@1.0.0\n"
        f"    exports: {{{cs.name}-{fmt}: {folder / f'{cs.name}.{fmt}'}}}\n",
        encoding="utf-8",
    )
    reports = folder / f"reports-{fmt}"
    shutil.rmtree(reports, ignore_errors=True)
    executable = Path(sys.executable).with_name("conformance")
    command = [
        str(executable),
        "run",
        "--standards",
        str(standards),
        "--standard",
        f"bench.{cs.name}@1.0.0",
        "--candidate",
        str(candidate),
        "--reports-dir",
        str(reports),
        "--lang",
        "en",
        "--run-id",
        f"bench-{fmt}",
    ]
    result = _run(command, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    errors = None
    for results in reports.glob("*/results.json"):
        data = json.loads(results.read_text(encoding="utf-8"))
        errors = _errors_in_results(data, f"export {cs.name}-{fmt}")
    return {
        "schema": cs.name,
        "fmt": fmt,
        "records": count,
        "seeded": count // INVALID_SHARE,
        "code": result["code"],
        "wall_s": result["wall_s"],
        "cpu_s": result["cpu_s"],
        "maxrss_mb": result["maxrss_mb"],
        "errors": errors,
        "stderr": result["stderr"][-300:] if result["code"] not in (0, 1) else "",
    }


def _errors_in_results(data: dict[str, Any], target: str) -> int | None:
    """The errors results.json counts on one export (records, keys, encoding)."""
    counts = [
        int(failure.get("count", 0))
        for result in data.get("results", [])
        if result.get("target") == target
        for failure in result.get("failures") or []
    ]
    return sum(counts) if counts else None


# ---------------------------------------------------------------- main


def _machine() -> list[str]:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    return [
        f"date: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}",
        f"machine: {os.cpu_count()} CPUs (nproc), {cpu}, {platform.platform()}",
        f"python: {platform.python_version()}",
        f"uptime: {uptime}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--schemas", help="comma-separated schema names (default: all six)")
    parser.add_argument("--formats", default="jsonl,csv,xml")
    parser.add_argument(
        "--cli",
        type=int,
        default=0,
        metavar="N",
        help="also run the CLI on N records of one schema per format",
    )
    parser.add_argument("--cli-schema", default="order")
    parser.add_argument("--profile", metavar="DIR", help="write cProfile stats of suite runs")
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        metavar="N",
        help="processes per tool and file, alternated; the median CPU time counts (default 5)",
    )
    parser.add_argument("--keep", type=Path, metavar="DIR", help="generate into DIR, keep it")
    parser.add_argument("--json", type=Path, metavar="PATH")
    parser.add_argument("--write-corpus", action="store_true", help="rewrite bench/corpus/")
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument(
        "--open", action="store_true", help="objects left open (no additionalProperties: false)"
    )
    shape.add_argument(
        "--generated",
        action="store_true",
        help="record schemas as generators write them (nullable optional leaves, "
        "unevaluatedProperties: false)",
    )
    parser.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0
    if args.write_corpus:
        write_corpus()
        print(f"wrote {CORPUS_DIR.relative_to(ROOT)}/")
        return 0
    stale = check_corpus()
    if stale:
        print(f"bench/corpus differs from bench/corpus_schemas.py: {stale}; run --write-corpus")
        return 2
    names = args.schemas.split(",") if args.schemas else [c.name for c in CORPUS]
    chosen = [c for c in CORPUS if c.name in names]
    formats = [f for f in args.formats.split(",") if f in FORMATS]
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-corpus-"))
    work.mkdir(parents=True, exist_ok=True)
    standards = work / "standards"
    for cs in CORPUS:
        folder = standard_folder(standards, cs)
        if args.open:
            open_objects(folder / "schemas")
        if args.generated:
            for path in sorted((folder / "schemas").glob("*.schema.json")):
                generated_idioms(path)
    head = _machine()
    head.append(
        "processes: set up as the conformance program sets its own (numpy's OpenBLAS one thread)"
    )
    if args.open:
        head.append("schemas: objects left open (every additionalProperties: false removed)")
    if args.generated:
        head.append(
            "schemas: JSON schemas as generated (optional scalar leaves anyOf [leaf, null], "
            "unevaluatedProperties: false)"
        )
    for line in head:
        print(line, flush=True)
    rows: list[dict[str, Any]] = []
    status = 0
    try:
        for cs in chosen:
            folder = work / f"{cs.name}-{args.records}"
            folder.mkdir(exist_ok=True)
            seeded = generate(cs, folder, args.records)
            small = work / f"{cs.name}-{FIXED_RECORDS}"
            small.mkdir(exist_ok=True)
            generate(cs, small, FIXED_RECORDS)
            print(
                f"{cs.name}: {args.records:,} records, {seeded['csv_rows']:,} CSV rows, "
                f"seeded {seeded['seeded']['jsonl']} ({seeded['by_fault']})",
                flush=True,
            )
            for fmt in formats:
                path = folder / f"{cs.name}.{fmt}"
                profile = ""
                if args.profile:
                    Path(args.profile).mkdir(parents=True, exist_ok=True)
                    profile = str(Path(args.profile) / f"{cs.name}-{fmt}.prof")
                floors, suites = [], []
                for _ in range(args.repeat):  # alternated: a load change hits both alike
                    floors.append(measure(f"floor_{fmt}", standards, cs, fmt, path))
                    suites.append(measure("suite", standards, cs, fmt, path, profile))
                floor, suite = _median_run(floors), _median_run(suites)
                small_path = small / f"{cs.name}.{fmt}"
                fixed = _median_run(
                    [measure("suite", standards, cs, fmt, small_path) for _ in range(args.repeat)]
                )
                row = {
                    "schema": cs.name,
                    "fmt": fmt,
                    "records": suite.get("records"),
                    "floor_cpu": floor.get("cpu"),
                    "suite_cpu": suite.get("cpu"),
                    "peak_mb": suite.get("peak_mb"),
                    "file_ms": 1000 * fixed["cpu"] if "cpu" in fixed else None,
                    "floor_cpus": floor.get("cpus"),
                    "suite_cpus": suite.get("cpus"),
                    "errors": suite.get("errors"),
                    "seeded": seeded["seeded"][fmt],
                    "failed": suite.get("failed") or floor.get("failed"),
                }
                if row["floor_cpu"] and row["suite_cpu"]:
                    row["ratio"] = row["floor_cpu"] / row["suite_cpu"]
                    row["rate"] = (row["records"] or 0) / row["suite_cpu"]
                    row["floor_rate"] = floor["records"] / row["floor_cpu"]
                rows.append(row)
                print("  " + _line(row), flush=True)
                status |= bool(row["failed"]) or row["errors"] != row["seeded"]
        cli_rows = []
        if args.cli:
            cs = next(c for c in CORPUS if c.name == args.cli_schema)
            for fmt in formats:
                cli_rows.append(cli_run(cs, fmt, args.cli, work, standards))
                print("  cli " + json.dumps(cli_rows[-1]), flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    tail = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print()
    print(report(head, rows, cli_rows, args.records, tail))
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "cli": cli_rows}, indent=2), "utf-8")
    return 1 if status else 0


def _line(row: dict[str, Any]) -> str:
    if row.get("failed"):
        return f"{row['schema']:<8} {row['fmt']:<5} FAILED {row['failed']}"
    ratio = row.get("ratio", 0.0)
    target = TARGETS[row["fmt"]]
    verdict = "ok" if ratio >= target else f"BELOW target {target:.2f} by {target - ratio:.3f}"
    exact = "exact" if row["errors"] == row["seeded"] else "NOT EXACT"
    return (
        f"{row['schema']:<8} {row['fmt']:<5} {row['records']:>9,} {row['rate']:>11,.0f} "
        f"{row['floor_rate']:>11,.0f} {ratio:>6.2f} {row['peak_mb']:>7.0f} "
        f"{_ms(row.get('file_ms')):>7} {row['errors']:>7}/{row['seeded']:<7} {exact:<9} {verdict}"
    )


def _spread(row: dict[str, Any]) -> str:
    def span(cpus: list[float]) -> str:
        return f"{1000 * min(cpus):.1f}-{1000 * max(cpus):.1f}"

    return (
        f"  {row['schema']:<8} {row['fmt']:<5} floor {span(row['floor_cpus']):>13}   "
        f"suite {span(row['suite_cpus']):>13}"
    )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def report(
    head: list[str],
    rows: list[dict[str, Any]],
    cli_rows: list[dict[str, Any]],
    records: int,
    tail: str,
) -> str:
    out = []
    out.append("WORST RATIO PER FORMAT (suite CPU rate / floor CPU rate, same file, same run)")
    for fmt in FORMATS:
        mine = [r for r in rows if r["fmt"] == fmt and r.get("ratio")]
        if not mine:
            continue
        worst = min(mine, key=lambda r: r["ratio"])
        target = TARGETS[fmt]
        met = (
            "met"
            if worst["ratio"] >= target
            else f"NOT met, short by {target - worst['ratio']:.3f}"
        )
        out.append(
            f"  {fmt:<5} worst {worst['ratio']:.3f} ({worst['schema']}) against {FLOORS[fmt]}; "
            f"target {target:.2f}: {met}"
        )
    out.append("")
    out.append(f"{records:,} records per schema, 1% with one seeded error each")
    header = (
        f"{'schema':<8} {'fmt':<5} {'records':>9} {'suite r/s':>11} {'floor r/s':>11} "
        f"{'ratio':>6} {'peak MB':>7} {'file ms':>7} {'errors/seeded':>15} {'':<9} target"
    )
    out.append(header)
    out.append("-" * len(header))
    out.extend(_line(r) for r in rows)
    out.append(
        f"file ms: the suite's CPU time on a {FIXED_RECORDS}-record file of the same schema and "
        "format (one seeded fault), paid once per export whatever its size"
    )
    out.append("")
    out.append("spread: CPU ms of each tool's processes, lowest to highest (the median counts)")
    out.extend(_spread(r) for r in rows if r.get("floor_cpus") and r.get("suite_cpus"))
    if cli_rows:
        out.append("")
        out.append("command line (`conformance run`, its own peak RSS from wait4)")
        for c in cli_rows:
            found = "" if c["errors"] is None else f", errors {c['errors']}/{c['seeded']}"
            note = f" {c['stderr']}" if c["stderr"] else ""
            out.append(
                f"  {c['schema']} {c['fmt']:<5} {c['records']:>9,} records: exit {c['code']}, "
                f"wall {c['wall_s']:.1f} s, cpu {c['cpu_s']:.1f} s, peak {c['maxrss_mb']:.0f} MB"
                f"{found}{note}"
            )
    out.append("")
    out.extend(head)
    out.append(f"uptime after: {tail}")
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
