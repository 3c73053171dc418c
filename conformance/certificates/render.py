"""certificate.html / failure-record.html: a readable, self-contained view of a signed document.

The view is not authoritative: the signed JSON beside it is.  Every value is escaped.
"""

from __future__ import annotations

from typing import Any

from conformance.reporting.html import (
    STATUS_TEXT,
    badge,
    bi,
    bi_dict,
    esc,
    header_cells,
    level_badge,
    page,
)

__all__ = ["render_certificate"]


def _rows(rows: list[tuple[tuple[str, str], str]]) -> str:
    return "".join(
        f'<dt>{bi(zh, en)}</dt><dd class="mono">{esc(value)}</dd>' for (zh, en), value in rows
    )


def render_certificate(document: dict[str, Any]) -> str:
    payload = document["payload"]
    signature = document["signature"]
    candidate = payload["candidate"]
    standard = payload["standard"]
    is_certificate = payload["type"] == "certificate"
    if is_certificate:
        title = {"zh-CN": "互操作标准一致性证书", "en": "Certificate of conformance"}
        headline = bi(
            f"{candidate['system']} {candidate['version']} 符合 {standard['ref']}",
            f"{candidate['system']} {candidate['version']} conforms to {standard['ref']}",
        )
    else:
        title = {"zh-CN": "一致性测试不通过记录", "en": "Record of a failed conformance run"}
        headline = bi(
            f"{candidate['system']} {candidate['version']} 不符合 {standard['ref']}（不是证书）",
            f"{candidate['system']} {candidate['version']} does not conform to "
            f"{standard['ref']} (not a certificate)",
        )
    header = f"<div><h1>{bi(title['zh-CN'], title['en'])}</h1></div>"
    meta = [
        (("编号", "Id"), payload["id"]),
        (("厂商", "Vendor"), candidate["vendor"]),
        (("系统与版本", "System and version"), f"{candidate['system']} {candidate['version']}"),
        (("接口地址", "Base URL"), candidate.get("base_url") or "—"),
        (("标准", "Standard"), standard["ref"]),
        (("标准摘要", "Standard digest"), standard["digest"]),
        (("签发时间", "Issued at"), payload["issued_at"]),
    ]
    if is_certificate:
        meta.append((("有效期至", "Valid until"), payload["valid_until"]))
    meta += [
        (("签发人", "Issuer"), payload["issuer"]["name"]),
        (("签名密钥编号", "Signing key id"), signature["key_id"]),
        (
            ("运行编号 / 种子", "Run id / seed"),
            f"{payload['run']['run_id']} / {payload['run']['seed']}",
        ),
        (
            ("结果文件摘要", "Results sha256"),
            f"{payload['run']['results_file']} {payload['run']['results_sha256']}",
        ),
        (("工具版本", "Suite"), f"{payload['suite']['name']} {payload['suite']['version']}"),
    ]
    attestation = payload["run"].get("attestation")
    if attestation:
        runner = attestation["runner"]
        meta.append(
            (
                ("运行证明", "Run attested by"),
                f"{runner['name']} ({runner['role']}, {runner['key_id']})",
            )
        )
    log = document.get("transparency")
    if log:
        head = log["tree_head"]
        meta.append(
            (
                ("透明日志", "Transparency log"),
                f"#{log['index']} / {head['size']}, root {head['root']} ({head['log_id']})",
            )
        )
    parts = [
        f'<section class="card verdict {"pass" if is_certificate else "fail"}" id="verdict">'
        f'<p class="headline" id="verdict-headline">{headline}</p>'
        f"<p>{bi_dict(standard.get('title'))}</p>"
    ]
    if payload["reasons"]:
        parts.append("<ul>" + "".join(f"<li>{esc(r)}</li>" for r in payload["reasons"]) + "</ul>")
    if payload["warnings"]:
        parts.append(
            "<p>"
            + bi("警告：", "Warnings: ")
            + "</p><ul>"
            + "".join(f"<li>{esc(w)}</li>" for w in payload["warnings"])
            + "</ul>"
        )
    parts.append("</section>")
    parts.append(
        '<section class="card" id="run"><h2>'
        + bi("证书信息", "Details")
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
                ("导出", "Export"),
                ("文件", "File"),
                ("格式", "Format"),
                ("记录数", "Records"),
                ("SHA-256", "SHA-256"),
            )
        )
        parts.append(
            '<section class="card" id="exports"><h2>'
            + bi("测试的导出文件", "Export files tested")
            + f"</h2><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></section>"
        )
    clause_rows = []
    for clause in payload["clauses"]:
        counts = (
            ", ".join(
                f"{bi(*STATUS_TEXT.get(k, (k, k)))} {int(v)}"
                for k, v in sorted(clause["results"].items())
            )
            or "—"
        )
        extra = ""
        if clause.get("waivers"):
            extra = bi("豁免：", "waived by: ") + esc(", ".join(clause["waivers"]))
        if clause.get("attestation"):
            a = clause["attestation"]
            extra = bi("证明：", "attested by: ") + esc(f"{a['reviewer']} ({a['date']})")
        clause_rows.append(
            f'<tr><td class="id">{esc(clause["id"])}</td><td>{level_badge(clause["level"])}</td>'
            f"<td>{badge(clause['status'])}</td><td>{counts}</td><td>{extra}</td></tr>"
        )
    head = header_cells(
        (
            ("条款", "Clause"),
            ("级别", "Level"),
            ("状态", "Status"),
            ("检查结果", "Results"),
            ("审核", "Review"),
        )
    )
    parts.append(
        '<section class="card" id="coverage"><h2>'
        + bi("各条款结果", "Results per clause")
        + f"</h2><table><thead><tr>{head}</tr></thead><tbody>{''.join(clause_rows)}</tbody>"
        "</table></section>"
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
            + bi("适用的豁免", "Waivers applied")
            + f"</h2><table><tbody>{rows}</tbody></table></section>"
        )
    parts.append(
        '<section class="card"><p class="muted">'
        + bi(
            "此页面仅供阅读；具有效力的是旁边经 Ed25519 签名的 JSON 文件。验证：",
            "This page is a view; the Ed25519-signed JSON file beside it is authoritative. "
            "Verify with: ",
        )
        + '</p><pre class="curl">'
        + esc(
            f"conformance verify {'certificate' if is_certificate else 'failure-record'}.json "
            "--trust ISSUER.pub.pem"
        )
        + "</pre></section>"
    )
    return page(title, header, "\n".join(parts), {"certificate": payload["id"]})
