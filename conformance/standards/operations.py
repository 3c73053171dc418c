"""Operations of a standard's OpenAPI document: the model the engine, lint and diff share.

Object-level ``$ref``s (parameters, request bodies, responses) are followed here, once;
schemas are kept as URIs (file URI plus JSON pointer) so validators and generators
resolve their own ``$ref``s relative to where each schema really lives.

The documents are read through a :class:`Documents` (in practice the standard's
:class:`conformance.validation.SchemaSet`, which normalises OpenAPI 3.0 at load), so that
this model layer depends on no validator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from conformance.errors import Location, StandardError
from conformance.standards._documents import Document, join_pointer

__all__ = [
    "DEFAULT_STYLES",
    "HTTP_METHODS",
    "IGNORED_HEADERS",
    "MISSING",
    "Body",
    "Documents",
    "Operation",
    "Parameter",
    "ResponseSpec",
    "Style",
    "load_operations",
]

# Header parameters OpenAPI says to ignore: the media types and security schemes decide them.
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
DEFAULT_STYLES = {"path": "simple", "query": "form", "header": "simple", "cookie": "form"}
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MISSING: Any = object()
# Extensions the document's root sets for every operation (an operation may override).
INHERITED_EXTENSIONS = ("x-inputs-complete",)


@dataclass(frozen=True)
class Style:
    """How one parameter is serialised: the Parameter Object's fields that decide it
    (:mod:`conformance.engine.serialize` puts values on the wire by it)."""

    style: str
    explode: bool
    allow_reserved: bool = False
    media_type: str | None = None  # set for a parameter described by `content`
    allow_empty: bool = False  # allowEmptyValue: an empty query value means "not given"

    @classmethod
    def of(cls, raw: Mapping[str, Any], location: str) -> Style:
        """The style a Parameter Object declares, with the specification's defaults."""
        content = raw.get("content")
        media = next(iter(content), None) if isinstance(content, Mapping) else None
        style = raw.get("style")
        if not isinstance(style, str):
            style = DEFAULT_STYLES.get(location, "form")
        explode = raw.get("explode")
        if not isinstance(explode, bool):
            explode = style == "form"
        allow = raw.get("allowReserved") is True and location == "query"
        empty = raw.get("allowEmptyValue") is True and location == "query"
        return cls(style, explode, allow, media if isinstance(media, str) else None, empty)

    @classmethod
    def default(cls, location: str) -> Style:
        style = DEFAULT_STYLES.get(location, "form")
        return cls(style, style == "form")


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path, query, header, cookie
    required: bool
    schema_uri: str | None
    example: Any = MISSING
    style: Style | None = None  # None: the location's default (form for query, simple ...)

    @property
    def serialization(self) -> Style:
        return self.style or Style.default(self.location)


@dataclass(frozen=True)
class Body:
    media_type: str
    required: bool
    schema_uri: str | None
    example: Any = MISSING


@dataclass(frozen=True)
class ResponseSpec:
    status: str  # "200", "4XX" or "default"
    content: dict[str, str | None]  # media type -> schema URI
    clauses: tuple[str, ...] = ()
    headers: dict[str, Any] = field(default_factory=dict)
    links: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    path: str
    operation_id: str
    parameters: tuple[Parameter, ...]
    body: Body | None
    responses: tuple[ResponseSpec, ...]
    clauses: tuple[str, ...]
    secured: bool
    extensions: dict[str, Any]
    pointer: str  # of the operation object in the OpenAPI document

    @property
    def target(self) -> str:
        return f"{self.method} {self.path}"

    def response_for(self, status: int) -> ResponseSpec | None:
        by_status = {r.status.upper(): r for r in self.responses}
        return (
            by_status.get(str(status))
            or by_status.get(f"{str(status)[0]}XX")
            or by_status.get("DEFAULT")
        )

    def all_clauses(self) -> tuple[str, ...]:
        seen = dict.fromkeys(self.clauses)
        for response in self.responses:
            seen.update(dict.fromkeys(response.clauses))
        return tuple(seen)


class Documents(Protocol):
    """The documents of a standard's version folder, by path and by URI."""

    def document(self, path: Path) -> Document: ...

    def uri(self, path: Path) -> str: ...

    def lookup(self, uri: str) -> tuple[Any, Any]: ...


class _Walker:
    def __init__(self, schemas: Documents, path: Path) -> None:
        self.schemas = schemas
        self.path = path
        self.base = schemas.uri(path)

    def follow(self, obj: Any, uri: str) -> tuple[Any, str]:
        """Follow object-level $refs (bounded), returning the object and its URI."""
        for _ in range(16):
            if not (isinstance(obj, dict) and isinstance(obj.get("$ref"), str)):
                return obj, uri
            base = uri.split("#", 1)[0]
            target = obj["$ref"]
            full = target if "://" in target else _join(base, target)
            try:
                obj, _ = self.schemas.lookup(full)
            except Exception as exc:  # referencing raises several types
                raise StandardError(
                    f"$ref={target!r} does not resolve: {exc}", self._location(uri)
                ) from None
            uri = full if "#" in full else full + "#"
        raise StandardError("$ref chain longer than 16", self._location(uri))

    def _location(self, uri: str) -> Location:
        pointer = uri.split("#", 1)[1] if "#" in uri else ""
        return self.schemas.document(self.path).location(pointer)


def _join(base: str, ref: str) -> str:
    from urllib.parse import urljoin

    if ref.startswith("#"):
        return base + ref
    return urljoin(base, ref)


def _schema_uri(container: dict[str, Any], uri: str) -> str | None:
    return f"{uri}/schema" if "schema" in container else None


def _parameter_schema_uri(raw: dict[str, Any], uri: str) -> str | None:
    """The schema of a parameter: its own, or that of its one `content` media type."""
    content = raw.get("content")
    if "schema" not in raw and isinstance(content, dict) and content:
        media, media_obj = next(iter(content.items()))
        if isinstance(media_obj, dict):
            return _schema_uri(media_obj, f"{uri}/content/{join_pointer('', media)[1:]}")
    return _schema_uri(raw, uri)


def _example(obj: dict[str, Any]) -> Any:
    if "example" in obj:
        return obj["example"]
    examples = obj.get("examples")
    if isinstance(examples, dict):
        for value in examples.values():
            if isinstance(value, dict) and "value" in value:
                return value["value"]
    return MISSING


def _parameter_example(raw: dict[str, Any]) -> Any:
    example = _example(raw)
    content = raw.get("content")
    if example is MISSING and isinstance(content, dict):
        media_obj = next(iter(content.values()), None)
        if isinstance(media_obj, dict):
            return _example(media_obj)
    return example


def load_operations(schemas: Documents, openapi_path: Path) -> list[Operation]:
    doc = schemas.document(openapi_path).data
    walker = _Walker(schemas, openapi_path)
    base = walker.base
    global_security = doc.get("security", [])
    inherited = {k: doc[k] for k in INHERITED_EXTENSIONS if k in doc}
    operations = []
    for path, item in (doc.get("paths") or {}).items():
        item_uri = f"{base}#{join_pointer('', 'paths', path)}"
        item, item_uri = walker.follow(item, item_uri)
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            if method not in item:
                continue
            op_uri = f"{item_uri}/{method}"
            op = item[method]
            params: dict[tuple[str, str], Parameter] = {}
            for source, source_uri in (
                (shared, f"{item_uri}/parameters"),
                (op.get("parameters", []), f"{op_uri}/parameters"),
            ):
                for index, raw in enumerate(source):
                    raw, raw_uri = walker.follow(raw, f"{source_uri}/{index}")
                    if raw["in"] == "header" and raw["name"].lower() in IGNORED_HEADERS:
                        continue  # "the parameter definition SHALL be ignored" (OpenAPI)
                    parameter = Parameter(
                        name=raw["name"],
                        location=raw["in"],
                        required=bool(raw.get("required", raw["in"] == "path")),
                        schema_uri=_parameter_schema_uri(raw, raw_uri),
                        example=_parameter_example(raw),
                        style=Style.of(raw, raw["in"]),
                    )
                    params[(parameter.name, parameter.location)] = parameter
            body = None
            if "requestBody" in op:
                raw, raw_uri = walker.follow(op["requestBody"], f"{op_uri}/requestBody")
                for media, media_obj in (raw.get("content") or {}).items():
                    media_uri = f"{raw_uri}/content/{join_pointer('', media)[1:]}"
                    body = Body(
                        media_type=media,
                        required=bool(raw.get("required", False)),
                        schema_uri=_schema_uri(media_obj, media_uri),
                        example=_example(media_obj),
                    )
                    break  # the first media type is the one the engine sends
            responses = []
            for status, raw in (op.get("responses") or {}).items():
                raw, raw_uri = walker.follow(raw, f"{op_uri}/responses/{status}")
                content = {}
                for media, media_obj in (raw.get("content") or {}).items():
                    media_uri = f"{raw_uri}/content/{join_pointer('', media)[1:]}"
                    content[media] = _schema_uri(media_obj, media_uri)
                responses.append(
                    ResponseSpec(
                        status=str(status),
                        content=content,
                        clauses=tuple(raw.get("x-clauses", ())),
                        headers={
                            name: walker.follow(h, f"{raw_uri}/headers/{name}")[0]
                            for name, h in (raw.get("headers") or {}).items()
                        },
                        links={
                            name: walker.follow(link, f"{raw_uri}/links/{name}")[0]
                            for name, link in (raw.get("links") or {}).items()
                        },
                    )
                )
            operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    operation_id=op.get("operationId", f"{method.upper()} {path}"),
                    parameters=tuple(params.values()),
                    body=body,
                    responses=tuple(responses),
                    clauses=tuple(op.get("x-clauses", ())),
                    secured=bool(op.get("security", global_security)),
                    # a document-wide x-inputs-complete holds for operations that do not say
                    extensions={**inherited, **{k: v for k, v in op.items() if k.startswith("x-")}},
                    pointer=op_uri.split("#", 1)[1],
                )
            )
    return operations
