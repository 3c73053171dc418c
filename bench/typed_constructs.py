#!/usr/bin/env python3
"""Benchmark: constructs of published schemas the typed path reads, before and after.

Each construct is written into the ``order`` record schema of a kept corpus
(``bench/export_corpus.py --keep DIR``); the files stay as they are (a construct may make a
few more records invalid: both trees see the same ones). ``bench/export_ab.py`` then times
JSON Lines validation of the ``order`` file under that schema, this checkout against
``--base``, in warm processes alternated, and this script prints its table per construct.
Which path took the records is printed too (``report.paths`` of this checkout).

    python bench/typed_constructs.py --base COMMIT --corpus DIR [--constructs a,b]
                                     [--rounds 2] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 1800


def _unique_tags(schema: dict[str, Any]) -> None:
    schema["$defs"]["line"]["properties"]["tags"]["uniqueItems"] = True


def _not_empty_name(schema: dict[str, Any]) -> None:
    schema["properties"]["buyer_name"]["not"] = {"const": ""}


def _if_then_on_currency(schema: dict[str, Any]) -> None:
    schema["if"] = {"properties": {"currency": {"const": "USD"}}, "required": ["currency"]}
    schema["then"] = {"required": ["buyer_name"]}


def _if_then_else_on_currency(schema: dict[str, Any]) -> None:
    _if_then_on_currency(schema)
    schema["else"] = {"required": ["buyer_uscc"]}


def _names_by_currency(schema: dict[str, Any]) -> None:
    schema["if"] = {"properties": {"currency": {"const": "CNY"}}}
    schema["then"] = {"properties": {"buyer_name": {"maxLength": 60}}}
    schema["else"] = {"properties": {"buyer_name": {"minLength": 1}}}


def _nullable_lines(schema: dict[str, Any]) -> None:
    lines = schema["properties"]["lines"]
    lines["items"] = {"anyOf": [lines["items"], {"type": "null"}]}


def _extension_members(schema: dict[str, Any]) -> None:
    schema["$defs"]["line"]["patternProperties"] = {"^x-": {"type": "string"}}


def _record_extensions(schema: dict[str, Any]) -> None:
    schema["patternProperties"] = {"^x-": {"type": "string"}}


def _buyer_base(schema: dict[str, Any]) -> None:
    names = ("buyer_uscc", "buyer_name")
    properties = schema["properties"]
    schema["$defs"]["buyer"] = {
        "type": "object",
        "properties": {name: properties.pop(name) for name in names},
        "required": list(names),
    }
    schema["required"] = [name for name in schema["required"] if name not in names]
    schema["allOf"] = [{"$ref": "#/$defs/buyer"}]
    del schema["additionalProperties"]
    schema["unevaluatedProperties"] = False


def _sku_by_reference(schema: dict[str, Any]) -> None:
    line = schema["$defs"]["line"]["properties"]
    schema["$defs"]["sku"] = line["sku"]
    line["sku"] = {"$ref": "#/$defs/sku", "maxLength": 10}


def _name_or_placeholder(schema: dict[str, Any]) -> None:
    name = schema["properties"]["buyer_name"]
    schema["properties"]["buyer_name"] = {"anyOf": [name, {"const": "-"}]}


def _currency_free(schema: dict[str, Any]) -> None:
    schema["properties"]["currency"] = {"type": "string", "pattern": "^[A-Z]{3}$"}
    _if_then_on_currency(schema)


def _if_on_name(schema: dict[str, Any]) -> None:
    schema["if"] = {"properties": {"buyer_name": {"maxLength": 8}}}
    schema["then"] = {"required": ["buyer_uscc"]}


def _shapes_by_currency(schema: dict[str, Any]) -> None:
    schema["oneOf"] = [
        {"properties": {"currency": {"const": "CNY"}}, "required": ["buyer_uscc"]},
        {"properties": {"currency": {"not": {"const": "CNY"}}}, "required": ["buyer_name"]},
    ]


def _counted_members(schema: dict[str, Any]) -> None:
    schema["minProperties"] = 5


def _member_names(schema: dict[str, Any]) -> None:
    schema["propertyNames"] = {"pattern": "^[a-z_]+$"}


def _buyer_shapes(schema: dict[str, Any]) -> None:
    properties = schema["properties"]
    for name in ("buyer_uscc", "buyer_name"):
        schema["$defs"][name] = {"properties": {name: properties.pop(name)}, "required": [name]}
    schema["required"] = [n for n in schema["required"] if n not in ("buyer_uscc", "buyer_name")]
    schema["anyOf"] = [{"$ref": "#/$defs/buyer_uscc"}, {"$ref": "#/$defs/buyer_name"}]
    del schema["additionalProperties"]


CONSTRUCTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "uniqueItems": _unique_tags,  # tags of each line, each once
    "not": _not_empty_name,  # a buyer name that is not ""
    "if-then": _if_then_on_currency,  # the record's own if/then on its tag
    "if-then-else": _if_then_else_on_currency,  # and an else for the other tags
    "if-then-else-held": _names_by_currency,  # the buyer's name held to more, per currency
    "nullable-object": _nullable_lines,  # each line an object or null
    # members no msgspec type says, checked whole by jsonschema-rs (opaque members):
    "patternProperties": _extension_members,  # each line's x- members: lines opaque
    "record-patternProperties": _record_extensions,  # the record's own x- members
    "allOf-base": _buyer_base,  # the buyer's members from a base, by allOf and $ref
    "ref-sibling": _sku_by_reference,  # each line's SKU: a $ref beside a keyword
    "anyOf-leaf": _name_or_placeholder,  # a buyer name, or "-"
    # rules over a block's records, testing values (one jsonschema-rs call or a set each):
    "if-free-tag": _currency_free,  # if/then on a currency of no enum
    "if-value": _if_on_name,  # if the buyer's name is short, then a USCC
    "oneOf-by-value": _shapes_by_currency,  # two record shapes told apart by the currency
    "minProperties": _counted_members,  # the record's members, counted
    "propertyNames": _member_names,  # the names of the record's members
    "anyOf-shapes": _buyer_shapes,  # an open record: a buyer by USCC, or by name, by $ref
}


def _corpus_with(corpus: Path, work: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """A corpus folder holding the changed ``order`` standard and the kept ``order`` files."""
    shutil.copytree(corpus / "standards" / "bench.order", work / "standards" / "bench.order")
    schema = work / "standards" / "bench.order" / "1.0.0" / "schemas" / "record.schema.json"
    data = json.loads(schema.read_text(encoding="utf-8"))
    change(data)
    schema.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    for files in corpus.glob("order-*"):
        (work / files.name).symlink_to(files.resolve())
    return work


def _paths(corpus: Path, records: int) -> str:
    """Which registered path took the records, this checkout."""
    sys.path.insert(0, str(ROOT))
    from conformance.exports import validate_export
    from conformance.standards.loader import load_standard

    spec = load_standard(corpus / "standards" / "bench.order" / "1.0.0").export("order-jsonl")
    report = validate_export(spec, corpus / f"order-{records}" / "order.jsonl")
    return ", ".join(f"{name} {count}" for name, count in sorted(report.paths.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the commit to compare against")
    parser.add_argument("--corpus", type=Path, required=True, help="export_corpus.py --keep DIR")
    parser.add_argument("--constructs", default=",".join(CONSTRUCTS))
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    names = args.constructs.split(",")
    unknown = sorted(set(names) - set(CONSTRUCTS))
    if unknown:
        print(
            f"error: unknown construct(s) {unknown}; known: {sorted(CONSTRUCTS)}", file=sys.stderr
        )
        return 2
    if not (args.corpus / f"order-{args.records}" / "order.jsonl").is_file():
        print(f"error: {args.corpus}: no order-{args.records} files (export_corpus.py --keep)")
        return 2
    status = 0
    for name in names:
        with tempfile.TemporaryDirectory(prefix="bench-construct-") as temporary:
            corpus = _corpus_with(args.corpus, Path(temporary), CONSTRUCTS[name])
            print(f"== {name}: this checkout's paths: {_paths(corpus, args.records)}", flush=True)
            command = [
                sys.executable,
                str(ROOT / "bench" / "export_ab.py"),
                "--base", args.base,
                "--corpus", str(corpus),
                "--schemas", "order",
                "--records", str(args.records),
                "--rounds", str(args.rounds),
                "--repeat", str(args.repeat),
            ]  # fmt: skip
            done = subprocess.run(command, timeout=TIMEOUT_S, check=False)
            status = status or done.returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
