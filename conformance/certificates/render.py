"""certificate.html / failure-record.html: a readable, self-contained view of a signed document.

The view is not authoritative: the signed JSON beside it is.  Every value is escaped.
"""

from __future__ import annotations

from typing import Any

from conformance.controls import visible_data
from conformance.i18n import DEFAULT_LANG, LANGS, Message, render
from conformance.redaction import redact_data
from conformance.reporting.html import (
    badge,
    bi_dict,
    esc,
    header_cells,
    level_badge,
    page,
    t,
    table,
)

__all__ = ["render_certificate"]


def _rows(rows: list[tuple[str, str]]) -> str:
    return "".join(
        f'<dt>{t(label)}</dt><dd class="mono">{esc(value)}</dd>' for label, value in rows
    )


def _said(payload: dict[str, Any]) -> dict[str, str]:
    """The signed reasons and warnings in both languages, by their English text.

    The payload keeps the English text the roll-up wrote; the same roll-up over the signed
    clause statuses gives their catalog messages.  A text it does not give (a lifecycle
    warning, already bilingual) is shown as signed."""
    from conformance.engine.verdict import ClauseInfo, roll_up
    from conformance.reporting.html import tm

    clauses = payload.get("clauses") or []
    infos = [ClauseInfo(c["id"], c["level"], "automated") for c in clauses]
    verdict = roll_up(infos, {c["id"]: c["status"] for c in clauses})
    texts = verdict.reasons + verdict.warnings
    messages = verdict.messages["reasons"] + verdict.messages["warnings"]
    return {text: tm(message) for text, message in zip(texts, messages, strict=True)}


def render_certificate(document: dict[str, Any], lang: str = DEFAULT_LANG) -> str:
    """The view of a signed document; it opens in ``lang`` (zh-CN or en), with a switch.
    Control and bidirectional characters are shown escaped (issue 15 item 7)."""
    document = visible_data(redact_data(document))
    payload = document["payload"]
    signature = document["signature"]
    candidate = payload["candidate"]
    standard = payload["standard"]
    is_certificate = payload["type"] == "certificate"
    kind = "certificate" if is_certificate else "failure_record"
    title = {lang: render(Message(f"cert.title_{kind}"), lang) for lang in LANGS}
    headline = t(
        f"cert.headline_{kind}",
        system=candidate["system"],
        version=candidate["version"],
        standard=standard["ref"],
    )
    header = f"<div><h1>{t(f'cert.title_{kind}')}</h1></div>"
    meta = [
        ("cert.id", payload["id"]),
        ("cert.vendor", candidate["vendor"]),
        ("cert.system_and_version", f"{candidate['system']} {candidate['version']}"),
        ("cert.base_url", candidate.get("base_url") or "—"),
        ("cert.standard", standard["ref"]),
        ("cert.standard_digest", standard["digest"]),
        ("cert.issued_at", payload["issued_at"]),
    ]
    if is_certificate:
        meta.append(("cert.valid_until", payload["valid_until"]))
    meta += [
        ("cert.issuer", payload["issuer"]["name"]),
        ("cert.signing_key_id", signature["key_id"]),
        (
            "cert.run_id_seed",
            f"{payload['run']['run_id']} / {payload['run']['seed']}",
        ),
        (
            "cert.results_sha256",
            f"{payload['run']['results_file']} {payload['run']['results_sha256']}",
        ),
        ("cert.suite", f"{payload['suite']['name']} {payload['suite']['version']}"),
    ]
    attestation = payload["run"].get("attestation")
    if attestation:
        runner = attestation["runner"]
        meta.append(
            (
                "cert.run_attested_by",
                f"{runner['name']} ({runner['role']}, {runner['key_id']})",
            )
        )
    log = document.get("transparency")
    if log:
        head = log["tree_head"]
        meta.append(
            (
                "cert.transparency_log",
                f"#{log['index']} / {head['size']}, root {head['root']} ({head['log_id']})",
            )
        )
    parts = [
        f'<section class="card verdict {"pass" if is_certificate else "fail"}" id="verdict">'
        f'<p class="headline" id="verdict-headline">{headline}</p>'
        f"<p>{bi_dict(standard.get('title'))}</p>"
    ]
    said = _said(payload)
    if payload["reasons"]:
        parts.append(
            "<ul>"
            + "".join(f"<li>{said.get(r) or esc(r)}</li>" for r in payload["reasons"])
            + "</ul>"
        )
    if payload["warnings"]:
        parts.append(
            "<p>"
            + t("cert.warnings")
            + "</p><ul>"
            + "".join(f"<li>{said.get(w) or esc(w)}</li>" for w in payload["warnings"])
            + "</ul>"
        )
    parts.append("</section>")
    parts.append(
        '<section class="card" id="run"><h2>'
        + t("cert.details")
        + f'</h2><dl class="meta">{_rows(meta)}</dl></section>'
    )
    if candidate["exports"]:
        rows = "".join(
            f'<tr><td class="mono">{esc(e["name"])}</td><td class="mono">{esc(e["file"])}</td>'
            f"<td>{esc(e['format'])}</td><td>{int(e['records'])}</td>"
            f'<td class="mono">{esc(e["sha256"] or "—")}</td></tr>'
            for e in candidate["exports"]
        )
        head = header_cells(
            (
                "cert.export",
                "cert.file",
                "cert.format",
                "cert.records",
                "cert.sha_256",
            )
        )
        parts.append(
            '<section class="card" id="exports"><h2>'
            + t("cert.export_files_tested")
            + "</h2>"
            + table(head, rows)
            + "</section>"
        )
    clause_rows = []
    for clause in payload["clauses"]:
        counts = (
            ", ".join(f"{t('status.' + k)} {int(v)}" for k, v in sorted(clause["results"].items()))
            or "—"
        )
        extra = ""
        if clause.get("waivers"):
            extra = t("cert.waived_by") + esc(", ".join(clause["waivers"]))
        if clause.get("attestation"):
            a = clause["attestation"]
            extra = t("cert.attested_by") + esc(f"{a['reviewer']} ({a['date']})")
        clause_rows.append(
            f'<tr><td class="id">{esc(clause["id"])}</td><td>{level_badge(clause["level"])}</td>'
            f"<td>{badge(clause['status'])}</td><td>{counts}</td><td>{extra}</td></tr>"
        )
    head = header_cells(
        (
            "cert.clause",
            "cert.level",
            "cert.status",
            "cert.results",
            "cert.review",
        )
    )
    parts.append(
        '<section class="card" id="coverage"><h2>'
        + t("cert.results_per_clause")
        + "</h2>"
        + table(head, "".join(clause_rows))
        + "</section>"
    )
    if payload["waivers"]:
        rows = "".join(
            f'<tr><td class="id">{esc(w["id"])}</td><td>{esc(w.get("clause") or w.get("check"))}'
            f"</td><td>{esc(w['reason'])}</td><td>{esc(w['approved_by'])}</td>"
            f"<td>{esc(w['expires'])}</td></tr>"
            for w in payload["waivers"]
        )
        parts.append(
            '<section class="card" id="waivers"><h2>'
            + t("cert.waivers_applied")
            + f"</h2><div class='table-wrap'><table><tbody>{rows}</tbody></table></div></section>"
        )
    parts.append(
        '<section class="card"><p class="muted">'
        + t("cert.view_note")
        + '</p><pre class="curl">'
        + esc(
            f"conformance verify {'certificate' if is_certificate else 'failure-record'}.json "
            "--trust ISSUER.pub.pem"
        )
        + "</pre></section>"
    )
    return page(title, header, "\n".join(parts), {"certificate": payload["id"]}, lang=lang)
