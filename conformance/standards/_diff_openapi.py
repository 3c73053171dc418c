"""The OpenAPI part of a standard diff: operations, parameters (and their serialization),
request bodies, responses, media types, headers, security, deprecation and sunset, webhooks,
callbacks, the engine's extensions, and the documentation of the OpenAPI document.

:class:`ApiDiffer` is a part of ``conformance.standards.diff._Differ``, which provides the
versions, the schema differ, and ``add``/``site`` to record changes and usage sites.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.errors import ConformanceError, Location, StandardError
from conformance.standards._diff_api import (
    Lifecycle,
    Requirement,
    anonymous,
    describe_scheme,
    lifecycle,
    match_media,
    parse_date,
    path_renames,
    requirements,
    scheme_summary,
    serialization_differs,
    serialization_text,
)
from conformance.standards._diff_api import notice_days as document_notice_days
from conformance.standards._diff_docs import (
    OPENAPI_DOC_KEYS,
    describe,
    doc_differences,
    group_of,
    strip_docs,
)
from conformance.standards._diff_model import Loc
from conformance.standards._diff_schema import SchemaDiffer, Side, canonical, child, short
from conformance.standards._documents import join_pointer
from conformance.standards.model import Standard

__all__ = ["ApiDiffer", "standard_date", "union"]

# extensions with rules of their own (the engine's, and the sunset date)
_ENGINE_EXTENSIONS = ("x-clauses", "x-response-time-ms", "x-filters", "x-pagination", "x-sunset")


@dataclass(frozen=True)
class _OperationPair:
    """One operation in both versions: as the engine loads it, raw, and where it is."""

    old: Any
    new: Any
    old_raw: dict[str, Any]
    new_raw: dict[str, Any]
    o_uri: str
    n_uri: str
    clauses: tuple[str, ...]  # the operation's own clauses (not its responses')


class ApiDiffer:
    """The OpenAPI comparisons of a standard diff (mixed into the differ)."""

    old_std: Standard
    new_std: Standard
    old: Side
    new: Side
    schemas: SchemaDiffer
    release_date: dt.date
    notice: int
    notice_override: int
    old_doc: Any
    new_doc: Any

    def add(
        self,
        rule: str,
        subject: tuple[str, str],
        old: Loc | None,
        new: Loc | None,
        detail: str = "",
    ) -> None:
        raise NotImplementedError

    def site(
        self, subject: tuple[str, str], clauses: Any, checks: tuple[str, ...] = ()
    ) -> tuple[str, str]:
        raise NotImplementedError

    # -- API ----------------------------------------------------------------------------

    def _api(self) -> None:
        old_path, new_path = self.old_std.openapi_path, self.new_std.openapi_path
        subject = ("接口定义", "API definition")
        if old_path is None and new_path is None:
            return
        if old_path is None or new_path is None:
            rule = "api-added" if old_path is None else "api-removed"
            self.add(
                rule,
                subject,
                self._file_loc(self.old, old_path),
                self._file_loc(self.new, new_path),
            )
            return
        old_ops = {(o.method, _norm_path(o.path)): o for o in _operations(self.old, old_path)}
        new_ops = {(o.method, _norm_path(o.path)): o for o in _operations(self.new, new_path)}
        old_uri, new_uri = self.old.schemas.uri(old_path), self.new.schemas.uri(new_path)
        self.old_doc = self.old.schemas.document(old_path).data
        self.new_doc = self.new.schemas.document(new_path).data
        self.notice = max(document_notice_days(self.new_doc), self.notice_override)
        for key, op in new_ops.items():
            if key not in old_ops:
                subject = self.site((f"接口 {op.target}", op.target), op.all_clauses())
                self.add("operation-added", subject, None, self.new.loc(f"{new_uri}#{op.pointer}"))
        for key, op in old_ops.items():
            if key not in new_ops:
                subject = self.site((f"接口 {op.target}", op.target), op.all_clauses())
                o_uri = f"{old_uri}#{op.pointer}"
                state = lifecycle(self._raw(self.old, o_uri))
                rule = self._removal("operation", state)
                self.add(rule, subject, self.old.loc(o_uri), None, state.describe())
                continue
            self._operation(op, new_ops[key], old_uri, new_uri)
        self._webhooks(old_uri, new_uri)
        self._api_docs(old_path, new_path, old_ops, new_ops)

    def _file_loc(self, side: Side, path: Path | None) -> Loc | None:
        if path is None:
            return None
        return side.loc(side.schemas.uri(path) + "#")

    def _operation(self, old: Any, new: Any, old_doc: str, new_doc: str) -> None:
        o_uri, n_uri = f"{old_doc}#{old.pointer}", f"{new_doc}#{new.pointer}"
        o_loc, n_loc = self.old.loc(o_uri), self.new.loc(n_uri)
        clauses = union(old.all_clauses(), new.all_clauses())
        subject = self.site((f"接口 {new.target}", new.target), clauses)
        old_raw = self._raw(self.old, o_uri) or {}
        new_raw = self._raw(self.new, n_uri) or {}
        if old.operation_id != new.operation_id:
            detail = f"{old.operation_id} → {new.operation_id}"
            self.add("operation-id-changed", subject, o_loc, n_loc, detail)
        old_clauses, new_clauses = set(old.all_clauses()), set(new.all_clauses())
        for clause_id in sorted(new_clauses - old_clauses):
            self.add("operation-clause-added", subject, o_loc, n_loc, clause_id)
        for clause_id in sorted(old_clauses - new_clauses):
            self.add("operation-clause-removed", subject, o_loc, n_loc, clause_id)
        self._deprecation(
            "operation", lifecycle(old_raw), lifecycle(new_raw), subject, o_loc, n_loc
        )
        self._security(old_raw, new_raw, o_uri, n_uri, subject)
        op_clauses = union(old.clauses, new.clauses)
        pair = _OperationPair(old, new, old_raw, new_raw, o_uri, n_uri, op_clauses)
        self._parameters(pair)
        self._request_body(pair)
        self._responses(pair)
        self._extensions(old, new, o_loc, n_loc, subject)
        if _no_docs(old_raw.get("callbacks")) != _no_docs(new_raw.get("callbacks")):
            self.add(
                "callback-changed",
                subject,
                *self._pair_locs(o_uri, n_uri, "callbacks", old_raw, new_raw),
            )

    def _pair_locs(
        self, o_uri: str, n_uri: str, key: str, old: dict[str, Any], new: dict[str, Any]
    ) -> tuple[Loc | None, Loc | None]:
        return (
            self.old.loc(child(o_uri, key) if key in old else o_uri),
            self.new.loc(child(n_uri, key) if key in new else n_uri),
        )

    # -- deprecation and sunset -----------------------------------------------------------

    def _deprecation(
        self,
        what: str,
        old: Lifecycle,
        new: Lifecycle,
        subject: tuple[str, str],
        o_loc: Loc | None,
        n_loc: Loc | None,
    ) -> None:
        detail = f"{old.describe()} → {new.describe()}"
        if not old.deprecated and new.deprecated:
            rule = f"{what}-sunset-too-soon" if self._short_notice(new) else f"{what}-deprecated"
        elif old.deprecated and not new.deprecated:
            rule = f"{what}-reactivated"
        elif old.deprecated and new.deprecated and old.sunset != new.sunset:
            if new.sunset is None or (old.sunset is not None and new.sunset < old.sunset):
                rule = f"{what}-sunset-earlier"
            elif self._short_notice(new):
                rule = f"{what}-sunset-too-soon"
            else:
                rule = f"{what}-sunset-later"
        else:
            return
        if self.notice and rule.endswith("too-soon"):
            detail += f"; notice {self.notice} days from {self.release_date.isoformat()}"
        self.add(rule, subject, o_loc, n_loc, detail)

    def _short_notice(self, state: Lifecycle) -> bool:
        """Whether a deprecation gives less notice than the standard requires."""
        if not self.notice:
            return False
        if state.sunset is None:
            return True
        return (state.sunset - self.release_date).days < self.notice

    def _removal(self, what: str, old: Lifecycle) -> str:
        """The rule for removing an operation or parameter, given its state before."""
        if not old.deprecated:
            return f"{what}-removed"
        if old.sunset is not None:
            passed = old.sunset <= self.release_date
        elif not self.notice:
            passed = True  # deprecated without a sunset, and no notice period required
        else:
            announced = standard_date(self.old_std)
            passed = announced is not None and ((self.release_date - announced).days >= self.notice)
        return f"{what}-removed-after-deprecation" if passed else f"{what}-removed-before-sunset"

    # -- security -------------------------------------------------------------------------

    def _effective_security(
        self, raw: dict[str, Any], uri: str, document: Any, doc_uri: str
    ) -> tuple[list[Requirement] | None, str]:
        if "security" in raw:
            return requirements(raw["security"]), child(uri, "security")
        if isinstance(document, dict) and "security" in document:
            return requirements(document["security"]), doc_uri.split("#", 1)[0] + "#/security"
        return [], uri

    def _security(
        self,
        old_raw: dict[str, Any],
        new_raw: dict[str, Any],
        o_uri: str,
        n_uri: str,
        subject: tuple[str, str],
    ) -> None:
        old, o_at = self._effective_security(old_raw, o_uri, self.old_doc, o_uri)
        new, n_at = self._effective_security(new_raw, n_uri, self.new_doc, n_uri)
        if old is None or new is None:
            return  # malformed: lint reports it
        o_loc, n_loc = self.old.loc(o_at), self.new.loc(n_at)
        old_anonymous, new_anonymous = anonymous(old), anonymous(new)
        if old_anonymous != new_anonymous:
            rule = "operation-security-removed" if new_anonymous else "operation-security-added"
            self.add(rule, subject, o_loc, n_loc, f"{_alternatives(old)} → {_alternatives(new)}")
            return
        old_by = {frozenset(a): a for a in old if a}
        new_by = {frozenset(a): a for a in new if a}
        for names in sorted(new_by.keys() - old_by.keys(), key=sorted):
            self.add(
                "security-requirement-added", subject, o_loc, n_loc, _requirement(new_by[names])
            )
        for names in sorted(old_by.keys() - new_by.keys(), key=sorted):
            self.add(
                "security-requirement-removed", subject, o_loc, n_loc, _requirement(old_by[names])
            )
        for names in sorted(old_by.keys() & new_by.keys(), key=sorted):
            for scheme in sorted(names):
                before, after = set(old_by[names][scheme]), set(new_by[names][scheme])
                if after - before:
                    detail = f"{scheme}: " + ", ".join(sorted(after - before))
                    self.add("security-scopes-added", subject, o_loc, n_loc, detail)
                if before - after:
                    detail = f"{scheme}: " + ", ".join(sorted(before - after))
                    self.add("security-scopes-removed", subject, o_loc, n_loc, detail)
        used = {s for a in old for s in a} & {s for a in new for s in a}
        for scheme in sorted(used):
            self._scheme(scheme, subject)

    def _scheme(self, name: str, subject: tuple[str, str]) -> None:
        pointer = join_pointer("/components/securitySchemes", name)
        old_uri = self.old.schemas.uri(self.old_std.openapi_path or Path()) + "#" + pointer
        new_uri = self.new.schemas.uri(self.new_std.openapi_path or Path()) + "#" + pointer
        old_resolved = self.old.resolve(self._raw(self.old, old_uri), old_uri)
        new_resolved = self.new.resolve(self._raw(self.new, new_uri), new_uri)
        if old_resolved is None or new_resolved is None:
            return
        before, after = scheme_summary(old_resolved[0]), scheme_summary(new_resolved[0])
        if canonical(before) != canonical(after):
            detail = f"{name}: {describe_scheme(before)} → {describe_scheme(after)}"
            self.add(
                "security-scheme-changed",
                subject,
                self.old.loc(old_resolved[1]),
                self.new.loc(new_resolved[1]),
                detail,
            )

    # -- parameters -----------------------------------------------------------------------

    def _raw_parameters(
        self, side: Side, op_uri: str
    ) -> dict[tuple[str, str], tuple[dict[str, Any], str]]:
        """The parameters of an operation and its path item, by (name, in), $refs followed."""
        found: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        item_uri = op_uri.rsplit("/", 1)[0]
        for source_uri in (child(item_uri, "parameters"), child(op_uri, "parameters")):
            listed = self._raw(side, source_uri)
            if not isinstance(listed, list):
                continue
            for index, raw in enumerate(listed):
                resolved = side.resolve(raw, child(source_uri, index))
                if resolved is None or not isinstance(resolved[0], dict):
                    continue
                obj, uri = resolved
                if isinstance(obj.get("name"), str) and isinstance(obj.get("in"), str):
                    # header names are case-insensitive (RFC 9110): X-Request-Id is x-request-id
                    name = obj["name"].lower() if obj["in"] == "header" else obj["name"]
                    found[(name, obj["in"])] = (obj, uri)
        return found

    def _parameters(self, op: _OperationPair) -> None:
        old_params = self._raw_parameters(self.old, op.o_uri)
        new_params = self._raw_parameters(self.new, op.n_uri)
        renames = path_renames(op.old.path, op.new.path)
        new, clauses = op.new, op.clauses
        # old path parameters under their new names: a renamed one is the same parameter
        paired = {
            (renames.get(name, name) if where == "path" else name, where): (name, value)
            for (name, where), value in old_params.items()
        }

        def where_of(name: str, location: str) -> tuple[str, str]:
            return self.site(
                (
                    f"接口 {new.target} 参数 {name}（{location}）",
                    f"{new.target} parameter {name} ({location})",
                ),
                clauses,
            )

        for (name, location), (param, uri) in new_params.items():
            where = where_of(name, location)
            if (name, location) not in paired:
                rule = (
                    "parameter-added-required"
                    if _param_required(param)
                    else "parameter-added-optional"
                )
                self.add(rule, where, None, self.new.loc(uri))
                continue
            old_name, (before, before_uri) = paired[(name, location)]
            self._parameter(old_name, before, before_uri, param, uri, where)
        for (name, location), (param, uri) in old_params.items():
            if (renames.get(name, name) if location == "path" else name, location) in new_params:
                continue
            where = where_of(name, location)
            state = lifecycle(param)
            rule = self._removal("parameter", state)
            self.add(
                rule, where, self.old.loc(uri), None, state.describe() if state.deprecated else ""
            )

    def _parameter(
        self,
        old_name: str,
        before: dict[str, Any],
        before_uri: str,
        param: dict[str, Any],
        uri: str,
        where: tuple[str, str],
    ) -> None:
        o_loc, n_loc = self.old.loc(before_uri), self.new.loc(uri)
        if param.get("in") == "path" and old_name != param["name"]:
            self.add("path-parameter-renamed", where, o_loc, n_loc, f"{old_name} → {param['name']}")
        old_required, new_required = _param_required(before), _param_required(param)
        if old_required != new_required:
            rule = "parameter-required-added" if new_required else "parameter-required-removed"
            self.add(rule, where, o_loc, n_loc)
        old_schema = self._param_schema(self.old, before, before_uri)
        new_schema = self._param_schema(self.new, param, uri)
        if serialization_differs(
            before,
            old_schema[0] if old_schema else None,
            param,
            new_schema[0] if new_schema else None,
        ):
            detail = f"{serialization_text(before)} → {serialization_text(param)}"
            self.add("parameter-serialization-changed", where, o_loc, n_loc, detail)
        if param.get("in") == "query":
            old_reserved, new_reserved = (
                before.get("allowReserved") is True,
                param.get("allowReserved") is True,
            )
            if old_reserved != new_reserved:
                rule = (
                    "parameter-allow-reserved-added"
                    if new_reserved
                    else "parameter-allow-reserved-removed"
                )
                self.add(rule, where, o_loc, n_loc)
        self._deprecation("parameter", lifecycle(before), lifecycle(param), where, o_loc, n_loc)
        if old_schema and new_schema:
            self.schemas.compare(old_schema[1], new_schema[1], "input", where)

    def _param_schema(self, side: Side, param: dict[str, Any], uri: str) -> tuple[Any, str] | None:
        """A parameter's schema (resolved) and its URI, from ``schema`` or ``content``."""
        if "schema" in param:
            schema_uri = child(uri, "schema")
        elif isinstance(param.get("content"), dict) and param["content"]:
            media, media_obj = next(iter(param["content"].items()))
            if not isinstance(media_obj, dict) or "schema" not in media_obj:
                return None
            schema_uri = child(uri, "content", media, "schema")
        else:
            return None
        resolved = side.resolve({"$ref": schema_uri}, schema_uri)
        return (resolved[0], schema_uri) if resolved else None

    # -- request bodies and responses -------------------------------------------------------

    def _content(self, side: Side, node: Any, uri: str) -> tuple[dict[str, str], Any, str]:
        """The media type -> schema URI map of a request body or response, after $refs."""
        resolved = side.resolve(node, uri)
        if resolved is None or not isinstance(resolved[0], dict):
            return {}, {}, uri
        obj, obj_uri = resolved
        content = obj.get("content") if isinstance(obj.get("content"), dict) else {}
        media: dict[str, str] = {}
        for name, media_obj in (content or {}).items():
            media_uri = child(obj_uri, "content", name)
            if isinstance(media_obj, dict) and "schema" in media_obj:
                media[name] = child(media_uri, "schema")
            else:
                media[name] = ""
        return media, obj, obj_uri

    def _raw(self, side: Side, uri: str) -> Any:
        try:
            contents, _ = side.schemas.lookup(uri)
        except Exception:  # lint reports unresolvable documents
            return None
        return contents

    def _request_body(self, op: _OperationPair) -> None:
        new, o_uri, n_uri, clauses = op.new, op.o_uri, op.n_uri, op.clauses
        old_body, new_body = op.old_raw.get("requestBody"), op.new_raw.get("requestBody")
        if old_body is None and new_body is None:
            return
        where = self.site((f"接口 {new.target} 请求体", f"{new.target} request body"), clauses)
        o_body_uri, n_body_uri = child(o_uri, "requestBody"), child(n_uri, "requestBody")
        if old_body is None or new_body is None:
            if old_body is None:
                required = bool((self._content(self.new, new_body, n_body_uri)[1]).get("required"))
                rule = "request-body-added-required" if required else "request-body-added-optional"
                self.add(rule, where, None, self.new.loc(n_body_uri))
            else:
                self.add("request-body-removed", where, self.old.loc(o_body_uri), None)
            return
        old_media, old_obj, old_obj_uri = self._content(self.old, old_body, o_body_uri)
        new_media, new_obj, new_obj_uri = self._content(self.new, new_body, n_body_uri)
        o_loc, n_loc = self.old.loc(old_obj_uri), self.new.loc(new_obj_uri)
        if bool(old_obj.get("required")) != bool(new_obj.get("required")):
            rule = (
                "request-body-required-added"
                if new_obj.get("required")
                else "request-body-required-removed"
            )
            self.add(rule, where, o_loc, n_loc)
        self._media_types("request", "input", old_media, new_media, where, o_loc, n_loc, clauses)

    def _media_types(
        self,
        kind: str,
        direction: str,
        old_media: dict[str, str],
        new_media: dict[str, str],
        where: tuple[str, str],
        o_loc: Loc | None,
        n_loc: Loc | None,
        clauses: tuple[str, ...],
        checks: tuple[str, ...] = (),
    ) -> None:
        """Media types of a request body or response: pairs, ranges, schemas."""
        pairs, added, removed = match_media(list(old_media), list(new_media))
        for media in added:
            self.add(f"{kind}-media-type-added", where, o_loc, n_loc, media)
        for media in removed:
            self.add(f"{kind}-media-type-removed", where, o_loc, n_loc, media)
        for pair in pairs:
            detail = pair.new if pair.old == pair.new else f"{pair.old} → {pair.new}"
            if pair.relation == "parameters":
                self.add(f"{kind}-media-type-parameters-changed", where, o_loc, n_loc, detail)
            elif pair.relation in ("widened", "narrowed"):
                self.add(f"{kind}-media-type-{pair.relation}", where, o_loc, n_loc, detail)
            old_schema, new_schema = old_media[pair.old], new_media[pair.new]
            if bool(old_schema) != bool(new_schema):
                rule = f"{kind}-media-type-schema-{'added' if new_schema else 'removed'}"
                self.add(
                    rule,
                    where,
                    self.old.loc(old_schema) if old_schema else o_loc,
                    self.new.loc(new_schema) if new_schema else n_loc,
                    pair.new,
                )
            elif old_schema and new_schema:
                site = self.site(
                    (f"{where[0]} {pair.new}", f"{where[1]} {pair.new}"), clauses, checks
                )
                self.schemas.compare(old_schema, new_schema, direction, site)

    def _responses(self, op: _OperationPair) -> None:
        new, o_uri, n_uri, clauses = op.new, op.o_uri, op.n_uri, op.clauses
        old_responses = op.old_raw.get("responses") or {}
        new_responses = op.new_raw.get("responses") or {}
        for status in sorted(set(old_responses) | set(new_responses)):
            status_clauses = union(
                clauses,
                _x_clauses(old_responses.get(status)),
                _x_clauses(new_responses.get(status)),
            )
            where = self.site(
                (f"接口 {new.target} 响应 {status}", f"{new.target} response {status}"),
                status_clauses,
            )
            o_status_uri = child(o_uri, "responses", status)
            n_status_uri = child(n_uri, "responses", status)
            if status not in old_responses:
                self.add("response-status-added", where, None, self.new.loc(n_status_uri), status)
                continue
            if status not in new_responses:
                success = status.startswith("2") or status.upper() == "2XX"
                rule = "response-success-status-removed" if success else "response-status-removed"
                self.add(rule, where, self.old.loc(o_status_uri), None, status)
                continue
            old_media, old_obj, old_obj_uri = self._content(
                self.old, old_responses[status], o_status_uri
            )
            new_media, new_obj, new_obj_uri = self._content(
                self.new, new_responses[status], n_status_uri
            )
            o_loc, n_loc = self.old.loc(old_obj_uri), self.new.loc(new_obj_uri)
            checks = (
                ("response_schema",)
                if status.startswith("2")
                else ("response_schema", "error_envelope")
            )
            self._media_types(
                "response",
                "output",
                old_media,
                new_media,
                where,
                o_loc,
                n_loc,
                status_clauses,
                checks,
            )
            self._headers(old_obj, old_obj_uri, new_obj, new_obj_uri, where, status_clauses)

    def _headers(
        self,
        old_obj: dict[str, Any],
        old_uri: str,
        new_obj: dict[str, Any],
        new_uri: str,
        where: tuple[str, str],
        clauses: tuple[str, ...],
    ) -> None:
        def headers(
            side: Side, obj: dict[str, Any], uri: str
        ) -> dict[str, tuple[dict[str, Any], str]]:
            found: dict[str, tuple[dict[str, Any], str]] = {}
            raw = obj.get("headers") if isinstance(obj.get("headers"), dict) else {}
            for name, header in (raw or {}).items():
                resolved = side.resolve(header, child(uri, "headers", name))
                if resolved is not None and isinstance(resolved[0], dict):
                    found[str(name).lower()] = resolved
            return found

        old_headers = headers(self.old, old_obj, old_uri)
        new_headers = headers(self.new, new_obj, new_uri)
        o_loc, n_loc = self.old.loc(old_uri), self.new.loc(new_uri)
        for name in sorted(new_headers.keys() - old_headers.keys()):
            self.add(
                "response-header-added", where, o_loc, self.new.loc(new_headers[name][1]), name
            )
        for name in sorted(old_headers.keys() - new_headers.keys()):
            required = old_headers[name][0].get("required") is True
            rule = "response-required-header-removed" if required else "response-header-removed"
            self.add(rule, where, self.old.loc(old_headers[name][1]), n_loc, name)
        for name in sorted(old_headers.keys() & new_headers.keys()):
            (before, before_uri), (after, after_uri) = old_headers[name], new_headers[name]
            if (before.get("required") is True) != (after.get("required") is True):
                rule = (
                    "response-header-made-required"
                    if after.get("required") is True
                    else "response-header-made-optional"
                )
                self.add(rule, where, self.old.loc(before_uri), self.new.loc(after_uri), name)
            if "schema" in before and "schema" in after:
                site = self.site(
                    (f"{where[0]} 头部 {name}", f"{where[1]} header {name}"),
                    clauses,
                    ("response_headers",),
                )
                self.schemas.compare(
                    child(before_uri, "schema"), child(after_uri, "schema"), "output", site
                )

    def _webhooks(self, old_uri: str, new_uri: str) -> None:
        old_hooks = self.old_doc.get("webhooks") if isinstance(self.old_doc, dict) else None
        new_hooks = self.new_doc.get("webhooks") if isinstance(self.new_doc, dict) else None
        old_hooks = old_hooks if isinstance(old_hooks, dict) else {}
        new_hooks = new_hooks if isinstance(new_hooks, dict) else {}
        for name in sorted(set(old_hooks) | set(new_hooks), key=str):
            subject = (f"webhook {name}", f"webhook {name}")
            o_loc = (
                self.old.loc(child(old_uri + "#", "webhooks", name)) if name in old_hooks else None
            )
            n_loc = (
                self.new.loc(child(new_uri + "#", "webhooks", name)) if name in new_hooks else None
            )
            if name not in old_hooks:
                self.add("webhook-added", subject, None, n_loc)
            elif name not in new_hooks:
                self.add("webhook-removed", subject, o_loc, None)
            elif _no_docs(old_hooks[name]) != _no_docs(new_hooks[name]):
                self.add("webhook-changed", subject, o_loc, n_loc)

    def _extensions(
        self, old: Any, new: Any, o_loc: Loc | None, n_loc: Loc | None, subject: tuple[str, str]
    ) -> None:
        old_ext, new_ext = old.extensions, new.extensions
        old_budget = old_ext.get("x-response-time-ms")
        new_budget = new_ext.get("x-response-time-ms")
        if old_budget != new_budget:
            tightened = new_budget is not None and (
                old_budget is None or float(new_budget) < float(old_budget)
            )
            rule = "response-time-budget-tightened" if tightened else "response-time-budget-relaxed"
            self.add(rule, subject, o_loc, n_loc, f"{old_budget or '-'} → {new_budget or '-'} ms")
        old_filters = _filters(old_ext.get("x-filters"))
        new_filters = _filters(new_ext.get("x-filters"))
        for name in sorted(new_filters.keys() - old_filters.keys()):
            self.add("filter-added", subject, o_loc, n_loc, name)
        for name in sorted(old_filters.keys() - new_filters.keys()):
            self.add("filter-removed", subject, o_loc, n_loc, name)
        for name in sorted(old_filters.keys() & new_filters.keys()):
            if old_filters[name] != new_filters[name]:
                self.add("filter-removed", subject, o_loc, n_loc, f"{name} (field changed)")
        if canonical(old_ext.get("x-pagination")) != canonical(new_ext.get("x-pagination")):
            detail = f"{short(old_ext.get('x-pagination'))} → {short(new_ext.get('x-pagination'))}"
            self.add("pagination-changed", subject, o_loc, n_loc, detail)
        for name in sorted(set(old_ext) | set(new_ext)):
            if name in _ENGINE_EXTENSIONS:
                continue
            if canonical(old_ext.get(name)) != canonical(new_ext.get(name)):
                self.add("extension-changed", subject, o_loc, n_loc, name)

    def _api_docs(self, old_path: Path, new_path: Path, old_ops: Any, new_ops: Any) -> None:
        """Summaries, descriptions, examples, titles and tags of the OpenAPI document."""
        targets = {op.pointer: op for op in (*old_ops.values(), *new_ops.values())}
        pointers = doc_differences(self.old_doc, self.new_doc, OPENAPI_DOC_KEYS)
        old_uri = self.old.schemas.uri(old_path) + "#"
        new_uri = self.new.schemas.uri(new_path) + "#"
        for group, found in _grouped(pointers).items():
            op = targets.get(group)
            if op is not None:
                subject = self.site((f"接口 {op.target}", op.target), op.all_clauses())
            else:
                subject = (f"接口文档 {group or '/'}", f"API document {group or '/'}")
            self.add(
                "api-doc-changed",
                subject,
                self.old.loc(old_uri + group),
                self.new.loc(new_uri + group),
                describe(found, group),
            )


def _operations(side: Side, path: Path) -> list[Any]:
    """The operations of an OpenAPI document; a malformed one raises StandardError, located
    where it can be (the engine's loader expects a document that lint has passed)."""
    from conformance.standards.operations import load_operations  # model layer (seam)

    _check_parameters(side, path)
    try:
        return list(load_operations(side.schemas, path))
    except ConformanceError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise StandardError(
            f"the OpenAPI document cannot be read ({type(exc).__name__}: {exc}); "
            "`conformance standards lint` checks it",
            Location(path),
        ) from None


_PARAMETER_PLACES = ("query", "header", "path", "cookie")


def _check_parameters(side: Side, path: Path) -> None:
    """Every parameter is a mapping with a name and a place: else StandardError at its line."""
    document = side.schemas.document(path)
    uri = side.schemas.uri(path) + "#"
    paths = document.data.get("paths") if isinstance(document.data, dict) else None
    for name, item in (paths or {}).items() if isinstance(paths, dict) else ():
        item_pointer = join_pointer("", "paths", name)
        if not isinstance(item, dict):
            continue
        sources = [(item.get("parameters"), join_pointer(item_pointer, "parameters"))]
        sources += [
            (op.get("parameters"), join_pointer(item_pointer, method, "parameters"))
            for method, op in item.items()
            if isinstance(op, dict)
        ]
        for listed, pointer in sources:
            for index, raw in enumerate(listed if isinstance(listed, list) else ()):
                here = join_pointer(pointer, index)
                resolved = side.resolve(raw, uri + here)
                param = resolved[0] if resolved else raw
                if not isinstance(param, dict) or "$ref" in param:
                    continue  # an unresolvable $ref: the engine's loader says where
                if not isinstance(param.get("name"), str) or param.get("in") not in (
                    _PARAMETER_PLACES
                ):
                    raise StandardError(
                        f"parameter name={param.get('name')!r} in={param.get('in')!r}: "
                        f"expected a name and one of {', '.join(_PARAMETER_PLACES)}",
                        document.location(here),
                    )


def _norm_path(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def union(*groups: Any) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        seen.update(dict.fromkeys(str(x) for x in group or ()))
    return tuple(seen)


def _x_clauses(response: Any) -> tuple[str, ...]:
    value = response.get("x-clauses") if isinstance(response, dict) else None
    return tuple(str(x) for x in value) if isinstance(value, list) else ()


def _param_required(param: dict[str, Any]) -> bool:
    return param.get("in") == "path" or param.get("required") is True


def _no_docs(value: Any) -> str:
    """A value's canonical text with its documentation keywords left out."""
    return canonical(strip_docs(value, OPENAPI_DOC_KEYS))


def _alternatives(alternatives: list[Requirement]) -> str:
    if not alternatives:
        return "none"
    return " | ".join(_requirement(a) or "anonymous" for a in alternatives)


def _requirement(requirement: Requirement) -> str:
    return " + ".join(
        name + (f" [{' '.join(scopes)}]" if scopes else "")
        for name, scopes in sorted(requirement.items())
    )


def standard_date(standard: Standard) -> dt.date | None:
    """The date a version takes effect (else its publication date)."""
    for key in ("effective", "published"):
        found = parse_date(standard.dates.get(key))
        if found is not None:
            return found
    return None


def _filters(value: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in value or []:
        if isinstance(item, dict) and isinstance(item.get("param"), str):
            found[item["param"]] = str(item.get("field"))
    return found


def _grouped(pointers: list[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for pointer in pointers:
        groups.setdefault(group_of(pointer), []).append(pointer)
    return groups
