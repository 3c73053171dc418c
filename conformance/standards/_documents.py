"""Loading YAML/JSON documents safely, with a map from JSON pointers to source lines.

Safe loading only: YAML tags that would construct objects are refused.  Dates stay
strings (the manifest's meta-schema types them as RFC 3339 strings), and duplicate
mapping keys are an error rather than a silent overwrite.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from conformance.errors import Location, StandardError

MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
# Nesting of mappings and sequences. Standards nest a dozen levels; validators, generators
# and lint walk documents recursively, so a hostile depth must stop here, located.
MAX_DOCUMENT_DEPTH = 64
# Nodes YAML aliases may add on top of the document's own (a billion-laughs document
# expands exponentially when walked).
# Nodes (scalars, mappings, sequences, aliases) one document may hold. A node costs about
# 0.4 KB and some microseconds once composed; 8 MiB of tiny YAML nodes is about 2 million of
# them (3 GB and minutes). The sample standards' largest document has about 1,800 nodes; a
# large published OpenAPI description (4 MB) about 200,000. A bigger document is refused
# while it is scanned, before anything is built from it.
MAX_DOCUMENT_NODES = 250_000
MAX_ALIAS_NODES = 100_000
_NO_TIMESTAMPS = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver: '2026-01-15' stays a string."""


_Loader.yaml_implicit_resolvers = _NO_TIMESTAMPS
# libyaml's parser and composer when PyYAML has them (about 4 times faster, the same nodes)
_Fast: type[Any] = _Loader
if getattr(yaml, "__with_libyaml__", False):

    class _CLoader(yaml.CSafeLoader):
        """CSafeLoader without the timestamp resolver."""

    _CLoader.yaml_implicit_resolvers = _NO_TIMESTAMPS
    _Fast = _CLoader


def escape_pointer_token(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def join_pointer(pointer: str, *tokens: str | int) -> str:
    return pointer + "".join("/" + escape_pointer_token(t) for t in tokens)


@dataclass
class Document:
    """A parsed document, its source path, and the line of each JSON pointer in it."""

    path: Path
    data: Any
    lines: dict[str, int] = field(default_factory=dict)

    def line(self, pointer: str) -> int | None:
        # Fall back to the nearest ancestor that has a line.
        while True:
            if pointer in self.lines:
                return self.lines[pointer]
            if not pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]

    def location(self, pointer: str) -> Location:
        return Location(self.path, self.line(pointer), pointer)


def _index_lines(node: yaml.Node, pointer: str, lines: dict[str, int], path: Path) -> None:
    lines[pointer] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                raise StandardError(
                    f"duplicate key {key!r} (first at line {seen[key]})",
                    Location(path, key_node.start_mark.line + 1, join_pointer(pointer, key)),
                )
            seen[key] = key_node.start_mark.line + 1
            _index_lines(value_node, join_pointer(pointer, key), lines, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, join_pointer(pointer, index), lines, path)


def _yaml_error(path: Path, exc: yaml.YAMLError) -> StandardError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return StandardError(f"malformed YAML: {problem}", Location(path, line))


def read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise StandardError(
                f"file too large: size={size} bytes, expected at most {MAX_DOCUMENT_BYTES}",
                Location(path),
            )
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StandardError("file not found", Location(path)) from None
    except IsADirectoryError:
        raise StandardError("expected a file, found a directory", Location(path)) from None
    except UnicodeDecodeError as exc:
        raise StandardError(
            f"not UTF-8: invalid byte at offset {exc.start}", Location(path)
        ) from None
    except OSError as exc:
        raise StandardError(f"unreadable: {exc.strerror}", Location(path)) from None


def _string_keys(value: Any) -> Any:
    """YAML reads `200:` as an int key; JSON pointers and OpenAPI want strings."""
    if isinstance(value, dict):
        return {str(k): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    return value


def _too_deep(path: Path, line: int | None = None, pointer: str | None = None) -> StandardError:
    return StandardError(
        f"nested more than {MAX_DOCUMENT_DEPTH} levels deep; expected a flatter document "
        "(use $ref to $defs for shared structure)",
        Location(path, line, pointer),
    )


def _too_many(path: Path, line: int | None = None) -> StandardError:
    return StandardError(
        f"more than {MAX_DOCUMENT_NODES} nodes (values, mappings and sequences); expected a "
        "smaller document (split it into files joined by $ref)",
        Location(path, line),
    )


def _check_depth(data: Any, path: Path) -> None:
    """Refuse parsed data nested deeper than MAX_DOCUMENT_DEPTH or holding more than
    MAX_DOCUMENT_NODES nodes, counted as YAML counts them (keys too), iteratively."""
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    nodes = 0
    while stack:
        value, depth, pointer = stack.pop()
        nodes += 1
        if nodes > MAX_DOCUMENT_NODES:
            raise _too_many(path)
        if isinstance(value, (dict, list)):
            if depth >= MAX_DOCUMENT_DEPTH:
                raise _too_deep(path, pointer=pointer)
            nodes += len(value) if isinstance(value, dict) else 0  # keys are nodes too
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((child, depth + 1, join_pointer(pointer, key)) for key, child in items)


def _parse_json(text: str, path: Path) -> Any:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StandardError(f"malformed JSON: {exc.msg}", Location(path, exc.lineno)) from None
    except RecursionError:
        raise _too_deep(path) from None
    _check_depth(data, path)
    return data


def _check_graph(root: yaml.Node, path: Path) -> None:
    """Refuse a composed YAML graph that is too deep, recursive, or alias-expanded too far.

    Aliases share nodes, so the graph is small while the tree it stands for may be
    exponential; sizes are computed per distinct node (post-order, without recursion).
    """
    size: dict[int, int] = {}
    own = 0
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 0, False)]
    open_: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        children = _children(node)
        if done:
            open_.discard(id(node))
            size[id(node)] = 1 + sum(size[id(c)] for c in children)
            continue
        if id(node) in size:
            continue
        if id(node) in open_:
            raise StandardError(
                "recursive YAML alias (a node contains itself)",
                Location(path, node.start_mark.line + 1),
            )
        if depth >= MAX_DOCUMENT_DEPTH and children:
            raise _too_deep(path, node.start_mark.line + 1)
        own += 1
        open_.add(id(node))
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in children if id(child) not in size)
    if size[id(root)] > own + MAX_ALIAS_NODES:
        raise StandardError(
            f"YAML aliases expand the document to {size[id(root)]} nodes from {own} written "
            f"(more than {MAX_ALIAS_NODES} added); expected plain YAML (a billion-laughs "
            "document?)",
            Location(path, root.start_mark.line + 1),
        )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_LEAF = (yaml.ScalarEvent, yaml.AliasEvent)


def _line(event: yaml.Event) -> int | None:
    mark = event.start_mark
    return mark.line + 1 if mark is not None else None


def _scan(text: str, path: Path) -> None:
    """Refuse, while parsing events (nothing is built), a YAML text with more than
    MAX_DOCUMENT_NODES nodes or nested deeper than MAX_DOCUMENT_DEPTH: the cost of the
    refusal is that of reading up to the bound, not of the whole document."""
    try:
        _count(text, path)
    except yaml.YAMLError as exc:
        if "nesting depth" not in str(exc):  # libyaml's own bound, 1000 levels
            raise
        mark = getattr(exc, "problem_mark", None)
        raise _too_deep(path, mark.line + 1 if mark is not None else None) from None


def _count(text: str, path: Path) -> None:
    nodes = depth = 0
    for event in yaml.parse(text, Loader=_Fast):
        if isinstance(event, _OPEN):
            nodes += 1
            depth += 1
            if depth > MAX_DOCUMENT_DEPTH:
                raise _too_deep(path, _line(event))
        elif isinstance(event, _CLOSE):
            depth -= 1
        elif isinstance(event, _LEAF):
            nodes += 1
        else:
            continue
        if nodes > MAX_DOCUMENT_NODES:
            raise _too_many(path, _line(event))


def _compose(text: str, path: Path) -> yaml.Node | None:
    """The node graph of a YAML text, after :func:`_scan` has bounded it."""
    _scan(text, path)
    try:
        node: yaml.Node | None = yaml.compose(text, Loader=_Fast)
        return node
    except RecursionError:
        raise _too_deep(path) from None


def _construct(node: yaml.Node | None) -> Any:
    """The data of a composed document (what ``yaml.load`` gives, without parsing again)."""
    if node is None:
        return None
    loader = _Loader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_data(path: Path) -> Any:
    """The data of a .json file (no line map: for readers that report no locations), or
    of any other document as :func:`load_document` reads it."""
    if path.suffix != ".json":
        return load_document(path).data
    return _parse_json(read_text(path), path)


def load_document(path: Path) -> Document:
    """Load a .json, .yaml or .yml file. Raise StandardError naming file and line."""
    text = read_text(path)
    node: yaml.Node | None = None
    if path.suffix == ".json":
        data = _parse_json(text, path)
    else:
        try:
            node = _compose(text, path)
            if node is not None:
                _check_graph(node, path)  # before anything walks the expanded tree
            data = _construct(node)
        except yaml.YAMLError as exc:
            raise _yaml_error(path, exc) from None
    data = _string_keys(data)
    lines: dict[str, int] = {}
    if path.suffix == ".json":
        try:
            node = _compose(text, path)
        except (yaml.YAMLError, StandardError):
            node = None  # JSON that YAML 1.1 cannot read: no line numbers, values still fine
    if node is not None:
        _index_lines(node, "", lines, path)
    return Document(path=path, data=data, lines=lines)
