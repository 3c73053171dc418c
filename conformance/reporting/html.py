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

from conformance.controls import visible, visible_data
from conformance.i18n import DEFAULT_LANG, LANGS, Message, message_from, render, render_html
from conformance.redaction import redact_data

__all__ = [
    "bi",
    "esc",
    "json_for_script",
    "page",
    "render_report",
    "t",
    "tm",
    "write_html",
]

MAX_FAILURES_PER_RESULT = 20
MAX_EXAMPLES_PER_FAILURE = 10
MAX_HEADERS = 30
STATUSES = ("pass", "fail", "error", "skip", "waived")
LEVELS = ("MUST", "SHOULD", "MAY")


# -- escaping and bilingual text ---------------------------------------------------------


def esc(value: object) -> str:
    """Text for an HTML element or a quoted attribute; control and bidirectional characters
    shown escaped (every page built here: report, certificate, registry index)."""
    return html.escape(visible(str(value), lines=True), quote=True)


def table(head: str, rows: str) -> str:
    """A table in its own scrolling box (the page never scrolls sideways)."""
    return (
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


def header_cells(columns: Sequence[str | tuple[str, str]]) -> str:
    """A table's header cells, each a catalog message id (or a ``(zh, en)`` pair)."""
    return "".join(
        f"<th>{t(column) if isinstance(column, str) else bi(*column)}</th>" for column in columns
    )


def tm(message: Message) -> str:
    """Both languages of a catalog message; CSS shows the one selected.  Data values in it
    are escaped and marked ``<code class="v">``."""
    return (
        f'<span class="zh" lang="zh-CN">{render_html(message, "zh-CN")}</span>'
        f'<span class="en" lang="en">{render_html(message, "en")}</span>'
    )


def t(message_id: str, **params: Any) -> str:
    """Both languages of the catalog message ``message_id`` with ``params``."""
    return tm(Message(message_id, params))


def svg_t(message_id: str) -> str:
    """Both languages of a catalog message inside an SVG <text>."""
    message = Message(message_id)
    return (
        f'<tspan class="zh">{esc(render(message, "zh-CN"))}</tspan>'
        f'<tspan class="en">{esc(render(message, "en"))}</tspan>'
    )


def stored(data: Mapping[str, Any], key: str, english: str) -> Message:
    """The catalog message stored in ``data["i18n"][key]``; else the English text as is."""
    found = message_from((data.get("i18n") or {}).get(key))
    return found or Message("text", {"text": english})


def bi(zh: str, en: str) -> str:
    """Both languages; CSS shows the one selected.  Both arguments are plain text."""
    return (
        f'<span class="zh" lang="zh-CN">{esc(zh)}</span><span class="en" lang="en">{esc(en)}</span>'
    )


def bi_dict(text: Mapping[str, str] | None) -> str:
    text = text or {}
    zh = text.get("zh-CN") or text.get("en") or ""
    en = text.get("en") or zh
    return (
        f'<span class="zh" lang="zh-CN">{esc(zh)}</span><span class="en" lang="en">{esc(en)}</span>'
    )


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


def _plain_both(message_id: str, **params: Any) -> str:
    """Plain text in both languages, zh-CN first (attributes and SVG titles)."""
    return " / ".join(_both(message_id, **params).values())


def _both(message_id: str, **params: Any) -> dict[str, str]:
    message = Message(message_id, params)
    return {lang: render(message, lang) for lang in LANGS}


def page(
    title: Mapping[str, str],
    header: str,
    body: str,
    extra_data: Mapping[str, Any],
    *,
    lang: str = DEFAULT_LANG,
) -> str:
    """The page shell: CSP, inline style and script, the language switch, and the embedded
    CJK font: a subset of exactly the characters the page shows.  ``lang`` is shown first."""
    from conformance.reporting.fonts import embedded_font

    script = _asset("report.js")
    data = {
        "title": {"zh-CN": title["zh-CN"], "en": title["en"]},
        "lang": lang,
        "i18n": {
            "switchTo": _both("ui.switch_to"),
            "switchLabel": _both("ui.switch_label"),
            "shown": _both("ui.clauses_shown", shown="{shown}", total="{total}"),
        },
        **extra_data,
    }
    switch_to, switch_label = data["i18n"]["switchTo"], data["i18n"]["switchLabel"]
    tail = f"<main>\n{body}\n</main>\n<footer>{t('ui.offline_note')}"
    shown = "".join((header, tail, json.dumps(data["i18n"], ensure_ascii=False), *title.values()))
    font = embedded_font(shown)
    style = _asset("report.css") + font.css
    csp = (
        "default-src 'none'; img-src data:; font-src data:; "
        f"style-src {_csp_hash(style)}; script-src {_csp_hash(script)}; "
        "base-uri 'none'; form-action 'none'"
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{esc(lang)}" data-lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{esc(title[lang])}</title>\n"
        f"<style>{style}</style>\n</head>\n<body>\n"
        f'<header class="top">{header}'
        f'<button type="button" id="lang-switch" aria-label="{esc(switch_label[lang])}">'
        f"{esc(switch_to[lang])}</button>"
        "</header>\n"
        f"{tail}{font.note}</footer>\n"
        f'<script type="application/json" id="report-data">{json_for_script(data)}</script>\n'
        f"<script>{script}</script>\n</body>\n</html>\n"
    )


def badge(status: str) -> str:
    return f'<span class="badge s-{esc(status)}">{t("status." + status)}</span>'


def level_badge(level: str) -> str:
    return f'<span class="badge l-{esc(level)}">{t("level." + level)}</span>'


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
        headline = t("ui.conforms_certifiable")
        why = t("ui.every_must_clause_passed_or_was_attested")
    else:
        headline = t("ui.does_not_conform_not_certifiable")
        why = t("ui.these_must_clauses_are_not_met")
    parts.append(f'<p class="headline" id="verdict-headline">{headline}</p>')
    if review:
        as_of = review.get("as_of", "")
        parts.append(f'<p class="muted">{t("ui.reviewed_results", as_of=as_of)}</p>')
    parts.append(f"<p>{why}</p>")
    automated = data.get("automated") or {}
    pending = [str(c) for c in automated.get("pending_attestations") or []]
    if not passed and automated.get("verdict") == "pass" and pending:
        said = t("term.automated_pass_pending", clauses=", ".join(pending))
        parts.append(f'<p id="verdict-automated"><strong>{said}</strong></p>')
    if data["verdict"] == "inconclusive":
        parts.append(f'<p id="verdict-inconclusive">{t("term.verdict_inconclusive")}</p>')
    if data.get("unreachable"):
        parts.append(
            "<p><strong>"
            + t("ui.the_candidate_was_unreachable")
            + f'</strong><span class="mono">{esc(data["unreachable"])}</span></p>'
        )
    failing = [c for c in data["clauses"] if c["level"] == "MUST" and not _passing(c["status"])]
    if failing:
        parts.append('<ul id="verdict-reasons">')
        for clause in failing:
            status = clause["status"]
            why_id = {
                "awaiting-attestation": "ui.why_awaiting",
                "skip": "ui.why_not_exercised",
                "error": "ui.why_error",
            }.get(status, "ui.why_failed")
            link = f"#{_anchor('f', clause['id'])}" if status in ("fail", "error") else "#coverage"
            parts.append(
                f'<li><a href="{esc(link)}" class="mono">{esc(clause["id"])}</a> '
                f"{badge(status)} {t(why_id)} — {bi_dict(clause.get('text'))}</li>"
            )
        parts.append("</ul>")
    warnings = [
        c for c in data["clauses"] if c["level"] == "SHOULD" and c["status"] in ("fail", "error")
    ]
    if warnings:
        parts.append(
            "<p>"
            + t("ui.warnings_should_clauses_not_met_listed_o")
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
            + t("ui.clauses_passing_under_a_waiver")
            + ", ".join(f'<span class="mono">{esc(c["id"])}</span>' for c in waived)
            + "</p>"
        )
    summary = data["summary"]
    parts.append('<p class="counts">')
    for status in STATUSES:
        if status in summary:
            parts.append(
                f"<span>{t('status.' + status)}: <strong>{int(summary[status])}</strong></span>"
            )
    parts.append("</p></section>")
    return "".join(parts)


def _run_section(data: Mapping[str, Any]) -> str:
    standard = data["standard"]
    candidate = data["candidate"]
    rows = [
        (
            "ui.system",
            f"{candidate['vendor']} · {candidate['system']} {candidate['version']}",
        ),
        ("ui.base_url", candidate.get("base_url") or "—"),
        ("ui.standard", f"{standard['ref']} [{standard['status']}]"),
        ("ui.standard_digest", standard["digest"]),
        ("ui.run_id", data["run_id"]),
        ("ui.seed", f"{data['seed']} (--seed {data['seed']})"),
        ("ui.started_finished", f"{data['started_at']} / {data['finished_at']}"),
        ("ui.suite", f"{data['suite']['name']} {data['suite']['version']}"),
        ("ui.requests_sha256", data["requests_sha256"]),
    ]
    if candidate.get("implements"):
        rows.append(("ui.optional_clauses_claimed", ", ".join(candidate["implements"])))
    items = "".join(
        f'<dt>{t(label)}</dt><dd class="mono">{esc(value)}</dd>' for label, value in rows
    )
    return (
        '<section class="card" id="run"><h2>'
        + t("ui.run")
        + f'</h2><dl class="meta">{items}</dl></section>'
    )


def _filters_section() -> str:
    options = "".join(
        f'<option value="{lv}">{esc(render(Message("level." + lv), "zh-CN"))} / {lv}</option>'
        for lv in LEVELS
    )
    everything = f"{render(Message('ui.all'), 'zh-CN')} / {render(Message('ui.all'), 'en')}"
    return (
        '<section class="card filters" id="filters">'
        '<label><input type="checkbox" id="filter-failures"> '
        + t("ui.failures_only")
        + "</label><label>"
        + t("ui.level")
        + '<select id="filter-level">'
        + f'<option value="all">{esc(everything)}</option>{options}</select>'
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
                t("ui.attested_by")
                + f"{esc(attestation['reviewer'])} ({esc(attestation['date'])}): "
                + f"<span>{esc(attestation['evidence'])}</span>"
            )
        return t("ui.manual_clause_awaiting_a_reviewer_s_atte")
    if not results:
        return t("ui.no_check_exercised_this_clause")
    examined = sum(int(r.get("examined", 0)) for r in results)
    targets = sorted({r["target"] for r in results})
    parts = [
        t("ui.examined_on", examined=examined)
        + "".join(f'<br><span class="mono target">{esc(target)}</span>' for target in targets)
    ]
    skips: dict[str, str] = {}
    for result in results:
        if result["status"] == "skip":
            skips.setdefault(result["message"], tm(stored(result, "message", result["message"])))
    if skips and status == "skip":
        parts.append(t("ui.skipped") + "; ".join(skips[k] for k in sorted(skips)))
    if status in ("fail", "error", "waived"):
        parts.append(
            f'<a href="#{esc(_anchor("f", clause["id"]))}">' + t("ui.see_the_failures") + "</a>"
        )
    for waiver_id in clause.get("waivers", []):
        waiver = next((w for w in review.get("waivers", []) if w["id"] == waiver_id), None)
        if waiver:
            parts.append(
                t("ui.waiver")
                + f'<span class="mono">{esc(waiver_id)}</span>: {esc(waiver["reason"])} '
                + f"({esc(waiver['approved_by'])}, "
                + t("ui.until")
                + f"{esc(waiver['expires'])})"
            )
    return "<br>".join(parts)


COVERAGE_COLUMNS = (
    "ui.clause",
    "ui.level_2",
    "ui.verification",
    "ui.requirement",
    "ui.checks",
    "ui.status",
    "ui.evidence",
)


def _cell_labels() -> list[str]:
    """Each coverage cell's column name, shown above it where the matrix reflows (phones)."""
    return [
        f' data-zh="{esc(render(Message(c), "zh-CN"))}" data-en="{esc(render(Message(c), "en"))}"'
        for c in COVERAGE_COLUMNS
    ]


def _coverage_section(data: Mapping[str, Any]) -> str:
    grouped = _results_by_clause(data)
    review = data.get("review") or {}
    labels = _cell_labels()
    rows = []
    for clause in data["clauses"]:
        results = grouped.get(clause["id"], [])
        per_check: dict[str, Counter[str]] = {}
        for result in results:
            per_check.setdefault(result["check"], Counter())[_effective(result)] += 1
        checks = (
            "".join(
                f'<div>{t("check." + check)} <span class="mono muted">{esc(check)}</span> '
                + " ".join(f"{badge(s)}×{n}" for s, n in sorted(counter.items()))
                + "</div>"
                for check, counter in sorted(per_check.items())
            )
            or '<span class="muted">—</span>'
        )
        rows.append(
            f'<tr class="filterable" id="{esc(_anchor("c", clause["id"]))}" '
            f'data-level="{esc(clause["level"])}" data-status="{esc(clause["status"])}" '
            f'data-bad="{"1" if _bad(clause) else "0"}">'
            f'<td class="id">{esc(clause["id"])}</td>'
            f"<td{labels[1]}>{level_badge(clause['level'])}</td>"
            f"<td{labels[2]}>{t('verification.' + clause['verification'])}</td>"
            f"<td{labels[3]}>{bi_dict(clause.get('text'))}</td>"
            f'<td class="checks"{labels[4]}>{checks}</td>'
            f'<td class="status"{labels[5]}>{badge(clause["status"])}</td>'
            f'<td class="evidence"{labels[6]}>'
            f"{_coverage_evidence(clause, results, review)}</td></tr>"
        )
    head = header_cells(COVERAGE_COLUMNS)
    return (
        '<section class="card" id="coverage"><h2>'
        + t("ui.clause_coverage_matrix")
        + f'</h2><div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
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
        label = t("ui.request") + (
            f' <span class="muted">({t("source." + str(source))})</span>' if source else ""
        )
        parts.append(f"<h4>{label}</h4>{_pre(text)}")
    if response:
        text = (
            f"HTTP {response.get('status', '')}  ({response.get('elapsed_ms', '')} ms)\n"
            f"{_headers(response.get('headers'))}\n\n{response.get('body', '')}"
        )
        parts.append(f"<h4>{t('ui.response_excerpt')}</h4>{_pre(text)}")
    if evidence.get("curl"):
        parts.append(f"<h4>{t('ui.reproduce_with_curl')}</h4>{_pre(evidence['curl'], 'curl')}")
    steps = evidence.get("steps")
    if isinstance(steps, list) and steps:  # a conversation (state machine): one curl per step
        lines = "\n".join(f"# {n}\n{step}" for n, step in enumerate(steps, start=1))
        seed = evidence.get("seed", "")
        parts.append(f"<h4>{t('ui.reproduce_steps', seed=seed)}</h4>{_pre(lines, 'curl')}")
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
            f"<td>{tm(stored(example, 'message', example.get('message', '')))}</td>"
            f'<td class="mono">{esc(example.get("value", ""))}</td></tr>'
        )
    more = len(examples) - MAX_EXAMPLES_PER_FAILURE
    tail = '<p class="muted">' + t("ui.more_examples", more=more) + "</p>" if more > 0 else ""
    head = header_cells(("ui.where", "ui.problem", "ui.value"))
    return table(head, "".join(rows)) + tail


def _failure(failure: Mapping[str, Any], *, open_evidence: bool) -> str:
    where = []
    for key, label in (
        ("location", "ui.location"),
        ("pointer", "ui.json_pointer"),
        ("schema_path", "ui.schema_path"),
    ):
        if failure.get(key):
            where.append(f"{t(label)}: {esc(failure[key])}")
    evidence = failure.get("evidence") or {}
    body = ""
    if "examples" in evidence:
        body = _example_rows(evidence["examples"])
    elif evidence:
        body = (
            f"<details{' open' if open_evidence else ''}><summary>"
            + t("ui.request_response_and_curl")
            + f"</summary>{_api_evidence(evidence)}</details>"
        )
    return (
        '<div class="failure">'
        f"<div><strong>{tm(stored(failure, 'title', failure.get('title', '')))}</strong> "
        f'<span class="badge s-fail">×{int(failure.get("count", 1))}</span> '
        f"{tm(stored(failure, 'message', failure.get('message', '')))}</div>"
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
        f"<td>{t('ui.listing_capped') if key in capped else ''}</td></tr>"
        for key, n in sorted(counts.items(), key=lambda kv: (-int(kv[1]), kv[0]))
    )
    head = header_cells(("ui.check_error_type", "ui.count")) + "<th></th>"
    return f"<h4>{t('ui.error_counts_per_type')}</h4>" + table(head, rows)


def _result_block(result: Mapping[str, Any], review: Mapping[str, Any]) -> str:
    status = _effective(result)
    parts = [
        '<div class="result">'
        f"<div>{badge(status)} {t('check.' + result['check'])} "
        f'(<span class="mono">{esc(result["check"])}</span>) · '
        f'<span class="mono">{esc(result["target"])}</span></div>'
        f"<div>{tm(stored(result, 'message', result.get('message', '')))}</div>"
    ]
    if result.get("waiver"):
        waiver: Mapping[str, Any] = next(
            (w for w in review.get("waivers", []) if w["id"] == result["waiver"]), {}
        )
        parts.append(
            '<div class="muted">'
            + t("ui.waived")
            + f'<span class="mono">{esc(result["waiver"])}</span> {esc(waiver.get("reason", ""))}'
            + "</div>"
        )
    failures = result.get("failures") or []
    for index, failure in enumerate(failures[:MAX_FAILURES_PER_RESULT]):
        parts.append(_failure(failure, open_evidence=index == 0))
    if len(failures) > MAX_FAILURES_PER_RESULT:
        more = len(failures) - MAX_FAILURES_PER_RESULT
        parts.append('<p class="muted">' + t("ui.more_failures", more=more) + "</p>")
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
        blocks.append(f'<p class="muted">{t("ui.no_failure_or_error")}</p>')
    return (
        '<section class="card" id="failures"><h2>'
        + t("ui.failures_by_clause")
        + "</h2>"
        + "".join(blocks)
        + "</section>"
    )


def _advisories_section(data: Mapping[str, Any]) -> str:
    """Findings below their clause's level (a valid request rejected where the standard
    does not declare its inputs complete, a leap second refused): each with its request."""
    blocks = []
    for result in data["results"]:
        found = (result.get("evidence") or {}).get("advisories") or []
        if not found:
            continue
        blocks.append(
            '<div class="result">'
            f'<div><span class="mono">{esc(result["clause"])}</span> · '
            f"{t('check.' + result['check'])} · "
            f'<span class="mono">{esc(result["target"])}</span></div>'
            + "".join(_failure(f, open_evidence=False) for f in found[:MAX_FAILURES_PER_RESULT])
            + "</div>"
        )
    if not blocks:
        return ""
    return (
        '<section class="card" id="advisories"><h2>'
        + t("ui.advisories")
        + "</h2>"
        + f'<p class="muted">{t("ui.advisories_explained")}</p>'
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
            "ui.export",
            "ui.file",
            "ui.format",
            "ui.records",
            "ui.sha_256",
            "ui.error_counts",
        )
    )
    # Warnings do not fail a check, but a reviewer should see them (e.g. formula-like
    # cells); shown as escaped text like every value from a file.
    notes = "".join(
        f'<h4>{t("ui.warnings_of_export")}<span class="mono">{esc(name)}</span>'
        f"</h4>{_example_rows(found)}"
        for name, found in sorted(warnings.items())
    )
    return (
        '<section class="card" id="exports"><h2>'
        + t("ui.export_files")
        + "</h2>"
        + table(head, "".join(rows))
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
        '<section class="card" id="review"><h2>' + t("ui.review_waivers_and_attestations") + "</h2>"
    ]
    waivers = review.get("waivers") or []
    if waivers:
        head = header_cells(
            (
                "ui.id",
                "ui.scope",
                "ui.reason",
                "ui.approved_by",
                "ui.expires",
                "ui.state",
                "ui.failed_results_waived",
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
        parts.append(table(head, rows))
    attestations = review.get("attestations") or []
    if attestations:
        head = header_cells(
            (
                "ui.clause",
                "ui.reviewer",
                "ui.evidence_2",
                "ui.date",
            )
        )
        rows = "".join(
            f'<tr><td class="mono">{esc(a["clause"])}</td><td>{esc(a["reviewer"])}</td>'
            f"<td>{esc(a['evidence'])}</td><td>{esc(a['date'])}</td></tr>"
            for a in attestations
        )
        parts.append(f"<h3>{t('ui.attestations')}</h3>")
        parts.append(table(head, rows))
    notes = review.get("notes") or []
    if notes:
        said = (review.get("i18n") or {}).get("notes") or []
        items = [message_from(m) for m in said] if len(said) == len(notes) else []
        parts.append(
            "<ul>"
            + "".join(
                f"<li>{tm((items[i] if items else None) or Message('text', {'text': n}))}</li>"
                for i, n in enumerate(notes)
            )
            + "</ul>"
        )
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
            f'<text x="{x + 14}" y="15">{svg_t("status." + status)}</text>'
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
            tip = f"{label}: {n} " + _plain_both("status." + status)
            parts.append(
                f'<rect class="seg-{status}" x="{x0:.1f}" y="{y + 3}" width="{width:.1f}" '
                f'height="{row_h - 6}"><title>{esc(tip)}</title></rect>'
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
        return f'<p class="muted">{t("ui.no_response_latency_recorded")}</p>'
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
        f'{chart_h + bottom + 20}" role="img" aria-label="{esc(_plain_both("ui.latency_chart"))}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{esc(_plain_both("ui.latency_chart"))}</title>'
        f'<line class="axis" x1="{left}" y1="{chart_h + 10}" x2="{left + chart_w}" '
        f'y2="{chart_h + 10}" stroke="#d5dbe1"></line>'
    ]
    for index, n in enumerate(counts):
        if not n:
            continue
        h = chart_h * n / most
        lo, hi = index * width, (index + 1) * width
        label = f"{lo:.1f}–{hi:.1f} ms: {n}" + (
            f" ({_plain_both('ui.latency_over', over=over)})" if index == bins - 1 and over else ""
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
        f"{svg_t('ui.response_time_ms')}</text>"
    )
    parts.append(f'<text x="{left + 4}" y="16">{svg_t("ui.responses")}</text>')
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
            "ui.operation",
            "ui.samples",
            "ui.p50_ms",
            "ui.p95_ms",
            "ui.max_ms",
        )
    )
    return (
        "".join(parts)
        + f'<div class="table-wrap"><table id="latency-table"><thead><tr>{head}</tr></thead>'
        + f"<tbody>{''.join(rows)}</tbody></table></div>"
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
        + t("ui.charts")
        + '</h2><div class="charts">'
        + f"<h3>{t('ui.results_by_clause')}</h3>"
        + bar_chart(
            "chart-clauses",
            _plain_both("ui.results_by_clause"),
            [(c, by_clause[c]) for c in order],
        )
        + f"<h3>{t('ui.results_by_check')}</h3>"
        + bar_chart("chart-checks", _plain_both("ui.results_by_check"), sorted(by_check.items()))
        + f"<h3>{t('ui.response_latency_distribution')}</h3>"
        + latency_chart(data.get("latency_ms") or {})
        + "</div></section>"
    )


# -- the page ------------------------------------------------------------------------------


def _certificate_section(document: Mapping[str, Any] | None) -> str:
    """What a signed certificate (or failure record) of this run says, for the archive."""
    if not document:
        return ""
    payload = document.get("payload") or {}
    signature = document.get("signature") or {}
    kind = "certificate" if payload.get("type") == "certificate" else "failure_record"
    rows = [
        ("cert.id", payload.get("id", "")),
        ("cert.issuer", (payload.get("issuer") or {}).get("name", "")),
        ("cert.issued_at", payload.get("issued_at", "")),
        ("cert.valid_until", payload.get("valid_until") or "—"),
        ("cert.signing_key_id", signature.get("key_id", "")),
    ]
    items = "".join(f'<dt>{t(label)}</dt><dd class="mono">{esc(v)}</dd>' for label, v in rows)
    verify = f"conformance verify {kind.replace('_', '-')}.json --trust ISSUER.pub.pem"
    return (
        f'<section class="card" id="certificate"><h2>{t("cert.title_" + kind)}</h2>'
        f'<dl class="meta">{items}</dl><p class="muted">{t("cert.view_note")}</p>'
        f'<pre class="curl">{esc(verify)}</pre></section>'
    )


def render_report(
    data: Mapping[str, Any],
    lang: str = DEFAULT_LANG,
    certificate: Mapping[str, Any] | None = None,
) -> str:
    """The report of a results dictionary; ``lang`` is the language it opens in, and a
    signed ``certificate`` (or failure record) of the run is shown after the review.

    A sink: registered secrets are redacted, and control and bidirectional characters are
    shown escaped (``\\x1b``, ``\\u202e``) wherever the page shows a value (issue 15)."""
    data = visible_data(redact_data(data))
    if certificate is not None:
        certificate = visible_data(redact_data(certificate))
    standard = data["standard"]
    candidate = data["candidate"]
    title_text = standard.get("title") or {}
    title = _both("ui.report_title", system=candidate["system"], standard=standard["ref"])
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
            _advisories_section(data),
            _exports_section(data),
            _review_section(data),
            _certificate_section(certificate),
            _charts_section(data),
        ]
    )
    extra = {"verdict": data["verdict"], "run_id": data["run_id"]}
    return page(title, header, body, extra, lang=lang)


def write_html(
    run_dir: Path, data: dict[str, Any], name: str = "report.html", lang: str = DEFAULT_LANG
) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / name
    path.write_text(render_report(data, lang), encoding="utf-8")
    return path
