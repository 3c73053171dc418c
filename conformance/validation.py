"""JSON Schema validation inside one standard version folder.

Every ``$ref`` resolves to a file inside the version folder (never the network), and
every format in :mod:`conformance.formats` is enforced (jsonschema skips formats unless
given a checker).
"""

from __future__ import annotations

import os
import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

import referencing
import referencing.exceptions
from jsonschema import Draft202012Validator
from referencing._core import Resolver  # not re-exported by the package
from referencing.jsonschema import DRAFT202012

from conformance.errors import Location, StandardError
from conformance.i18n import Message
from conformance.regex_validator import RegexValidator, error_keyword
from conformance.standards._documents import Document, join_pointer, load_document
from conformance.standards.seal import resolve_in_folder, version_folder

__all__ = ["SchemaSet", "schema_error_message", "schema_set", "schema_validator"]

MANIFEST = "standard.yaml"
# Documents read to find the ``$id``s a folder declares (a $ref may name one).
MAX_ID_DOCUMENTS = 512
_SCHEMA_SUFFIXES = (".json", ".yaml", ".yml")

_version_folder = version_folder  # the name the exports layer imports


class SchemaSet:
    """The JSON and YAML documents of a version folder, as one `referencing` registry."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self._documents: dict[Path, Document] = {}
        self.registry: referencing.Registry[Any] = referencing.Registry(
            retrieve=self._retrieve  # type: ignore[call-arg]  # attrs private field
        )
        self._validators: dict[str, Draft202012Validator] = {}
        self._resources: dict[str, referencing.Resource[Any]] = {}
        self._ids: dict[str, Path] | None = None

    def uri(self, path: Path) -> str:
        return path.resolve().as_uri()

    def path_of(self, uri: str) -> Path | None:
        """The file inside the folder that ``uri`` names: by its file URI, or by the
        ``$id`` a document of the folder declares; None for anything else."""
        target = resolve_in_folder(self.folder, uri, "")
        if target.path is not None:
            return target.path
        return self.declared_ids().get(target.uri) if target.outside else None

    def declared_ids(self) -> dict[str, Path]:
        """The top-level ``$id`` of each JSON and YAML document of the folder (resolved
        against the document's own URI), so that a ``$ref`` naming it is read from the
        folder, never fetched.  Documents that do not load are left out (lint reports
        them); at most MAX_ID_DOCUMENTS are read."""
        if self._ids is None:
            self._ids = {}
            for path in self._id_documents():
                try:
                    data = self.document(path).data
                except StandardError:
                    continue
                declared = data.get("$id") if isinstance(data, dict) else None
                if isinstance(declared, str):
                    uri = urljoin(self.uri(path), declared).partition("#")[0]
                    self._ids.setdefault(uri, path)
        return self._ids

    def _id_documents(self) -> list[Path]:
        found: list[Path] = []
        for root, dirs, files in os.walk(self.folder, followlinks=False):
            dirs.sort()
            for name in sorted(files):
                path = Path(root) / name
                if path.suffix in _SCHEMA_SUFFIXES and path != self.folder / MANIFEST:
                    if path.is_symlink():
                        continue
                    found.append(path)
                    if len(found) >= MAX_ID_DOCUMENTS:
                        return found
        return found

    def document(self, path: Path) -> Document:
        path = path.resolve()
        if path not in self._documents:
            doc = load_document(path)
            if is_openapi_30(doc.data):
                doc.data = normalise_openapi_30(doc.data)
            self._documents[path] = doc
        return self._documents[path]

    def _retrieve(self, uri: str) -> referencing.Resource[Any]:
        # The registry is immutable, so validators ask again for every instance: cache here.
        resource = self._resources.get(uri)
        if resource is None:
            resource = self._resources[uri] = self._load_resource(uri)
        return resource

    def _load_resource(self, uri: str) -> referencing.Resource[Any]:
        path = self.path_of(uri)
        if path is None or not path.is_file():
            # Refusing here keeps validation offline and inside the folder.
            raise referencing.exceptions.NoSuchResource(ref=uri)  # type: ignore[call-arg]
        return referencing.Resource.from_contents(
            self.document(path).data, default_specification=DRAFT202012
        )

    def validator_at(self, path: Path, pointer: str = "") -> Draft202012Validator:
        """A validator for the (sub)schema at ``pointer`` in the document at ``path``."""
        return self.validator_for(f"{self.uri(path)}#{pointer}")

    def validator_for(self, uri: str) -> Draft202012Validator:
        """A validator for the schema that ``uri`` (a file URI with a fragment) names."""
        if uri not in self._validators:
            from conformance.formats import format_checker

            self._validators[uri] = RegexValidator(
                {"$ref": uri}, registry=self.registry, format_checker=format_checker()
            )
        return self._validators[uri]

    def lookup(self, uri: str) -> tuple[Any, Resolver[Any]]:
        """The contents ``uri`` names, and a resolver based where they live."""
        resolved = self.registry.resolver().lookup(uri)
        return resolved.contents, resolved.resolver

    def locate_pattern(self, pattern: str) -> Location | None:
        """Where ``pattern`` is declared (``pattern`` or a ``patternProperties`` key) among
        the documents loaded so far: for errors raised where the schema object is unknown."""
        for doc in self._documents.values():
            stack: list[tuple[Any, str]] = [(doc.data, "")]
            while stack:
                node, pointer = stack.pop()
                if isinstance(node, dict):
                    if node.get("pattern") == pattern:
                        return doc.location(join_pointer(pointer, "pattern"))
                    if pattern in (node.get("patternProperties") or {}):
                        return doc.location(join_pointer(pointer, "patternProperties", pattern))
                    stack.extend((v, join_pointer(pointer, k)) for k, v in node.items())
                elif isinstance(node, list):
                    stack.extend((v, join_pointer(pointer, i)) for i, v in enumerate(node))
        return None

    def resolver(self, path: Path) -> Resolver[Any]:
        """A resolver based at ``path``, for generators that follow ``$ref``."""
        resource = referencing.Resource.from_contents(
            self.document(path).data, default_specification=DRAFT202012
        )
        uri = self.uri(path)
        resolver: Resolver[Any] = self.registry.with_resource(uri, resource).resolver(base_uri=uri)
        return resolver


def is_openapi_30(data: Any) -> bool:
    return isinstance(data, dict) and str(data.get("openapi", "")).startswith("3.0.")


def _normalise_schema(node: dict[str, Any]) -> dict[str, Any]:
    """One OpenAPI 3.0 schema object as JSON Schema 2020-12 says the same thing."""
    node = dict(node)
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        flag = node.get(exclusive)
        if isinstance(flag, bool):
            del node[exclusive]
            if flag and bound in node:
                node[exclusive] = node.pop(bound)
    if node.pop("nullable", False) is True:
        declared = node.get("type")
        if isinstance(declared, str):
            node["type"] = [declared, "null"]
        elif isinstance(declared, list) and "null" not in declared:
            node["type"] = [*declared, "null"]
        elif declared is None:
            node = {"anyOf": [node, {"type": "null"}]}
        if isinstance(node.get("enum"), list) and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
    return node


def normalise_openapi_30(data: Any) -> Any:
    """Rewrite 3.0-only schema keywords (nullable, boolean exclusive bounds), once, at load."""
    if isinstance(data, list):
        return [normalise_openapi_30(item) for item in data]
    if not isinstance(data, dict):
        return data
    walked = {
        key: value
        if key in ("example", "examples", "enum", "default")
        else normalise_openapi_30(value)
        for key, value in data.items()
    }
    if (
        "nullable" in walked
        or isinstance(walked.get("exclusiveMinimum"), bool)
        or isinstance(walked.get("exclusiveMaximum"), bool)
    ):
        return _normalise_schema(walked)
    return walked


@cache
def schema_set(folder: Path) -> SchemaSet:
    return SchemaSet(folder)


def schema_validator(schema_path: Path) -> Draft202012Validator:
    """A validator for a schema file of a standard, with formats and in-folder refs."""
    return schema_set(_version_folder(schema_path)).validator_at(schema_path)


def schema_error_path(error: Any) -> str:
    """The failing keyword's JSON pointer in the schema, without the wrapping ``$ref``."""
    tokens = tuple(error.absolute_schema_path)
    if tokens and tokens[0] == "$ref":
        tokens = tokens[1:]
    return _pointer(tokens)


@lru_cache(maxsize=4096)
def _pointer(tokens: tuple[str | int, ...]) -> str:
    # the records of an export repeat the same few paths: each joined once
    return join_pointer("", *tokens)


MAX_REF_HOPS = 32


def keyword_location(
    schemas: SchemaSet, root_uri: str, tokens: Any, *, wrapped: bool = True
) -> str | None:
    """The absolute location (``file:///...#/pointer``) of the keyword a schema error names.

    ``tokens`` is the error's path from the validator's root (``{"$ref": root_uri}``, as
    :meth:`SchemaSet.validator_for` builds), or (``wrapped=False``) from the schema at
    ``root_uri`` itself;
    ``$ref``s on the way are followed, so a keyword reached through a reference is located
    where it is written (the component, the other file).  None when the path cannot be
    followed."""
    base, pointer = urldefrag(root_uri)
    try:
        node, _ = schemas.lookup(root_uri)
    except Exception:
        return None
    tokens = list(tokens)
    if wrapped and tokens and tokens[0] == "$ref":
        tokens = tokens[1:]  # the validator's wrapping {"$ref": root_uri}
    for token in tokens:
        # jsonschema leaves "$ref" out of an error's path: follow a node's reference
        # whenever the next token is not one of its own keywords
        for _ in range(MAX_REF_HOPS):
            if not isinstance(node, dict) or token in node or not isinstance(node.get("$ref"), str):
                break
            target = urljoin(f"{base}#{pointer}", node["$ref"])
            try:
                node, _ = schemas.lookup(target)
            except Exception:
                return None
            base, pointer = urldefrag(target)
        try:
            node = node[int(token)] if isinstance(node, list) else node[token]
        except (KeyError, IndexError, TypeError, ValueError):
            return f"{base}#{pointer}/{_escape(str(token))}"
        pointer = f"{pointer}/{_escape(str(token))}"
    return f"{base}#{pointer}"


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def instance_pointer(error: Any) -> str:
    return _pointer(tuple(error.absolute_path))


# -- schema errors as catalog messages ------------------------------------------------------

_SHOWN = 80
_LIMIT_KEYWORDS = frozenset(
    {
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "multipleOf",
        "minContains",
        "maxContains",
    }
)
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def schema_error_message(error: Any) -> Message:
    """A jsonschema error as a catalog message (``schema.<keyword>``), data kept verbatim.

    The parameters are the instance value and what the keyword expected, shown as Python
    literals the way jsonschema's own messages show them; a keyword without its own entry
    is ``schema.other`` with the keyword named.
    """
    keyword = error_keyword(error)
    expected = error.validator_value
    value = _shown(error.instance)
    if keyword == "required" and isinstance(error.instance, dict):
        missing = [n for n in expected if n not in error.instance]
        named = next((n for n in missing if repr(n) in error.message), missing[:1] or [""])
        return Message("schema.required", {"name": repr(named if isinstance(named, str) else "")})
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        inside = error.message.rpartition("(")[2]
        names = ", ".join(_QUOTED.findall(inside)) or inside.rstrip(")")
        return Message(f"schema.{keyword}", {"names": names})
    if keyword == "type":
        return Message("schema.type", {"value": value, "expected": _shown(expected)})
    if keyword in ("enum", "const"):
        return Message(f"schema.{keyword}", {"value": value, "expected": _shown(expected)})
    if keyword == "pattern":
        return Message("schema.pattern", {"value": value, "pattern": _shown(expected)})
    if keyword == "format":
        return Message("schema.format", {"value": value, "format": repr(expected)})
    if keyword in _LIMIT_KEYWORDS:
        return Message(f"schema.{keyword}", {"value": value, "limit": _shown(expected)})
    if keyword in ("uniqueItems", "oneOf", "anyOf", "not", "dependentRequired", "contains"):
        return Message(f"schema.{keyword}", {"value": value})
    if keyword == "false" or expected is False:
        return Message("schema.false", {"value": value})
    return Message("schema.other", {"keyword": keyword, "value": value})
