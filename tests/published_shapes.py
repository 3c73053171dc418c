"""The sample e-licence standard rewritten the way published standards are laid out.

Published JSON Schemas name themselves by a canonical URL (``$id``) and refer to each other by
paths relative to it; published OpenAPI documents keep shared responses in component files and
refer to schemas by those URLs; published XSD sets (UBL, the GB/T data-exchange schemas) split
one namespace over files joined by ``xs:include`` chains and take code lists from other
namespaces through ``xs:import``.  :func:`published_e_licence` makes such a copy of
``gov.e-licence@1.1.0`` that means exactly what the original means, so the reference candidate
conforms to it, and every one of those constructs has to be read from the version folder.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

from tests.conftest import ROOT

SOURCE = ROOT / "standards" / "gov.e-licence" / "1.1.0"
CANONICAL = "https://standards.example.gov.cn/e-licence/1.1.0/"
XS = "http://www.w3.org/2001/XMLSchema"
CODES_NS = "urn:gov-conformance:e-licence:codes:1"
# Simple types moved to included files (same namespace) and to an imported code list.
COMMON_TYPES = ("LicenceIdType", "Text100", "IdNumberType", "UsccType", "DivisionCodeType")
DATE_TYPES = ("PlainDate", "OffsetDateTime")
CODE_TYPES = ("StatusType", "LicenceTypeCode", "HolderKind")


def published_e_licence(root: Path) -> Path:
    """Copy gov.e-licence@1.1.0 under ``root`` in the published layout; return its folder."""
    folder = root / "gov.e-licence" / "1.1.0"
    shutil.copytree(SOURCE, folder)
    for schema in sorted((folder / "schemas").glob("*.schema.json")):
        data = json.loads(schema.read_text(encoding="utf-8"))
        data = {"$id": f"{CANONICAL}schemas/{schema.name}", **data}
        schema.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    _openapi(folder)
    _split_xsd(folder / "schemas" / "licences.xsd")
    return folder


def _openapi(folder: Path) -> None:
    path = folder / "openapi.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    shared: dict[str, Any] = {}
    for item in data["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                ref = parameter.get("schema", {}).get("$ref", "")
                if ref.startswith("schemas/"):  # by canonical URL, as published documents do
                    parameter["schema"]["$ref"] = CANONICAL + ref
            responses = operation.get("responses", {})
            for status, name in (("401", "Unauthorized"), ("404", "NotFound")):
                if status in responses:
                    shared.setdefault(name, responses[status])
                    if responses[status] == shared[name]:
                        responses[status] = {"$ref": f"components/responses.yaml#/{name}"}
    for response in shared.values():
        for media in response.get("content", {}).values():
            media["schema"] = {"$ref": "../openapi.yaml#/components/schemas/Error"}
    (folder / "components").mkdir()
    text = yaml.safe_dump(shared, allow_unicode=True, sort_keys=False)
    (folder / "components" / "responses.yaml").write_text(text, encoding="utf-8")
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(text, encoding="utf-8")


def _schema_document(namespace: str, prefix: str) -> Any:
    nsmap = {"xs": XS, prefix: namespace}
    return etree.Element(
        f"{{{XS}}}schema",
        nsmap=nsmap,
        targetNamespace=namespace,
        elementFormDefault="qualified",
    )


def _move(main: Any, names: tuple[str, ...], target: Any) -> None:
    for element in list(main):
        if element.tag == f"{{{XS}}}simpleType" and element.get("name") in names:
            target.append(element)


def _write(document: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    etree.ElementTree(document).write(
        str(path), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )


def _split_xsd(path: Path) -> None:
    """licences.xsd -> main + include chain (common -> dates) + imported code list."""
    tree = etree.parse(str(path))
    main = tree.getroot()
    namespace = main.get("targetNamespace")
    common = _schema_document(namespace, "lic")
    etree.SubElement(common, f"{{{XS}}}include", schemaLocation="dates.xsd")
    _move(main, COMMON_TYPES, common)
    dates = _schema_document(namespace, "lic")
    _move(main, DATE_TYPES, dates)
    codes = _schema_document(CODES_NS, "codes")
    _move(main, CODE_TYPES, codes)
    for element in main.iter(f"{{{XS}}}element"):
        local = (element.get("type") or "").partition(":")[2]
        if local in CODE_TYPES:
            element.set("type", f"codes:{local}")
    # the directives come first in an XSD; a fresh root carries the extra namespace prefix
    root = etree.Element(main.tag, nsmap={**main.nsmap, "codes": CODES_NS}, attrib=main.attrib)
    etree.SubElement(root, f"{{{XS}}}include", schemaLocation="common/licence-types.xsd")
    etree.SubElement(
        root, f"{{{XS}}}import", namespace=CODES_NS, schemaLocation="codes/licence-codes.xsd"
    )
    for child in list(main):
        root.append(child)
    _write(root, path)
    _write(common, path.parent / "common" / "licence-types.xsd")
    _write(dates, path.parent / "common" / "dates.xsd")
    _write(codes, path.parent / "codes" / "licence-codes.xsd")
