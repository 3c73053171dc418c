#!/usr/bin/env python3
"""Benchmark: this suite's export validation vs parsing alone and common validators.

Generates realistic licence records (the gov.e-licence 1.1.0 licence schema) with 1% seeded
invalid records, each with exactly one error (a wrong ID-number or credit-code check character,
an impossible date, an unknown status, a division code with no province, a missing field),
as JSON Lines, CSV (flattened: bench/licence-flat.schema.json) and XML (licences.xsd plus the
manifest's field_formats). Then, each in its own subprocess (peak RSS per tool), it measures

- the floors: orjson parsing alone (JSON Lines), the csv module (CSV), lxml iterparse (XML);
- this suite per format (``validate_export``; JSON Lines also with ``jobs=2``);
- peers, each optional (skipped with a note when not installed): python-jsonschema,
  jsonschema-rs, check-jsonschema (on a JSON array: it refuses JSON Lines), frictionless (CSV),
  lxml whole-document XSD.

Rates are records per CPU second of the tool's process (the machine may be shared); the
ratio is the tool's rate over its format's floor. Errors found are compared with the seeded
count. This is a script, not a test: see bench/README.md.

    python bench/exports.py [--records N] [--quick] [--json PATH] [--keep DIR]
    python bench/exports.py --corpus [options of bench/export_corpus.py]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[1]
LICENCE = ROOT / "standards" / "gov.e-licence" / "1.1.0"
FLAT_SCHEMA = ROOT / "bench" / "licence-flat.schema.json"
NAMESPACE = "urn:gov-conformance:e-licence:1"
INVALID_SHARE = 100  # one record in 100 is invalid
TIMEOUT_S = 3600

# ---------------------------------------------------------------- generation

_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_DIVISIONS = {
    "110105": "北京市朝阳区",
    "310115": "上海市浦东新区",
    "330106": "杭州市西湖区",
    "440305": "深圳市南山区",
    "510107": "成都市武侯区",
    "320102": "南京市玄武区",
    "370202": "青岛市市南区",
    "420106": "武汉市武昌区",
}
_TYPES = {
    "BL": ("营业执照", "organisation", "市场监督管理局", None),
    "FO": ("食品经营许可证", "organisation", "市场监督管理局", 5),
    "MP": ("医师执业证书", "person", "卫生健康局", None),
    "RP": ("居住证", "person", "公安分局", 1),
    "DC": ("中华人民共和国残疾人证", "person", "残疾人联合会", 10),
}
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁宋郑谢韩唐冯于董萧"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰晓雯浩宇欣怡子轩思远嘉诚"
_ORG = ["云帆", "嘉禾", "瑞丰", "同创", "恒信", "润泽", "启明", "华联", "鼎盛", "青禾"]
_TRADES = ["科技", "商贸", "餐饮", "食品", "物流", "信息技术", "文化传媒"]
FAULTS = ("id-check", "uscc-check", "date", "status", "division", "missing")


def _id_number(rng: random.Random, division: str) -> str:
    first = (
        f"{division}{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        f"{rng.randint(0, 999):03d}"
    )
    total = sum(int(c) * w for c, w in zip(first, _ID_WEIGHTS, strict=True))
    return first + "10X98765432"[total % 11]


def _uscc(rng: random.Random, division: str, authority: str = "9") -> str:
    first = authority + "1" + division + "".join(rng.choice(_USCC) for _ in range(9))
    total = sum(_USCC.index(c) * w for c, w in zip(first, _USCC_WEIGHTS, strict=True))
    return first + _USCC[(31 - total % 31) % 31]


def _wrong_check(value: str, alphabet: str) -> str:
    return value[:-1] + next(c for c in alphabet if c != value[-1])


def _issuers() -> dict[tuple[str, str], dict[str, str]]:
    rng = random.Random(2260)
    issuers = {}
    for division, place in _DIVISIONS.items():
        for authority in {t[2] for t in _TYPES.values()}:
            issuers[(division, authority)] = {
                "name": place + authority,
                "uscc": _uscc(rng, division, "1"),
            }
    return issuers


def licence(rng: random.Random, number: int, issuers: dict[Any, dict[str, str]]) -> dict[str, Any]:
    code = rng.choice(list(_TYPES))
    name, holder_kind, authority, years = _TYPES[code]
    division = rng.choice(list(_DIVISIONS))
    year = rng.randint(2000, 2025)
    issued = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if holder_kind == "person":
        person = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(2))
        holder = {"type": "person", "name": person, "id_number": _id_number(rng, division)}
    else:
        org = _DIVISIONS[division][:3] + rng.choice(_ORG) + rng.choice(_TRADES) + "有限公司"
        holder = {"type": "organisation", "name": org, "uscc": _uscc(rng, division)}
    return {
        "licence_id": f"{code}-{year}-{number % 1_000_000:06d}",  # six digits, still unique
        "licence_type": code,
        "name": name,
        "holder": holder,
        "issuer": dict(issuers[(division, authority)]),
        "division_code": division,
        "issue_date": issued,
        "valid_until": None if years is None else f"{year + years}{issued[4:]}",
        "status": rng.choice(("valid", "valid", "valid", "suspended", "revoked", "expired")),
        "updated_at": f"{issued}T{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}:00+08:00",
    }


def spoil(record: dict[str, Any], fault: str) -> None:
    """Exactly one error, found in every format (JSON Schema, flat CSV, XSD + formats)."""
    holder = record["holder"]
    if fault == "id-check":
        if "id_number" in holder:
            holder["id_number"] = _wrong_check(holder["id_number"], "0123456789X")
        else:
            holder["uscc"] = _wrong_check(holder["uscc"], _USCC)
    elif fault == "uscc-check":
        record["issuer"]["uscc"] = _wrong_check(record["issuer"]["uscc"], _USCC)
    elif fault == "date":
        record["issue_date"] = record["issue_date"][:5] + "02-30"
    elif fault == "status":
        record["status"] = "cancelled"
    elif fault == "division":
        record["division_code"] = "990101"
    else:
        del record["name"]


def generate(folder: Path, count: int, seed: int = 1) -> dict[str, Any]:
    """Write licences.jsonl, .csv, .xml and a JSON array; return the seeded errors."""
    from xml.sax.saxutils import escape

    rng = random.Random(seed)
    issuers = _issuers()
    seeded = {fault: 0 for fault in FAULTS}
    columns = list(json.loads(FLAT_SCHEMA.read_text(encoding="utf-8"))["properties"])
    with (
        (folder / "licences.jsonl").open("w", encoding="utf-8") as jsonl,
        (folder / "licences.csv").open("w", encoding="utf-8", newline="") as csv_file,
        (folder / "licences.xml").open("w", encoding="utf-8") as xml,
        (folder / "licences.json").open("w", encoding="utf-8") as array,
    ):
        import csv

        writer = csv.writer(csv_file, lineterminator="\n")
        writer.writerow(columns)
        xml.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<Licences xmlns="{NAMESPACE}">\n')
        array.write("[\n")
        for number in range(1, count + 1):
            record = licence(rng, number, issuers)
            if number % INVALID_SHARE == 50:
                fault = FAULTS[(number // INVALID_SHARE) % len(FAULTS)]
                spoil(record, fault)
                seeded[fault] += 1
            text = json.dumps(record, ensure_ascii=False)
            jsonl.write(text + "\n")
            array.write(("," if number > 1 else "") + text + "\n")
            holder, issuer = record["holder"], record["issuer"]
            flat = {
                **{k: v for k, v in record.items() if k not in ("holder", "issuer")},
                "holder_type": holder["type"],
                "holder_name": holder["name"],
                "holder_id_number": holder.get("id_number"),
                "holder_uscc": holder.get("uscc"),
                "issuer_name": issuer["name"],
                "issuer_uscc": issuer["uscc"],
            }
            writer.writerow(["" if flat.get(c) is None else flat[c] for c in columns])
            xml.write(_xml_record(record, escape))
        xml.write("</Licences>\n")
        array.write("]\n")
    return {"total": sum(seeded.values()), "by_fault": seeded, "records": count}


def _xml_record(record: dict[str, Any], escape: Any) -> str:
    holder, issuer = record["holder"], record["issuer"]
    ident = (
        f"<IdNumber>{holder['id_number']}</IdNumber>"
        if "id_number" in holder
        else f"<Uscc>{holder['uscc']}</Uscc>"
    )
    name = f"<Name>{escape(record['name'])}</Name>" if "name" in record else ""
    until = f"<ValidUntil>{record['valid_until']}</ValidUntil>" if record["valid_until"] else ""
    return (
        f"  <Licence><LicenceId>{record['licence_id']}</LicenceId>"
        f"<LicenceType>{record['licence_type']}</LicenceType>{name}"
        f"<Holder><Type>{holder['type']}</Type><Name>{escape(holder['name'])}</Name>{ident}"
        f"</Holder><Issuer><Name>{escape(issuer['name'])}</Name><Uscc>{issuer['uscc']}</Uscc>"
        f"</Issuer><DivisionCode>{record['division_code']}</DivisionCode>"
        f"<IssueDate>{record['issue_date']}</IssueDate>{until}<Status>{record['status']}"
        f"</Status><UpdatedAt>{record['updated_at']}</UpdatedAt></Licence>\n"
    )


# ---------------------------------------------------------------- the measured tools


def _flat_spec() -> Any:
    from conformance.standards.model import CsvOptions, ExportSpec, Text

    return ExportSpec(
        name="licences-csv",
        title=Text("证照（CSV）", "Licences (CSV)"),
        format="csv",
        schema_path=FLAT_SCHEMA,
        clauses=("LIC-EXP-001",),
        key=("licence_id",),
        csv=CsvOptions(empty="absent"),
    )


def _suite(folder: Path, fmt: str, jobs: int) -> tuple[int, int]:
    from conformance.exports import Severity, validate_export
    from conformance.standards.loader import load_standard

    spec = _flat_spec() if fmt == "csv" else load_standard(LICENCE).export(f"licences-{fmt}")
    report = validate_export(spec, folder / f"licences.{fmt}", jobs=jobs)
    errors = sum(n for key, n in report.counts.items() if report.severities[key] is Severity.ERROR)
    return report.records, errors


def tool_floor_orjson(folder: Path) -> tuple[int, int]:
    import orjson

    count = 0
    with (folder / "licences.jsonl").open("rb") as stream:
        for line in stream:
            orjson.loads(line)
            count += 1
    return count, 0


def tool_floor_csv(folder: Path) -> tuple[int, int]:
    import csv

    with (folder / "licences.csv").open(encoding="utf-8", newline="") as stream:
        count = sum(1 for _ in csv.reader(stream)) - 1
    return count, 0


def tool_floor_iterparse(folder: Path) -> tuple[int, int]:
    from lxml import etree

    count = 0
    for _, element in etree.iterparse(
        str(folder / "licences.xml"), events=("end",), tag=f"{{{NAMESPACE}}}Licence"
    ):
        count += 1
        element.clear(keep_tail=True)
        while element.getprevious() is not None:
            del element.getparent()[0]
    return count, 0


def tool_python_jsonschema(folder: Path) -> tuple[int, int]:
    from jsonschema import Draft202012Validator, FormatChecker

    schema = json.loads((LICENCE / "schemas" / "licence.schema.json").read_text("utf-8"))
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    count = errors = 0
    with (folder / "licences.jsonl").open(encoding="utf-8") as stream:
        for line in stream:
            count += 1
            errors += sum(1 for _ in validator.iter_errors(json.loads(line)))
    return count, errors


def tool_jsonschema_rs(folder: Path) -> tuple[int, int]:
    import jsonschema_rs
    import orjson

    schema = json.loads((LICENCE / "schemas" / "licence.schema.json").read_text("utf-8"))
    validator = jsonschema_rs.validator_for(schema, validate_formats=True)
    count = errors = 0
    with (folder / "licences.jsonl").open("rb") as stream:
        for line in stream:
            count += 1
            errors += sum(1 for _ in validator.iter_errors(orjson.loads(line)))
    return count, errors


def tool_frictionless(folder: Path) -> tuple[int, int]:
    from frictionless import Resource, Schema, validate

    props = json.loads(FLAT_SCHEMA.read_text(encoding="utf-8"))
    required = set(props["required"])
    fields = []
    for name, spec in props["properties"].items():
        constraints: dict[str, Any] = {"required": name in required}
        if "pattern" in spec:
            constraints["pattern"] = spec["pattern"].strip("^$")
        if "enum" in spec:
            constraints["enum"] = spec["enum"]
        kind = {"date": "date", "date-time": "datetime"}.get(spec.get("format", ""), "string")
        fields.append({"name": name, "type": kind, "constraints": constraints})
    resource = Resource(
        path="licences.csv",
        basepath=str(folder),  # frictionless refuses absolute paths
        schema=Schema.from_descriptor({"fields": fields}),
    )
    report = validate(resource, limit_errors=10**9)  # the default stops counting at 1,000
    task = report.tasks[0]
    return int(task.stats.get("rows") or 0), int(task.stats.get("errors") or 0)


def tool_lxml_whole_xsd(folder: Path) -> tuple[int, int]:
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(LICENCE / "schemas" / "licences.xsd")))
    document = etree.parse(str(folder / "licences.xml"))
    schema.validate(document)
    count = len(document.getroot())
    return count, sum(1 for _entry in cast(Iterable[Any], schema.error_log))  # stubs: no len


def tool_suite_jsonl(folder: Path) -> tuple[int, int]:
    return _suite(folder, "jsonl", 1)


def tool_suite_jsonl_jobs2(folder: Path) -> tuple[int, int]:
    return _suite(folder, "jsonl", 2)


def tool_suite_csv(folder: Path) -> tuple[int, int]:
    return _suite(folder, "csv", 1)


def tool_suite_xml(folder: Path) -> tuple[int, int]:
    return _suite(folder, "xml", 1)


@dataclass(frozen=True)
class Tool:
    name: str
    fmt: str
    floor: str | None  # the floor tool its ratio is taken against
    needs: str | None = None  # module that must be importable
    cli: bool = False


TOOLS = (
    Tool("floor_orjson", "jsonl", None, "orjson"),
    Tool("suite_jsonl", "jsonl", "floor_orjson"),
    Tool("suite_jsonl_jobs2", "jsonl", "floor_orjson"),
    Tool("python_jsonschema", "jsonl", "floor_orjson", "jsonschema"),
    Tool("jsonschema_rs", "jsonl", "floor_orjson", "jsonschema_rs"),
    Tool("check_jsonschema", "json", "floor_orjson", "check_jsonschema", cli=True),
    Tool("floor_csv", "csv", None),
    Tool("suite_csv", "csv", "floor_csv"),
    Tool("frictionless", "csv", "floor_csv", "frictionless"),
    Tool("floor_iterparse", "xml", None, "lxml"),
    Tool("suite_xml", "xml", "floor_iterparse"),
    Tool("lxml_whole_xsd", "xml", "floor_iterparse", "lxml"),
)


def _available(module: str | None) -> bool:
    import importlib.util

    return module is None or importlib.util.find_spec(module) is not None


def _warm_suite() -> None:
    import conformance.exports
    import conformance.formats
    import conformance.standards.loader
    import conformance.validation  # noqa: F401


_WARM_UP = {"suite": _warm_suite}


def _child(tool: str, folder: str) -> None:
    """In the measuring subprocess: run one tool, print its figures as JSON."""
    sys.path.insert(0, str(ROOT))
    function = globals()[f"tool_{tool}"]
    _WARM_UP.get(tool.split("_")[0], lambda: None)()  # imports are not the tool's work
    wall, cpu = time.perf_counter(), time.process_time()
    records, errors = function(Path(folder))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    figures = {"records": records, "errors": errors, "work_cpu_s": cpu, "work_wall_s": wall}
    # Its own peak (VmHWM): ru_maxrss from wait4 would start at this bench's own peak,
    # which Linux carries into a child across fork and exec.
    with open("/proc/self/status", encoding="ascii") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    figures["peak_mb"] = kib / 1024
    print(json.dumps(figures))


def _measure(tool: Tool, folder: Path) -> dict[str, Any]:
    if tool.cli:
        return _measure_check_jsonschema(folder)
    command = [sys.executable, str(Path(__file__).resolve()), "--child", tool.name, str(folder)]
    return _run(command)


def _run(command: list[str], parse: bool = True) -> dict[str, Any]:
    """Run one measuring process; its own CPU time and peak RSS come from ``wait4``."""
    import threading

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=ROOT)
        timer = threading.Timer(TIMEOUT_S, process.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    result: dict[str, Any] = {
        "wall_s": wall,
        "code": process.returncode,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,  # KiB on Linux
        "stderr": stderr[-400:],
    }
    if parse and process.returncode == 0:
        result.update(json.loads(stdout.strip().splitlines()[-1]))
    elif not parse:
        result["stdout"] = stdout
    return result


def _measure_check_jsonschema(folder: Path) -> dict[str, Any]:
    schema = json.loads((LICENCE / "schemas" / "licence.schema.json").read_text("utf-8"))
    wrapper = folder / "array.schema.json"
    record = {k: v for k, v in schema.items() if k not in ("$schema", "$defs")}
    wrapper.write_text(
        json.dumps(
            {
                "$schema": schema["$schema"],
                "type": "array",
                "items": record,
                "$defs": schema.get("$defs", {}),
            }
        ),
        encoding="utf-8",
    )
    executable = shutil.which("check-jsonschema")
    if executable is None:
        return {"skipped": "check-jsonschema is not on PATH"}
    command = [
        executable,
        "--output-format",
        "json",
        "--schemafile",
        str(wrapper),
        str(folder / "licences.json"),
    ]
    result = _run(command, parse=False)
    try:
        report = json.loads(result.pop("stdout"))
        result["errors"] = len(report.get("errors", []))
        if result["code"] == 1:  # 1 = the instance is invalid: a completed run
            result["code"] = 0
    except (ValueError, AttributeError):
        result["errors"] = None
    result["records"] = None
    return result


# ---------------------------------------------------------------- main


def _table(rows: list[dict[str, Any]]) -> str:
    head = (
        f"{'tool':<22} {'fmt':<5} {'records':>9} {'cpu s':>8} {'wall s':>8} {'rec/cpu-s':>10} "
        f"{'ratio':>6} {'peak MB':>8} {'errors/seeded':>14}  note"
    )
    lines = [head, "-" * len(head)]
    for row in rows:
        rate = row.get("rate")
        ratio = row.get("ratio")
        peak = row.get("peak_mb")
        lines.append(
            f"{row['tool']:<22} {row['fmt']:<5} {row.get('records') or '-':>9} "
            f"{row.get('cpu_s', 0):>8.2f} {row.get('wall_s', 0):>8.2f} "
            f"{(f'{rate:,.0f}' if rate else '-'):>10} "
            f"{(f'{ratio:.2f}' if ratio else '-'):>6} "
            f"{(f'{peak:.0f}' if peak else '-'):>8} "
            f"{str(row.get('errors', '-')) + '/' + str(row.get('seeded', '-')):>14}  "
            f"{row.get('note', '')}"
        )
    return "\n".join(lines)


def run(count: int, folder: Path, only: set[str] | None) -> list[dict[str, Any]]:
    print(f"generating {count:,} licence records in {folder} ...", flush=True)
    seeded = generate(folder, count)
    print(f"seeded invalid records: {seeded['total']} ({seeded['by_fault']})", flush=True)
    rows: list[dict[str, Any]] = []
    rates: dict[str, float] = {}
    for tool in TOOLS:
        if only and tool.name not in only and not tool.name.startswith("floor"):
            continue
        row: dict[str, Any] = {"tool": tool.name, "fmt": tool.fmt, "n": count}
        if not _available(tool.needs):
            row["note"] = f"skipped: {tool.needs} is not installed (pip install -e '.[bench]')"
            rows.append(row)
            print(_table([row]).splitlines()[-1], flush=True)
            continue
        result = _measure(tool, folder)
        row.update(result)
        row.pop("stderr", None)
        if result.get("skipped"):
            row["note"] = result["skipped"]
        elif result.get("code"):
            row["note"] = f"failed (exit {result['code']}): {result.get('stderr', '')[-120:]!r}"
        # the tool's own work (imports and interpreter start excluded) when it reports it;
        # a --jobs run adds its worker processes' CPU time, so its wall time is used
        cpu = result.get("work_cpu_s") or result.get("cpu_s") or 0.0
        if tool.name.endswith("jobs2"):
            cpu = result.get("work_wall_s") or cpu
        if cpu > 0:
            row["rate"] = count / cpu
            rates[tool.name] = row["rate"]
        if tool.floor and tool.floor in rates and row.get("rate"):
            row["ratio"] = row["rate"] / rates[tool.floor]
        if not tool.name.startswith("floor"):
            row["seeded"] = seeded["total"]
        rows.append(row)
        print(_table([row]).splitlines()[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--corpus"]:  # every schema of bench/corpus x every format
        sys.path.insert(0, str(ROOT / "bench"))
        from export_corpus import main as corpus_main

        return corpus_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, action="append", metavar="N")
    parser.add_argument("--quick", action="store_true", help="20,000 records only")
    parser.add_argument("--tools", help="comma-separated tool names (the floors always run)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="generate into DIR, keep it")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0
    counts = args.records or ([20_000] if args.quick else [100_000, 1_000_000])
    only = set(args.tools.split(",")) if args.tools else None
    every: dict[str, Any] = {"runs": []}
    status = 0
    for count in counts:
        folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-exports-"))
        folder.mkdir(parents=True, exist_ok=True)
        try:
            print()
            rows = run(count, folder, only)
            print()
            print(_table(rows))
            every["runs"].append({"records": count, "rows": rows})
            status |= any(r.get("code") for r in rows)
        finally:
            if args.keep is None:
                shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(every, indent=2, default=str), encoding="utf-8")
    return 1 if status else 0


if __name__ == "__main__":
    raise SystemExit(main())
