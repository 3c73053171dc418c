"""Documentation-only differences: summaries, descriptions, examples, titles, tags, comments.

Two versions of a document are walked side by side; a documentation keyword whose value
differs is reported by its JSON pointer.  Keys under a map of names (``properties``,
``paths``, ``responses``...) are names, never keywords, so a property called ``description``
is not documentation.  What else differs is the business of the other rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lxml import etree

from conformance.standards._documents import join_pointer

__all__ = ["OPENAPI_DOC_KEYS", "SCHEMA_DOC_KEYS", "doc_differences", "xsd_documentation"]

MAX_DEPTH = 64
MAX_REPORTED = 5  # pointers named in one change's detail

SCHEMA_DOC_KEYS = frozenset({"title", "description", "examples", "example", "$comment"})
OPENAPI_DOC_KEYS = SCHEMA_DOC_KEYS | frozenset(
    {"summary", "externalDocs", "tags", "contact", "license", "termsOfService"}
)
_TEXT_KEYS = frozenset({"title", "description", "summary", "termsOfService", "$comment"})
# keywords whose value maps names to objects: the names are never keywords
_NAME_MAPS = frozenset(
    {
        "properties",
        "patternProperties",
        "$defs",
        "definitions",
        "dependentSchemas",
        "paths",
        "webhooks",
        "responses",
        "content",
        "headers",
        "schemas",
        "parameters",
        "requestBodies",
        "securitySchemes",
        "links",
        "callbacks",
        "pathItems",
        "encoding",
        "variables",
        "scopes",
        "mapping",
    }
)


def _canonical(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _is_doc(key: str, old: Any, new: Any) -> bool:
    if key in _TEXT_KEYS:
        return all(v is None or isinstance(v, str) for v in (old, new))
    return True


def doc_differences(old: Any, new: Any, keys: frozenset[str]) -> list[str]:
    """JSON pointers of the documentation keywords that differ between two documents."""
    return list(_walk(old, new, "", keys, False, 0))


def _walk(
    old: Any, new: Any, pointer: str, keys: frozenset[str], names: bool, depth: int
) -> Iterator[str]:
    if depth > MAX_DEPTH:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            here = join_pointer(pointer, key)
            if not names and key in keys and _is_doc(key, old.get(key), new.get(key)):
                if _canonical(old.get(key)) != _canonical(new.get(key)):
                    yield here
                continue
            if key in old and key in new:
                inner_names = not names and key in _NAME_MAPS
                yield from _walk(old[key], new[key], here, keys, inner_names, depth + 1)
    elif isinstance(old, list) and isinstance(new, list):
        yield from _walk_list(old, new, pointer, keys, depth)


def _list_key(item: Any) -> tuple[str, str] | None:
    if isinstance(item, dict) and isinstance(item.get("name"), str):
        return item["name"], str(item.get("in", ""))
    return None


def _walk_list(
    old: list[Any], new: list[Any], pointer: str, keys: frozenset[str], depth: int
) -> Iterator[str]:
    old_keys = [_list_key(x) for x in old]
    new_keys = [_list_key(x) for x in new]
    if all(k is not None for k in old_keys + new_keys):
        # parameters, tags: pair by name (and location), wherever they moved
        position = {k: i for i, k in enumerate(new_keys)}
        for index, key in enumerate(old_keys):
            if key in position:
                yield from _walk(
                    old[index],
                    new[position[key]],
                    join_pointer(pointer, position[key]),
                    keys,
                    False,
                    depth + 1,
                )
        return
    if len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from _walk(a, b, join_pointer(pointer, index), keys, False, depth + 1)


def group_of(pointer: str) -> str:
    """What a documentation difference belongs to: an operation, a path, a component, or a
    top-level section of the document."""
    tokens = pointer.split("/")[1:]
    if tokens and tokens[0] in ("paths", "webhooks") and len(tokens) >= 3:
        return "/" + "/".join(tokens[:3]) if tokens[2] in _METHODS else "/" + "/".join(tokens[:2])
    if tokens and tokens[0] == "components" and len(tokens) >= 3:
        return "/" + "/".join(tokens[:3])
    return "/" + tokens[0] if tokens else ""


_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def describe(pointers: list[str], group: str) -> str:
    relative = [p[len(group) :] or "/" for p in pointers]
    shown = ", ".join(relative[:MAX_REPORTED])
    more = len(relative) - MAX_REPORTED
    return shown + (f" (+{more})" if more > 0 else "")


# -- XSD ---------------------------------------------------------------------------------------

_XS = "{http://www.w3.org/2001/XMLSchema}"


def xsd_documentation(tree: Any) -> dict[str, tuple[Any, str]]:
    """XPath of each annotated node -> (the node, the text of its annotations)."""
    from conformance.standards._diff_xsd import xpath

    found: dict[str, tuple[Any, str]] = {}
    for annotation in tree.iter(f"{_XS}annotation"):
        parent = annotation.getparent()
        if parent is None:
            continue
        text = " ".join(
            " ".join(etree.tostring(doc, method="text", encoding="unicode").split())
            for doc in annotation
            if isinstance(doc.tag, str)
        )
        key = xpath(parent)
        previous = found.get(key)
        found[key] = (parent, (previous[1] + " " + text) if previous else text)
    return found


def strip_docs(value: Any, keys: frozenset[str], names: bool = False, depth: int = 0) -> Any:
    """A copy of a document without its documentation keywords."""
    if depth > MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {
            k: strip_docs(v, keys, not names and k in _NAME_MAPS, depth + 1)
            for k, v in value.items()
            if names or k not in keys or not _is_doc(k, v, None)
        }
    if isinstance(value, list):
        return [strip_docs(v, keys, False, depth + 1) for v in value]
    return value
