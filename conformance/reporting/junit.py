"""JUnit XML: one test suite per run, one test case per (clause, check, target)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from conformance.controls import visible
from conformance.redaction import redact_data


def _text(value: str) -> str:
    # XML 1.0 cannot carry most control characters, and a CI page must not be driven by
    # the candidate's escapes or bidirectional overrides: shown escaped (issue 15 item 7).
    return visible(value, lines=True)


def write_junit(run_dir: Path, data: dict[str, Any]) -> Path:
    data = redact_data(data)  # a sink: whatever secret the process knows never gets here
    results = data["results"]
    summary = data["summary"]
    suites = etree.Element("testsuites", name="gov-conformance")
    suite = etree.SubElement(
        suites,
        "testsuite",
        name=data["standard"]["ref"],
        tests=str(len(results)),
        failures=str(summary["fail"]),
        errors=str(summary["error"]),
        skipped=str(summary["skip"]),
        time=f"{sum(r['duration_s'] for r in results):.3f}",
        timestamp=data["started_at"].replace("+00:00", ""),
    )
    properties = etree.SubElement(suite, "properties")
    for name, value in (
        ("run_id", data["run_id"]),
        ("seed", str(data["seed"])),
        ("standard_digest", data["standard"]["digest"]),
        ("verdict", data["verdict"]),
    ):
        etree.SubElement(properties, "property", name=name, value=value)
    warned: set[str] = set()
    for result in results:
        case = etree.SubElement(
            suite,
            "testcase",
            classname=f"{data['standard']['ref']}.{result['clause']}",
            name=_text(f"{result['check']} [{result['target']}]"),
            time=f"{result['duration_s']:.3f}",
        )
        status = result["status"]
        if status in ("fail", "error"):
            tag = "failure" if status == "fail" else "error"
            node = etree.SubElement(
                case, tag, message=_text(result["message"][:500]), type=result["check"]
            )
            node.text = _text(
                "\n".join(
                    f"[x{f['count']}] {f['title']}: {f['message']}"
                    + (f"\n  {f['evidence']['curl']}" if "curl" in f.get("evidence", {}) else "")
                    for f in result["failures"]
                )
                or result["message"]
            )
        elif status == "skip":
            etree.SubElement(case, "skipped", message=_text(result["message"][:500]))
        warnings = (result.get("evidence") or {}).get("warnings") or []
        if warnings and result["target"] not in warned:
            # An export file's warnings (they fail nothing), once, on its first test case.
            warned.add(result["target"])
            etree.SubElement(case, "system-out").text = _text(
                "\n".join(
                    f"warning {w.get('kind', '')} at {w.get('location', '')}: "
                    f"{w.get('message', '')}" + (f" value={w['value']}" if "value" in w else "")
                    for w in warnings
                )
            )
    path = run_dir / "junit.xml"
    path.write_bytes(
        etree.tostring(suites, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    )
    return path
