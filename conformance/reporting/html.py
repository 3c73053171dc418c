"""report.html: the reviewer's report of one run, one self-contained file.

Inline CSS, JS and SVG, no request to any network (a Content-Security-Policy with hashes
of the two inline blocks enforces it), zh-CN first with a switch to English.  It opens with
the verdict and why, then the clause coverage matrix, the failures grouped by clause
(request and response excerpts, curl, pointer, row or XPath, error counts per type), the
export files, the review (waivers and attestations) and the charts.

Everything that came from the candidate or from files is escaped with :func:`html.escape`;
the one JSON block is escaped for a script element.  Secrets were redacted by the engine
before results.json was written; this module adds none.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["bi", "esc", "json_for_script", "page", "render_report", "write_html"]

MAX_FAILURES_PER_RESULT = 20
MAX_EXAMPLES_PER_FAILURE = 10
MAX_HEADERS = 30
OFFLINE_NOTE = (
    "本报告为离线单文件，不访问任何网络。",
    "This report is one offline file; it makes no network request.",
)
STATUSES = ("pass", "fail", "error", "skip", "waived")

STATUS_TEXT: dict[str, tuple[str, str]] = {
    "pass": ("通过", "pass"),
    "fail": ("失败", "fail"),
    "error": ("错误", "error"),
    "skip": ("跳过", "skipped"),
    "waived": ("已豁免", "waived"),
    "attested": ("已证明", "attested"),
    "awaiting-attestation": ("待审核员证明", "awaiting attestation"),
    "active": ("生效", "active"),
    "expired": ("已过期", "expired"),
    "stale": ("未匹配（陈旧）", "stale (matches nothing)"),
}
LEVEL_TEXT = {"MUST": ("必须", "MUST"), "SHOULD": ("应当", "SHOULD"), "MAY": ("可以", "MAY")}
VERIFICATION_TEXT = {"automated": ("自动", "automated"), "manual": ("人工", "manual")}


# -- escaping and bilingual text ---------------------------------------------------------


def esc(value: object) -> str:
    """Text for an HTML element or a quoted attribute."""
    return html.escape(str(value), quote=True)


def header_cells(columns: tuple[tuple[str, str], ...]) -> str:
    """A table's header cells, each bilingual: ``((zh, en), ...)``."""
    return "".join(f"<th>{bi(zh, en)}</th>" for zh, en in columns)


def bi(zh: str, en: str) -> str:
    """Both languages; CSS shows the one selected.  Both arguments are plain text."""
    return (
        f'<span class="zh" lang="zh-CN">{esc(zh)}</span><span class="en" lang="en">{esc(en)}</span>'
    )


def svg_bi(zh: str, en: str) -> str:
    """Both languages inside an SVG <text>."""
    return f'<tspan class="zh">{esc(zh)}</tspan><tspan class="en">{esc(en)}</tspan>'


def bi_dict(text: Mapping[str, str] | None) -> str:
    text = text or {}
    zh = text.get("zh-CN") or text.get("en") or ""
    return bi(zh, text.get("en") or zh)


def json_for_script(value: Any) -> str:
    """JSON safe inside <script type="application/json">: no '<', '>', '&' or U+2028/9."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def _asset(name: str) -> str:
    return (
        resources.files("conformance")
        .joinpath(f"reporting/assets/{name}")
        .read_text(encoding="utf-8")
    )


def _csp_hash(text: str) -> str:
    return (
        "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"
    )


def page(title: Mapping[str, str], header: str, body: str, extra_data: Mapping[str, Any]) -> str:
    """The page shell: CSP, inline style and script, the language switch."""
    style = _asset("report.css")
    script = _asset("report.js")
    data = {
        "title": {"zh-CN": title["zh-CN"], "en": title["en"]},
        "i18n": {
            "switchTo": {"zh-CN": "English", "en": "中文"},
            "switchLabel": {"zh-CN": "切换到英文", "en": "Switch to Chinese"},
            "shown": {
                "zh-CN": "显示 {shown} / {total} 条款",
                "en": "{shown} of {total} clauses shown",
            },
        },
        **extra_data,
    }
    csp = (
        "default-src 'none'; img-src data:; "
        f"style-src {_csp_hash(style)}; script-src {_csp_hash(script)}; "
        "base-uri 'none'; form-action 'none'"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN" data-lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{esc(title['zh-CN'])}</title>\n"
        f"<style>{style}</style>\n</head>\n<body>\n"
        f'<header class="top">{header}'
        '<button type="button" id="lang-switch" aria-label="切换到英文">English</button>'
        "</header>\n"
        f"<main>\n{body}\n</main>\n"
        f"<footer>{bi(*OFFLINE_NOTE)}</footer>\n"
        f'<script type="application/json" id="report-data">{json_for_script(data)}</script>\n'
        f"<script>{script}</script>\n</body>\n</html>\n"
    )


def badge(status: str) -> str:
    zh, en = STATUS_TEXT.get(status, (status, status))
    return f'<span class="badge s-{esc(status)}">{bi(zh, en)}</span>'


def level_badge(level: str) -> str:
    zh, en = LEVEL_TEXT.get(level, (level, level))
    return f'<span class="badge l-{esc(level)}">{bi(zh, en)}</span>'


def _pre(text: object, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<pre{attr}>{esc(text)}</pre>"


def _anchor(prefix: str, value: str) -> str:
    return prefix + "-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in value)


# -- the verdict ---------------------------------------------------------------------------


def _passing(status: str) -> bool:
    return status in ("pass", "waived", "attested")


def _verdict_section(data: Mapping[str, Any]) -> str:
    passed = data["verdict"] == "pass"
    review = data.get("review")
    parts = [f'<section class="card verdict {"pass" if passed else "fail"}" id="verdict">']
    if passed:
        headline = bi("符合标准：可予认证", "Conforms: certifiable")
        why = bi(
            "所有“必须”条款均已通过（或经证明、经豁免）。",
            "Every MUST clause passed (or was attested or waived).",
        )
    else:
        headline = bi("不符合标准：不可认证", "Does not conform: not certifiable")
        why = bi("以下“必须”条款未满足：", "These MUST clauses are not met:")
    parts.append(f'<p class="headline" id="verdict-headline">{headline}</p>')
    if review:
        parts.append(
            '<p class="muted">'
            + bi(
                f"审核后的结果（截至 {review.get('as_of', '')}，已应用豁免与证明）。",
                f"Reviewed results (as of {review.get('as_of', '')}, waivers and "
                "attestations applied).",
            )
            + "</p>"
        )
    parts.append(f"<p>{why}</p>")
    if data.get("unreachable"):
        parts.append(
            "<p><strong>"
            + bi("无法连接被测系统：", "The candidate was unreachable: ")
            + f'</strong><span class="mono">{esc(data["unreachable"])}</span></p>'
        )
    failing = [c for c in data["clauses"] if c["level"] == "MUST" and not _passing(c["status"])]
    if failing:
        parts.append('<ul id="verdict-reasons">')
        for clause in failing:
            status = clause["status"]
            if status == "awaiting-attestation":
                why_zh, why_en = "人工条款，尚无审核员证明", "manual clause without an attestation"
            elif status == "skip":
                why_zh, why_en = "没有任何检查执行到该条款", "no check exercised it"
            elif status == "error":
                why_zh, why_en = (
                    "检查出错（错误从不视为通过）",
                    "a check erred (an error is never a pass)",
                )
            else:
                why_zh, why_en = "检查失败", "a check failed"
            link = f"#{_anchor('f', clause['id'])}" if status in ("fail", "error") else "#coverage"
            parts.append(
                f'<li><a href="{esc(link)}" class="mono">{esc(clause["id"])}</a> '
                f"{badge(status)} {bi(why_zh, why_en)} — {bi_dict(clause.get('text'))}</li>"
            )
        parts.append("</ul>")
    warnings = [
        c for c in data["clauses"] if c["level"] == "SHOULD" and c["status"] in ("fail", "error")
    ]
    if warnings:
        parts.append(
            "<p>"
            + bi(
                "警告（“应当”条款未满足，列入证书）：",
                "Warnings (SHOULD clauses not met, listed on the certificate):",
            )
            + '</p><ul id="verdict-warnings">'
        )
        for clause in warnings:
            parts.append(
                f'<li><a href="#{esc(_anchor("f", clause["id"]))}" class="mono">'
                f"{esc(clause['id'])}</a> {badge(clause['status'])}</li>"
            )
        parts.append("</ul>")
    waived = [c for c in data["clauses"] if c["status"] == "waived"]
    if waived:
        parts.append(
            "<p>"
            + bi("经豁免的条款：", "Clauses passing under a waiver: ")
            + ", ".join(f'<span class="mono">{esc(c["id"])}</span>' for c in waived)
            + "</p>"
        )
    summary = data["summary"]
    parts.append('<p class="counts">')
    for status in STATUSES:
        if status in summary:
            zh, en = STATUS_TEXT[status]
            parts.append(f"<span>{bi(zh, en)}: <strong>{int(summary[status])}</strong></span>")
    parts.append("</p></section>")
    return "".join(parts)


def _run_section(data: Mapping[str, Any]) -> str:
    standard = data["standard"]
    candidate = data["candidate"]
    rows = [
        (
            ("被测系统", "System"),
            f"{candidate['vendor']} · {candidate['system']} {candidate['version']}",
        ),
        (("接口地址", "Base URL"), candidate.get("base_url") or "—"),
        (("标准", "Standard"), f"{standard['ref']} [{standard['status']}]"),
        (("标准摘要", "Standard digest"), standard["digest"]),
        (("运行编号", "Run id"), data["run_id"]),
        (("随机种子", "Seed"), f"{data['seed']} (--seed {data['seed']})"),
        (("开始 / 结束", "Started / finished"), f"{data['started_at']} / {data['finished_at']}"),
        (("工具版本", "Suite"), f"{data['suite']['name']} {data['suite']['version']}"),
        (("请求摘要", "Requests sha256"), data["requests_sha256"]),
    ]
    if candidate.get("implements"):
        rows.append(
            (("声明实现的可选条款", "Optional clauses claimed"), ", ".join(candidate["implements"]))
        )
    items = "".join(
        f'<dt>{bi(zh, en)}</dt><dd class="mono">{esc(value)}</dd>' for (zh, en), value in rows
    )
    return (
        '<section class="card" id="run"><h2>'
        + bi("运行信息", "Run")
        + f'</h2><dl class="meta">{items}</dl></section>'
    )


def _filters_section() -> str:
    options = "".join(
        f'<option value="{lv}">{esc(LEVEL_TEXT[lv][0])} / {lv}</option>' for lv in LEVEL_TEXT
    )
    return (
        '<section class="card filters" id="filters">'
        '<label><input type="checkbox" id="filter-failures"> '
        + bi("仅显示未通过", "Failures only")
        + "</label><label>"
        + bi("级别：", "Level: ")
        + f'<select id="filter-level"><option value="all">全部 / all</option>{options}</select>'
        '</label><span id="filter-count" aria-live="polite"></span></section>'
    )


# -- the coverage matrix -------------------------------------------------------------------


def _results_by_clause(data: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {c["id"]: [] for c in data["clauses"]}
    for result in data["results"]:
        grouped.setdefault(result["clause"], []).append(result)
    return grouped


def _effective(result: Mapping[str, Any]) -> str:
    return "waived" if result.get("waiver") and result["status"] == "fail" else result["status"]


def _bad(clause: Mapping[str, Any]) -> bool:
    status = clause["status"]
    return status in ("fail", "error") or (clause["level"] == "MUST" and not _passing(status))


def _coverage_evidence(
    clause: Mapping[str, Any], results: Sequence[Mapping[str, Any]], review: Mapping[str, Any]
) -> str:
    status = clause["status"]
    if clause["verification"] == "manual":
        attestation = clause.get("attestation")
        if attestation:
            return (
                bi("审核员证明：", "Attested by ")
                + f"{esc(attestation['reviewer'])} ({esc(attestation['date'])}): "
                + f"<span>{esc(attestation['evidence'])}</span>"
            )
        return bi("人工条款：等待审核员证明", "Manual clause: awaiting a reviewer's attestation")
    if not results:
        return bi("没有检查执行到该条款", "No check exercised this clause")
    examined = sum(int(r.get("examined", 0)) for r in results)
    targets = sorted({r["target"] for r in results})
    parts = [
        bi(
            f"检查了 {examined} 个响应或记录，目标：",
            f"{examined} responses or records examined on: ",
        )
        + "".join(f'<br><span class="mono target">{esc(t)}</span>' for t in targets)
    ]
    skips = sorted({r["message"] for r in results if r["status"] == "skip"})
    if skips and status == "skip":
        parts.append(bi("跳过原因：", "Skipped: ") + esc("; ".join(skips)))
    if status in ("fail", "error", "waived"):
        parts.append(
            f'<a href="#{esc(_anchor("f", clause["id"]))}">'
            + bi("查看失败详情", "see the failures")
            + "</a>"
        )
    for waiver_id in clause.get("waivers", []):
        waiver = next((w for w in review.get("waivers", []) if w["id"] == waiver_id), None)
        if waiver:
            parts.append(
                bi("豁免 ", "Waiver ")
                + f'<span class="mono">{esc(waiver_id)}</span>: {esc(waiver["reason"])} '
                + f"({esc(waiver['approved_by'])}, "
                + bi("有效至 ", "until ")
                + f"{esc(waiver['expires'])})"
            )
    return "<br>".join(parts)


def _coverage_section(data: Mapping[str, Any]) -> str:
    grouped = _results_by_clause(data)
    review = data.get("review") or {}
    rows = []
    for clause in data["clauses"]:
        results = grouped.get(clause["id"], [])
        per_check: dict[str, Counter[str]] = {}
        for result in results:
            per_check.setdefault(result["check"], Counter())[_effective(result)] += 1
        checks = (
            "".join(
                f'<div><span class="mono">{esc(check)}</span> '
                + " ".join(f"{badge(s)}×{n}" for s, n in sorted(counter.items()))
                + "</div>"
                for check, counter in sorted(per_check.items())
            )
            or '<span class="muted">—</span>'
        )
        vzh, ven = VERIFICATION_TEXT.get(clause["verification"], ("", clause["verification"]))
        rows.append(
            f'<tr class="filterable" id="{esc(_anchor("c", clause["id"]))}" '
            f'data-level="{esc(clause["level"])}" data-status="{esc(clause["status"])}" '
            f'data-bad="{"1" if _bad(clause) else "0"}">'
            f'<td class="id">{esc(clause["id"])}</td>'
            f"<td>{level_badge(clause['level'])}</td>"
            f"<td>{bi(vzh, ven)}</td>"
            f"<td>{bi_dict(clause.get('text'))}</td>"
            f'<td class="checks">{checks}</td>'
            f"<td>{badge(clause['status'])}</td>"
            f'<td class="evidence">{_coverage_evidence(clause, results, review)}</td></tr>'
        )
    head = header_cells(
        (
            ("条款", "Clause"),
            ("级别", "Level"),
            ("验证方式", "Verification"),
            ("要求", "Requirement"),
            ("检查", "Checks"),
            ("状态", "Status"),
            ("证据", "Evidence"),
        )
    )
    return (
        '<section class="card" id="coverage"><h2>'
        + bi("条款覆盖矩阵", "Clause coverage matrix")
        + f"</h2><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        "</section>"
    )


# -- failures grouped by clause ------------------------------------------------------------


def _headers(headers: Mapping[str, Any] | None) -> str:
    items = list((headers or {}).items())[:MAX_HEADERS]
    return "\n".join(f"{k}: {v}" for k, v in items)


def _api_evidence(evidence: Mapping[str, Any]) -> str:
    parts = []
    request = evidence.get("request") or {}
    response = evidence.get("response") or {}
    if request:
        text = f"{request.get('method', '')} {request.get('url', '')}\n"
        text += _headers(request.get("headers"))
        if request.get("body") is not None:
            text += f"\n\n{request['body']}"
        source = evidence.get("source")
        label = bi("请求", "Request") + (
            f' <span class="muted">({esc(source)})</span>' if source else ""
        )
        parts.append(f"<h4>{label}</h4>{_pre(text)}")
    if response:
        text = (
            f"HTTP {response.get('status', '')}  ({response.get('elapsed_ms', '')} ms)\n"
            f"{_headers(response.get('headers'))}\n\n{response.get('body', '')}"
        )
        parts.append(f"<h4>{bi('响应（节选）', 'Response (excerpt)')}</h4>{_pre(text)}")
    if evidence.get("curl"):
        parts.append(
            f"<h4>{bi('复现命令', 'Reproduce with curl')}</h4>{_pre(evidence['curl'], 'curl')}"
        )
    return "".join(parts)


def _example_rows(examples: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for example in examples[:MAX_EXAMPLES_PER_FAILURE]:
        where = [str(example.get("location", ""))]
        for name in ("row", "xpath", "pointer"):
            if example.get(name) not in (None, ""):
                where.append(f"{name}={example[name]}")
        rows.append(
            f'<tr><td class="mono">{esc(" ".join(where))}</td>'
            f"<td>{esc(example.get('message', ''))}</td>"
            f'<td class="mono">{esc(example.get("value", ""))}</td></tr>'
        )
    more = len(examples) - MAX_EXAMPLES_PER_FAILURE
    tail = (
        '<p class="muted">'
        + bi(f"另有 {more} 条见 results.json", f"{more} more in results.json")
        + "</p>"
        if more > 0
        else ""
    )
    head = "".join(
        f"<th>{bi(zh, en)}</th>"
        for zh, en in (("位置", "Where"), ("问题", "Problem"), ("值", "Value"))
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{tail}"


def _failure(failure: Mapping[str, Any], *, open_evidence: bool) -> str:
    where = []
    for key, (zh, en) in (
        ("location", ("位置", "location")),
        ("pointer", ("JSON 指针", "JSON pointer")),
        ("schema_path", ("模式路径", "schema path")),
    ):
        if failure.get(key):
            where.append(f"{bi(zh, en)}: {esc(failure[key])}")
    evidence = failure.get("evidence") or {}
    body = ""
    if "examples" in evidence:
        body = _example_rows(evidence["examples"])
    elif evidence:
        body = (
            f"<details{' open' if open_evidence else ''}><summary>"
            + bi("请求、响应与复现命令", "Request, response and curl")
            + f"</summary>{_api_evidence(evidence)}</details>"
        )
    return (
        '<div class="failure">'
        f"<div><strong>{esc(failure.get('title', ''))}</strong> "
        f'<span class="badge s-fail">×{int(failure.get("count", 1))}</span> '
        f"{esc(failure.get('message', ''))}</div>"
        + (f'<div class="where">{" · ".join(where)}</div>' if where else "")
        + body
        + "</div>"
    )


def _export_counts(evidence: Mapping[str, Any]) -> str:
    counts = evidence.get("counts") or {}
    if not counts:
        return ""
    capped = set(evidence.get("capped") or [])
    rows = "".join(
        f'<tr><td class="mono">{esc(key)}</td><td>{int(n)}</td>'
        f"<td>{bi('已达列出上限', 'listing capped') if key in capped else ''}</td></tr>"
        for key, n in sorted(counts.items(), key=lambda kv: (-int(kv[1]), kv[0]))
    )
    head = "".join(
        f"<th>{bi(zh, en)}</th>"
        for zh, en in (("检查:错误类型", "check:error type"), ("次数", "count"), ("", ""))
    )
    return (
        f"<h4>{bi('各类错误计数', 'Error counts per type')}</h4>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )


def _result_block(result: Mapping[str, Any], review: Mapping[str, Any]) -> str:
    status = _effective(result)
    parts = [
        '<div class="result">'
        f'<div>{badge(status)} <span class="mono">{esc(result["check"])}</span> · '
        f'<span class="mono">{esc(result["target"])}</span></div>'
        f"<div>{esc(result.get('message', ''))}</div>"
    ]
    if result.get("waiver"):
        waiver: Mapping[str, Any] = next(
            (w for w in review.get("waivers", []) if w["id"] == result["waiver"]), {}
        )
        parts.append(
            '<div class="muted">'
            + bi("已豁免：", "Waived: ")
            + f'<span class="mono">{esc(result["waiver"])}</span> {esc(waiver.get("reason", ""))}'
            + "</div>"
        )
    failures = result.get("failures") or []
    for index, failure in enumerate(failures[:MAX_FAILURES_PER_RESULT]):
        parts.append(_failure(failure, open_evidence=index == 0))
    if len(failures) > MAX_FAILURES_PER_RESULT:
        more = len(failures) - MAX_FAILURES_PER_RESULT
        parts.append(
            '<p class="muted">'
            + bi(
                f"另有 {more} 种失败见 results.json",
                f"{more} more distinct failures in results.json",
            )
            + "</p>"
        )
    if result["target"].startswith("export "):
        parts.append(_export_counts(result.get("evidence") or {}))
    parts.append("</div>")
    return "".join(parts)


def _failures_section(data: Mapping[str, Any]) -> str:
    grouped = _results_by_clause(data)
    review = data.get("review") or {}
    blocks = []
    for clause in data["clauses"]:
        bad = [r for r in grouped.get(clause["id"], []) if r["status"] in ("fail", "error")]
        if not bad:
            continue
        blocks.append(
            f'<section class="filterable clause-failures" id="{esc(_anchor("f", clause["id"]))}" '
            f'data-level="{esc(clause["level"])}" data-bad="1">'
            f'<h3><span class="mono">{esc(clause["id"])}</span> {level_badge(clause["level"])} '
            f"{badge(clause['status'])}</h3>"
            f"<p>{bi_dict(clause.get('text'))}</p>"
            + "".join(_result_block(r, review) for r in bad)
            + "</section>"
        )
    if not blocks:
        blocks.append(f'<p class="muted">{bi("没有失败或错误。", "No failure or error.")}</p>')
    return (
        '<section class="card" id="failures"><h2>'
        + bi("按条款分组的失败", "Failures by clause")
        + "</h2>"
        + "".join(blocks)
        + "</section>"
    )


def _exports_section(data: Mapping[str, Any]) -> str:
    exports = data.get("exports") or {}
    if not exports:
        return ""
    counts: dict[str, dict[str, int]] = {}
    warnings: dict[str, list[Mapping[str, Any]]] = {}
    for result in data["results"]:
        if result["target"].startswith("export "):
            name = result["target"][len("export ") :]
            for key, n in ((result.get("evidence") or {}).get("counts") or {}).items():
                counts.setdefault(name, {})[key] = int(n)
            # Every result of a file carries the file's warnings; show them once.
            found = (result.get("evidence") or {}).get("warnings") or []
            if found and name not in warnings:
                warnings[name] = found
    rows = []
    for name, info in sorted(exports.items()):
        kinds = counts.get(name, {})
        errors = ", ".join(f"{k} ×{n}" for k, n in sorted(kinds.items())) or "—"
        rows.append(
            f'<tr><td class="mono">{esc(name)}</td>'
            f'<td class="mono">{esc(info.get("path", ""))}</td>'
            f"<td>{esc(info.get('format', ''))}</td><td>{esc(info.get('records', ''))}</td>"
            f'<td class="mono">{esc(info.get("sha256") or "—")}</td><td>{esc(errors)}</td></tr>'
        )
    head = header_cells(
        (
            ("导出", "Export"),
            ("文件", "File"),
            ("格式", "Format"),
            ("记录数", "Records"),
            ("SHA-256", "SHA-256"),
            ("错误计数", "Error counts"),
        )
    )
    # Warnings do not fail a check, but a reviewer should see them (e.g. formula-like
    # cells); shown as escaped text like every value from a file.
    notes = "".join(
        f'<h4>{bi("导出文件警告：", "Warnings of export ")}<span class="mono">{esc(name)}</span>'
        f"</h4>{_example_rows(found)}"
        for name, found in sorted(warnings.items())
    )
    return (
        '<section class="card" id="exports"><h2>'
        + bi("导出文件", "Export files")
        + f"</h2><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        + notes
        + "</section>"
    )


def _scope(waiver: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={waiver[k]}" for k in ("clause", "check", "target") if waiver.get(k))


def _review_section(data: Mapping[str, Any]) -> str:
    review = data.get("review")
    if not review:
        return ""
    parts = [
        '<section class="card" id="review"><h2>'
        + bi("审核：豁免与证明", "Review: waivers and attestations")
        + "</h2>"
    ]
    waivers = review.get("waivers") or []
    if waivers:
        head = header_cells(
            (
                ("编号", "Id"),
                ("范围", "Scope"),
                ("理由", "Reason"),
                ("批准人", "Approved by"),
                ("有效至", "Expires"),
                ("状态", "State"),
                ("豁免的失败结果", "Failed results waived"),
            )
        )
        rows = "".join(
            f'<tr data-waiver-state="{esc(w.get("state", ""))}">'
            f'<td class="id">{esc(w["id"])}</td>'
            f'<td class="mono">{esc(_scope(w))}</td>'
            f"<td>{esc(w['reason'])}</td><td>{esc(w['approved_by'])}</td>"
            f"<td>{esc(w['expires'])}</td><td>{badge(str(w.get('state', '')))}</td>"
            f"<td>{int(w.get('matched', 0))}</td></tr>"
            for w in waivers
        )
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    attestations = review.get("attestations") or []
    if attestations:
        head = header_cells(
            (
                ("条款", "Clause"),
                ("审核员", "Reviewer"),
                ("证据说明", "Evidence"),
                ("日期", "Date"),
            )
        )
        rows = "".join(
            f'<tr><td class="mono">{esc(a["clause"])}</td><td>{esc(a["reviewer"])}</td>'
            f"<td>{esc(a['evidence'])}</td><td>{esc(a['date'])}</td></tr>"
            for a in attestations
        )
        parts.append(f"<h3>{bi('证明', 'Attestations')}</h3>")
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    notes = review.get("notes") or []
    if notes:
        parts.append("<ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    parts.append("</section>")
    return "".join(parts)


# -- charts --------------------------------------------------------------------------------


def bar_chart(chart_id: str, title: str, rows: Sequence[tuple[str, Mapping[str, int]]]) -> str:
    """Horizontal stacked bars, one row per label, segments per status."""
    if not rows:
        return ""
    label_w, bar_w, row_h, top = 190, 520, 20, 30
    height = top + row_h * len(rows) + 10
    most = max(sum(counts.values()) for _, counts in rows) or 1
    parts = [
        f'<svg class="chart" id="{esc(chart_id)}" viewBox="0 0 {label_w + bar_w + 60} {height}" '
        f'role="img" aria-label="{esc(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{esc(title)}</title>"
    ]
    x = label_w
    for status in STATUSES:
        parts.append(
            f'<rect class="seg-{status}" x="{x}" y="6" width="10" height="10"></rect>'
            f'<text x="{x + 14}" y="15">{svg_bi(*STATUS_TEXT[status])}</text>'
        )
        x += 80
    for index, (label, counts) in enumerate(rows):
        y = top + index * row_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{esc(label[:32])}</text>'
        )
        x0 = float(label_w)
        for status in STATUSES:
            n = int(counts.get(status, 0))
            if not n:
                continue
            width = bar_w * n / most
            parts.append(
                f'<rect class="seg-{status}" x="{x0:.1f}" y="{y + 3}" width="{width:.1f}" '
                f'height="{row_h - 6}"><title>{esc(f"{label}: {n} {status}")}</title></rect>'
            )
            x0 += width
        parts.append(
            f'<text x="{x0 + 4:.1f}" y="{y + 13}">{sum(int(v) for v in counts.values())}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of sorted values (q in 0..100)."""
    if not values:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(values)))
    return float(values[min(rank, len(values)) - 1])


def latency_chart(latency: Mapping[str, Sequence[float]]) -> str:
    samples = sorted(float(v) for values in latency.values() for v in values)
    if not samples:
        return (
            f'<p class="muted">{bi("没有接口响应时间数据。", "No response latency recorded.")}</p>'
        )
    bins = 24
    high = percentile(samples, 99) or samples[-1] or 1.0
    width = high / bins or 1.0
    counts = [0] * bins
    over = 0
    for value in samples:
        index = int(value / width)
        if index >= bins:
            over += 1
            index = bins - 1
        counts[index] += 1
    chart_w, chart_h, left, bottom = 640, 180, 50, 30
    most = max(counts) or 1
    bar = chart_w / bins
    parts = [
        f'<svg class="chart" id="chart-latency" viewBox="0 0 {left + chart_w + 20} '
        f'{chart_h + bottom + 20}" role="img" aria-label="latency distribution" '
        'xmlns="http://www.w3.org/2000/svg"><title>Response latency distribution (ms)</title>'
        f'<line class="axis" x1="{left}" y1="{chart_h + 10}" x2="{left + chart_w}" '
        f'y2="{chart_h + 10}" stroke="#d5dbe1"></line>'
    ]
    for index, n in enumerate(counts):
        if not n:
            continue
        h = chart_h * n / most
        lo, hi = index * width, (index + 1) * width
        label = f"{lo:.1f}–{hi:.1f} ms: {n}" + (
            f" (incl. {over} above)" if index == bins - 1 and over else ""
        )
        parts.append(
            f'<rect class="bin" x="{left + index * bar + 1:.1f}" y="{chart_h + 10 - h:.1f}" '
            f'width="{bar - 2:.1f}" height="{h:.1f}"><title>{esc(label)}</title></rect>'
        )
    for index in range(0, bins + 1, 6):
        x = left + index * bar
        parts.append(
            f'<text x="{x:.1f}" y="{chart_h + 26}" text-anchor="middle">{index * width:.0f}</text>'
        )
    parts.append(f'<text x="{left - 6}" y="{chart_h + 12}" text-anchor="end">0</text>')
    parts.append(f'<text x="{left - 6}" y="16" text-anchor="end">{most}</text>')
    parts.append(
        f'<text x="{left + chart_w}" y="{chart_h + 42}" text-anchor="end">'
        f"{svg_bi('响应时间（毫秒）', 'response time (ms)')}</text>"
    )
    parts.append(f'<text x="{left + 4}" y="16">{svg_bi("响应数", "responses")}</text>')
    parts.append("</svg>")
    rows = []
    for operation, values in sorted(latency.items()):
        ordered = sorted(float(v) for v in values)
        if not ordered:
            continue
        rows.append(
            f'<tr><td class="mono">{esc(operation)}</td><td>{len(ordered)}</td>'
            f"<td>{percentile(ordered, 50):.1f}</td><td>{percentile(ordered, 95):.1f}</td>"
            f"<td>{ordered[-1]:.1f}</td></tr>"
        )
    head = header_cells(
        (
            ("接口", "Operation"),
            ("样本", "Samples"),
            ("P50 毫秒", "P50 ms"),
            ("P95 毫秒", "P95 ms"),
            ("最大毫秒", "Max ms"),
        )
    )
    return (
        "".join(parts)
        + f'<table id="latency-table"><thead><tr>{head}</tr></thead>'
        + f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _charts_section(data: Mapping[str, Any]) -> str:
    by_clause: dict[str, Counter[str]] = {}
    by_check: dict[str, Counter[str]] = {}
    for result in data["results"]:
        status = _effective(result)
        by_clause.setdefault(result["clause"], Counter())[status] += 1
        by_check.setdefault(result["check"], Counter())[status] += 1
    order = [c["id"] for c in data["clauses"] if c["id"] in by_clause]
    return (
        '<section class="card" id="charts"><h2>'
        + bi("图表", "Charts")
        + '</h2><div class="charts">'
        + f"<h3>{bi('按条款的结果', 'Results by clause')}</h3>"
        + bar_chart("chart-clauses", "Results by clause", [(c, by_clause[c]) for c in order])
        + f"<h3>{bi('按检查的结果', 'Results by check')}</h3>"
        + bar_chart("chart-checks", "Results by check", sorted(by_check.items()))
        + f"<h3>{bi('响应时间分布', 'Response latency distribution')}</h3>"
        + latency_chart(data.get("latency_ms") or {})
        + "</div></section>"
    )


# -- the page ------------------------------------------------------------------------------


def render_report(data: Mapping[str, Any]) -> str:
    standard = data["standard"]
    candidate = data["candidate"]
    title_text = standard.get("title") or {}
    title = {
        "zh-CN": f"一致性测试报告 · {candidate['system']} · {standard['ref']}",
        "en": f"Conformance report · {candidate['system']} · {standard['ref']}",
    }
    header = (
        f"<div><h1>{bi(title['zh-CN'], title['en'])}</h1>"
        f'<div class="sub">{bi_dict(title_text)}</div></div>'
    )
    body = "\n".join(
        [
            _verdict_section(data),
            _run_section(data),
            _filters_section(),
            _coverage_section(data),
            _failures_section(data),
            _exports_section(data),
            _review_section(data),
            _charts_section(data),
        ]
    )
    extra = {"verdict": data["verdict"], "run_id": data["run_id"]}
    return page(title, header, body, extra)


def write_html(run_dir: Path, data: dict[str, Any], name: str = "report.html") -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / name
    path.write_text(render_report(data), encoding="utf-8")
    return path
