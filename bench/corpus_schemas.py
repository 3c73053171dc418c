"""The record schemas of the export benchmark corpus, their generators and their single faults.

Six record schemas of different shapes, written the way published ones are (a root ``$id``,
``$defs``, ``oneOf``, uri and email fields, nested arrays, a 60-column flat record, date-times
and enums). From each, ``bench/export_corpus.py`` derives the flat CSV schema (nested objects
become prefixed columns; the one array of objects a schema names as ``explode`` becomes one
row per item, the record's other fields repeated) and the XSD (PascalCase elements; an array
is a wrapper element of repeated singular elements; ``format`` checks XSD 1.0 cannot express
go to the manifest's ``field_formats``).

Each generator returns one valid record from a seeded ``random.Random``; each fault function
changes one field so that the record has exactly one error in every format.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

S2020 = "https://json-schema.org/draft/2020-12/schema"
BASE = "https://data.example.gov.cn/schemas"

_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_DIVISIONS = ("110105", "310115", "330106", "440305", "510107", "320102", "370202", "420106")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁宋郑谢韩唐冯于董萧"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰晓雯浩宇欣怡子轩思远嘉诚"
_ORG = ["云帆", "嘉禾", "瑞丰", "同创", "恒信", "润泽", "启明", "华联", "鼎盛", "青禾"]
_TRADES = ["科技", "商贸", "餐饮", "食品", "物流", "信息技术", "文化传媒"]
_CITIES = {
    "110105": "北京市",
    "310115": "上海市",
    "330106": "杭州市",
    "440305": "深圳市",
    "510107": "成都市",
    "320102": "南京市",
    "370202": "青岛市",
    "420106": "武汉市",
}
_DOMAINS = ("example.gov.cn", "data.example.org", "mail.example.com.cn")


def id_number(rng: random.Random, division: str) -> str:
    first = (
        f"{division}{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        f"{rng.randint(0, 999):03d}"
    )
    total = sum(int(c) * w for c, w in zip(first, _ID_WEIGHTS, strict=True))
    return first + "10X98765432"[total % 11]


def uscc(rng: random.Random, division: str) -> str:
    first = "91" + division + "".join(rng.choice(_USCC) for _ in range(9))
    total = sum(_USCC.index(c) * w for c, w in zip(first, _USCC_WEIGHTS, strict=True))
    return first + _USCC[(31 - total % 31) % 31]


def wrong_check(value: str, alphabet: str) -> str:
    return value[:-1] + next(c for c in alphabet if c != value[-1])


def _date(rng: random.Random, first: int = 2015, last: int = 2025) -> str:
    return f"{rng.randint(first, last)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _datetime(rng: random.Random) -> str:
    return f"{_date(rng)}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}+08:00"  # noqa: E501


def _person_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))


def _org_name(rng: random.Random, division: str) -> str:
    return _CITIES[division] + rng.choice(_ORG) + rng.choice(_TRADES) + "有限公司"


def _mailbox(rng: random.Random) -> str:
    local = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9)))
    return f"{local}{rng.randint(1, 99)}@{rng.choice(_DOMAINS)}"


def _url(rng: random.Random, path: str) -> str:
    return f"https://{rng.choice(_DOMAINS)}/{path}/{rng.randint(1, 10**6)}"


@dataclass(frozen=True)
class CorpusSchema:
    name: str
    title: str
    schema: dict[str, Any]
    generate: Callable[[random.Random, int], dict[str, Any]]
    faults: dict[str, Callable[[dict[str, Any]], None]]
    key: str
    record_element: str
    explode: str | None = None  # the array of objects that gives one CSV row per item
    line_key: str | None = None  # with explode: the item field that keys a row
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- 1. dataset (DCAT-like)

_THEMES = ["ECON", "EDUC", "ENVI", "GOVE", "HEAL", "JUST", "REGI", "SOCI", "TECH", "TRAN"]
_MEDIA = ["text/csv", "application/json", "application/xml", "application/x-ndjson"]

DATASET_SCHEMA: dict[str, Any] = {
    "$schema": S2020,
    "$id": f"{BASE}/catalogue/2.1/dataset.schema.json",
    "title": "Dataset (政务数据资源目录条目)",
    "description": "A catalogue entry, after DCAT-AP 2.1 and GB/T 38664.",
    "type": "object",
    "additionalProperties": False,
    "required": [
        "identifier",
        "title",
        "theme",
        "publisher",
        "issued",
        "modified",
        "landing_page",
        "keywords",
        "distributions",
    ],
    "properties": {
        "identifier": {"type": "string", "pattern": "^[0-9]{6}/[0-9]{5}-[0-9]{5}$"},
        "title": {"type": "string", "minLength": 2, "maxLength": 120},
        "description": {"type": "string", "maxLength": 2000},
        "theme": {"type": "string", "enum": _THEMES},
        "publisher": {"$ref": "#/$defs/agent"},
        "issued": {"type": "string", "format": "date"},
        "modified": {"type": "string", "format": "date-time"},
        "landing_page": {"type": "string", "format": "uri"},
        "access_rights": {"type": "string", "enum": ["PUBLIC", "RESTRICTED", "NON_PUBLIC"]},
        "keywords": {
            "type": "array",
            "minItems": 1,
            "maxItems": 10,
            "items": {"type": "string", "minLength": 1, "maxLength": 20},
        },
        "distributions": {
            "type": "array",
            "minItems": 1,
            "maxItems": 5,
            "items": {"$ref": "#/$defs/distribution"},
        },
    },
    "$defs": {
        "agent": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "email"],
            "properties": {
                "name": {"type": "string", "minLength": 2, "maxLength": 100},
                "email": {"type": "string", "format": "email"},
                "homepage": {"type": "string", "format": "uri"},
            },
        },
        "distribution": {
            "type": "object",
            "additionalProperties": False,
            "required": ["access_url", "media_type", "byte_size"],
            "properties": {
                "access_url": {"type": "string", "format": "uri"},
                "media_type": {"type": "string", "enum": _MEDIA},
                "byte_size": {"type": "integer", "minimum": 0},
            },
        },
    },
}

_WORDS = ["人口", "交通", "教育", "医疗", "环境", "财政", "企业", "气象", "住房", "就业", "旅游"]


def gen_dataset(rng: random.Random, number: int) -> dict[str, Any]:
    division = rng.choice(_DIVISIONS)
    theme = rng.choice(_THEMES)
    record: dict[str, Any] = {
        "identifier": f"{division}/{number // 100000:05d}-{number % 100000:05d}",
        "title": f"{_CITIES[division]}{rng.choice(_WORDS)}{rng.choice(_WORDS)}统计数据",
        "description": "按月更新的统计数据，包含分区县汇总。" * rng.randint(1, 3),
        "theme": theme,
        "publisher": {
            "name": _CITIES[division] + "大数据发展管理局",
            "email": _mailbox(rng),
            "homepage": _url(rng, "org"),
        },
        "issued": _date(rng),
        "modified": _datetime(rng),
        "landing_page": _url(rng, "dataset"),
        "access_rights": rng.choice(["PUBLIC", "PUBLIC", "RESTRICTED"]),
        "keywords": rng.sample(_WORDS, rng.randint(1, 4)),
        "distributions": [
            {
                "access_url": _url(rng, "download"),
                "media_type": rng.choice(_MEDIA),
                "byte_size": rng.randint(1000, 10**9),
            }
            for _ in range(rng.randint(1, 3))
        ],
    }
    if rng.random() < 0.2:
        del record["access_rights"]
    return record


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def fault(record: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = record
        for step in parents:
            node = node[int(step)] if step.isdigit() else node[step]
        node[last] = value

    return fault


def _drop(name: str) -> Callable[[dict[str, Any]], None]:
    def fault(record: dict[str, Any]) -> None:
        del record[name]

    return fault


DATASET = CorpusSchema(
    name="dataset",
    title="DCAT-like catalogue entry: root $id, $defs, uri and email fields, arrays",
    schema=DATASET_SCHEMA,
    generate=gen_dataset,
    faults={
        "theme-enum": _set("theme", "AGRI"),
        "publisher-email": _set("publisher.email", "data.example.gov.cn"),
        "issued-date": _set("issued", "2024-02-30"),
        "landing-uri": _set("landing_page", "dataset/123"),
        "missing-title": _drop("title"),
        "identifier-pattern": lambda r: r.update(identifier=r["identifier"][1:]),  # still unique
    },
    key="identifier",
    record_element="Dataset",
)

# ---------------------------------------------------------------- 2. person (oneOf)

PERSON_SCHEMA: dict[str, Any] = {
    "$schema": S2020,
    "$id": f"{BASE}/population/1.0/resident.schema.json",
    "title": "Resident (居民基本信息)",
    "type": "object",
    "additionalProperties": False,
    "required": [
        "person_id",
        "name",
        "gender",
        "birth_date",
        "division_code",
        "mobile",
        "registered_at",
    ],
    "properties": {
        "person_id": {"type": "string", "pattern": "^P[0-9]{10}$"},
        "name": {"type": "string", "minLength": 2, "maxLength": 50},
        "gender": {"type": "string", "enum": ["1", "2", "9"]},
        "birth_date": {"type": "string", "format": "date"},
        "nationality": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "division_code": {"type": "string", "format": "cn-division-code"},
        "mobile": {"type": "string", "format": "cn-mobile"},
        "postcode": {"type": "string", "format": "cn-postcode"},
        "registered_at": {"type": "string", "format": "date-time"},
        "id_number": {"type": "string", "format": "cn-id-number"},
        "passport_number": {"type": "string", "pattern": "^[EG][0-9]{8}$"},
        "issuing_country": {"type": "string", "pattern": "^[A-Z]{3}$"},
    },
    "oneOf": [
        {"required": ["id_number"]},
        {"required": ["passport_number", "issuing_country"]},
    ],
}


def gen_person(rng: random.Random, number: int) -> dict[str, Any]:
    division = rng.choice(_DIVISIONS)
    record: dict[str, Any] = {
        "person_id": f"P{number:010d}",
        "name": _person_name(rng),
        "gender": rng.choice(["1", "2", "1", "2", "9"]),
        "birth_date": _date(rng, 1940, 2010),
        "nationality": "CHN",
        "division_code": division,
        "mobile": f"1{rng.randint(3, 9)}{rng.randint(0, 999999999):09d}",
        "postcode": f"{rng.randint(1, 8)}{rng.randint(0, 99999):05d}",
        "registered_at": _datetime(rng),
    }
    if rng.random() < 0.15:
        del record["postcode"]
    if rng.random() < 0.9:
        record["id_number"] = id_number(rng, division)
    else:
        record["nationality"] = rng.choice(["USA", "GBR", "JPN", "KOR", "DEU"])
        record["passport_number"] = f"{rng.choice('EG')}{rng.randint(0, 10**8 - 1):08d}"
        record["issuing_country"] = record["nationality"]
    return record


def _wrong_id(record: dict[str, Any]) -> None:
    if "id_number" in record:
        record["id_number"] = wrong_check(record["id_number"], "0123456789X")
    else:
        record["passport_number"] = "X" + record["passport_number"][1:]


PERSON = CorpusSchema(
    name="person",
    title="resident record: oneOf (ID number or passport), check characters, local formats",
    schema=PERSON_SCHEMA,
    generate=gen_person,
    faults={
        "id-check": _wrong_id,
        "gender-enum": _set("gender", "M"),
        "birth-date": _set("birth_date", "1990-13-01"),
        "mobile": _set("mobile", "12345678901"),
        "division": _set("division_code", "990101"),
        "missing-name": _drop("name"),
    },
    key="person_id",
    record_element="Resident",
)

# ---------------------------------------------------------------- 3. contact (uri, email)

CONTACT_SCHEMA: dict[str, Any] = {
    "$schema": S2020,
    "$id": f"{BASE}/directory/1.2/organisation-contact.schema.json",
    "title": "Organisation contact (机构联系信息)",
    "type": "object",
    "additionalProperties": False,
    "required": ["uscc", "name", "email", "website", "phone", "address", "updated_at"],
    "properties": {
        "uscc": {"type": "string", "format": "cn-uscc"},
        "name": {"type": "string", "minLength": 2, "maxLength": 100},
        "email": {"type": "string", "format": "email"},
        "website": {"type": "string", "format": "uri"},
        "service_url": {"type": "string", "format": "uri"},
        "phone": {"type": "string", "pattern": "^0[0-9]{2,3}-[0-9]{7,8}$"},
        "address": {"$ref": "#/$defs/address"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
    "$defs": {
        "address": {
            "type": "object",
            "additionalProperties": False,
            "required": ["street", "city", "division_code", "postcode"],
            "properties": {
                "street": {"type": "string", "maxLength": 200},
                "city": {"type": "string", "maxLength": 50},
                "division_code": {"type": "string", "format": "cn-division-code"},
                "postcode": {"type": "string", "format": "cn-postcode"},
            },
        }
    },
}


def gen_contact(rng: random.Random, number: int) -> dict[str, Any]:
    division = rng.choice(_DIVISIONS)
    record: dict[str, Any] = {
        "uscc": uscc(rng, division),
        "name": _org_name(rng, division),
        "email": _mailbox(rng),
        "website": _url(rng, "org"),
        "service_url": _url(rng, "service"),
        "phone": f"0{rng.randint(10, 999)}-{rng.randint(10**7, 10**8 - 1)}",
        "address": {
            "street": f"{rng.choice(_ORG)}路{rng.randint(1, 999)}号",
            "city": _CITIES[division],
            "division_code": division,
            "postcode": f"{rng.randint(1, 8)}{rng.randint(0, 99999):05d}",
        },
        "updated_at": _datetime(rng),
    }
    if rng.random() < 0.3:
        del record["service_url"]
    return record


CONTACT = CorpusSchema(
    name="contact",
    title="organisation contact: uri and email fields, a nested address",
    schema=CONTACT_SCHEMA,
    generate=gen_contact,
    faults={
        "email": _set("email", "office@@example.gov.cn"),
        "website-uri": _set("website", "www.example.gov.cn"),
        "uscc-check": lambda r: r.update(uscc=wrong_check(r["uscc"], _USCC)),
        "phone": _set("phone", "10-12345678"),
        "postcode": _set("address.postcode", "912345"),
        "missing-email": _drop("email"),
    },
    key="uscc",
    record_element="Contact",
)

# ---------------------------------------------------------------- 4. order (nested arrays)

_TAGS = ["urgent", "framework", "green", "sme", "import", "service"]

ORDER_SCHEMA: dict[str, Any] = {
    "$schema": S2020,
    "$id": f"{BASE}/procurement/1.0/purchase-order.schema.json",
    "title": "Purchase order (政府采购订单)",
    "type": "object",
    "additionalProperties": False,
    "required": ["order_id", "buyer_uscc", "buyer_name", "placed_at", "currency", "lines"],
    "properties": {
        "order_id": {"type": "string", "pattern": "^PO-[0-9]{4}-[0-9]{8}$"},
        "buyer_uscc": {"type": "string", "format": "cn-uscc"},
        "buyer_name": {"type": "string", "maxLength": 100},
        "placed_at": {"type": "string", "format": "date-time"},
        "currency": {"type": "string", "enum": ["CNY", "HKD", "USD", "EUR"]},
        "lines": {
            "type": "array",
            "minItems": 1,
            "maxItems": 20,
            "items": {"$ref": "#/$defs/line"},
        },
    },
    "$defs": {
        "line": {
            "type": "object",
            "additionalProperties": False,
            "required": ["line_no", "sku", "description", "quantity", "unit_price", "tags"],
            "properties": {
                "line_no": {"type": "integer", "minimum": 1, "maximum": 20},
                "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{6}$"},
                "description": {"type": "string", "maxLength": 200},
                "quantity": {"type": "integer", "minimum": 1},
                "unit_price": {"type": "number", "minimum": 0},
                "tags": {
                    "type": "array",
                    "maxItems": 6,
                    "items": {"type": "string", "enum": _TAGS},
                },
            },
        }
    },
}

_GOODS = ["打印纸", "办公桌", "笔记本电脑", "投影仪", "消毒液", "路由器", "档案盒", "空调维保"]


def gen_order(rng: random.Random, number: int) -> dict[str, Any]:
    division = rng.choice(_DIVISIONS)
    return {
        "order_id": f"PO-{rng.randint(2020, 2025)}-{number:08d}",
        "buyer_uscc": uscc(rng, division),
        "buyer_name": _CITIES[division] + rng.choice(["教育局", "卫生健康委员会", "财政局"]),
        "placed_at": _datetime(rng),
        "currency": rng.choice(["CNY", "CNY", "CNY", "HKD", "USD"]),
        "lines": [
            {
                "line_no": i,
                "sku": f"{rng.choice(['OFF', 'ITS', 'SVC'])}-{rng.randint(0, 999999):06d}",
                "description": rng.choice(_GOODS),
                "quantity": rng.randint(1, 500),
                "unit_price": rng.randint(100, 10**7) / 100,
                "tags": rng.sample(_TAGS, rng.randint(0, 2)),
            }
            for i in range(1, rng.randint(1, 4) + 1)
        ],
    }


ORDER = CorpusSchema(
    name="order",
    title="purchase order: an array of line objects, each with an array of tags",
    schema=ORDER_SCHEMA,
    generate=gen_order,
    faults={  # on the first line (the CSV has one row per line: one error there too)
        "quantity-zero": _set("lines.0.quantity", 0),
        "sku-pattern": _set("lines.0.sku", "off-12345"),
        "price-negative": _set("lines.0.unit_price", -1.5),
        "tag-enum": lambda r: r["lines"][0].update(tags=["urgent", "cheap"]),
        "line-missing": lambda r: r["lines"][0].pop("description"),
        "line-no-string": _set("lines.0.line_no", "1a"),
    },
    key="order_id",
    record_element="Order",
    explode="lines",
    line_key="line_no",
)

# ---------------------------------------------------------------- 5. stats (60 columns)

_INDICATORS = [
    ("population_total", "integer"),
    ("population_urban", "integer"),
    ("population_rural", "integer"),
    ("births", "integer"),
    ("deaths", "integer"),
    ("households", "integer"),
    ("urbanisation_rate", "rate"),
    ("birth_rate", "permille"),
    ("death_rate", "permille"),
    ("gdp", "amount"),
    ("gdp_primary", "amount"),
    ("gdp_secondary", "amount"),
    ("gdp_tertiary", "amount"),
    ("gdp_per_capita", "amount"),
    ("gdp_growth", "growth"),
    ("fiscal_revenue", "amount"),
    ("fiscal_expenditure", "amount"),
    ("tax_revenue", "amount"),
    ("retail_sales", "amount"),
    ("fixed_investment", "amount"),
    ("exports", "amount"),
    ("imports", "amount"),
    ("fdi_actual", "amount"),
    ("enterprises", "integer"),
    ("new_enterprises", "integer"),
    ("employed", "integer"),
    ("unemployment_rate", "rate"),
    ("avg_wage", "amount"),
    ("disposable_income_urban", "amount"),
    ("disposable_income_rural", "amount"),
    ("cpi", "index"),
    ("ppi", "index"),
    ("schools_primary", "integer"),
    ("schools_secondary", "integer"),
    ("students", "integer"),
    ("teachers", "integer"),
    ("hospitals", "integer"),
    ("hospital_beds", "integer"),
    ("doctors", "integer"),
    ("nurses", "integer"),
    ("pension_insured", "integer"),
    ("medical_insured", "integer"),
    ("road_km", "amount"),
    ("passenger_volume", "integer"),
    ("freight_volume", "integer"),
    ("electricity_kwh", "amount"),
    ("water_m3", "amount"),
    ("forest_cover", "rate"),
    ("pm25", "amount"),
    ("good_air_days", "days"),
    ("green_area_ha", "amount"),
    ("housing_area", "amount"),
    ("housing_price", "amount"),
    ("tourists", "integer"),
    ("tourism_revenue", "amount"),
    ("internet_users", "integer"),
]


def _indicator_schema(kind: str) -> dict[str, Any]:
    if kind == "integer":
        return {"type": "integer", "minimum": 0}
    if kind == "days":
        return {"type": "integer", "minimum": 0, "maximum": 366}
    if kind == "rate":
        return {"type": "number", "minimum": 0, "maximum": 100}
    if kind == "permille":
        return {"type": "number", "minimum": 0, "maximum": 1000}
    if kind == "growth":
        return {"type": "number", "minimum": -100, "maximum": 1000}
    return {"type": "number", "minimum": 0}


STATS_SCHEMA: dict[str, Any] = {
    "$schema": S2020,
    "$id": f"{BASE}/statistics/2025/county-indicators.schema.json",
    "title": "County statistical indicators (县域统计指标), one row per county and period",
    "type": "object",
    "additionalProperties": False,
    "required": ["record_id", "division_code", "year", "period"] + [n for n, _ in _INDICATORS[:46]],
    "properties": {
        "record_id": {"type": "string", "pattern": "^S[0-9]{9}$"},
        "division_code": {"type": "string", "format": "cn-division-code"},
        "year": {"type": "integer", "minimum": 2000, "maximum": 2030},
        "period": {"type": "string", "enum": ["Y", "Q1", "Q2", "Q3", "Q4"]},
        **{name: _indicator_schema(kind) for name, kind in _INDICATORS},
    },
}
assert len(STATS_SCHEMA["properties"]) == 60


def _indicator(rng: random.Random, kind: str) -> Any:
    if kind == "integer":
        return rng.randint(0, 5_000_000)
    if kind == "days":
        return rng.randint(150, 366)
    if kind == "rate":
        return rng.randint(0, 10000) / 100
    if kind == "permille":
        return rng.randint(0, 3000) / 100
    if kind == "growth":
        return rng.randint(-500, 1500) / 100
    if kind == "index":
        return rng.randint(9500, 10500) / 100
    return rng.randint(0, 10**9) / 100


def gen_stats(rng: random.Random, number: int) -> dict[str, Any]:
    record: dict[str, Any] = {
        "record_id": f"S{number:09d}",
        "division_code": f"{rng.choice(_DIVISIONS)[:4]}{number % 100:02d}",
        "year": 2000 + (number // 500) % 26,
        "period": ("Y", "Q1", "Q2", "Q3", "Q4")[(number // 100) % 5],
    }
    for name, kind in _INDICATORS:
        record[name] = _indicator(rng, kind)
    for name, _ in _INDICATORS[46:]:
        if rng.random() < 0.1:
            del record[name]
    return record


STATS = CorpusSchema(
    name="stats",
    title="a wide flat statistical record: 60 columns, integers and bounded decimals",
    schema=STATS_SCHEMA,
    generate=gen_stats,
    faults={
        "negative-count": _set("births", -3),
        "rate-over-100": _set("unemployment_rate", 100.5),
        "integer-fraction": _set("hospitals", 12.5),
        "year-range": _set("year", 1999),
        "period-enum": _set("period", "H1"),
        "missing-gdp": _drop("gdp"),
    },
    key="record_id",
    record_element="Indicators",
)

# ---------------------------------------------------------------- 6. event (date-time, enums)

_EVENT_TYPES = [
    "application.submitted",
    "application.accepted",
    "application.rejected",
    "document.uploaded",
    "document.verified",
    "payment.completed",
    "certificate.issued",
    "certificate.revoked",
    "case.transferred",
    "case.closed",
]

EVENT_SCHEMA: dict[str, Any] = {
    "$schema": S2020,
    "$id": f"{BASE}/service/1.0/service-event.schema.json",
    "title": "Service event (政务服务事项办理事件)",
    "type": "object",
    "additionalProperties": False,
    "required": [
        "event_id",
        "type",
        "occurred_at",
        "recorded_at",
        "channel",
        "actor",
        "outcome",
        "case_ref",
    ],
    "properties": {
        "event_id": {"type": "string", "format": "uuid"},
        "type": {"type": "string", "enum": _EVENT_TYPES},
        "occurred_at": {"type": "string", "format": "date-time"},
        "recorded_at": {"type": "string", "format": "date-time"},
        "channel": {"type": "string", "enum": ["web", "app", "counter", "kiosk", "phone"]},
        "actor": {
            "type": "object",
            "additionalProperties": False,
            "required": ["role", "id"],
            "properties": {
                "role": {"type": "string", "enum": ["applicant", "clerk", "system"]},
                "id": {"type": "string", "pattern": "^[A-Z]{2}[0-9]{8}$"},
            },
        },
        "outcome": {"type": "string", "enum": ["success", "failure", "pending"]},
        "duration_ms": {"type": "integer", "minimum": 0, "maximum": 86400000},
        "case_ref": {"type": "string", "pattern": "^[0-9]{6}-[0-9]{4}-[A-Z]{2}-[0-9]{7}$"},
        "reason_code": {"type": "string", "pattern": "^E[0-9]{3}$"},
    },
}


def gen_event(rng: random.Random, number: int) -> dict[str, Any]:
    bits = rng.getrandbits(128)
    hex32 = f"{bits:032x}"
    uuid = f"{hex32[:8]}-{hex32[8:12]}-4{hex32[13:16]}-a{hex32[17:20]}-{hex32[20:]}"
    outcome = rng.choice(["success", "success", "success", "failure", "pending"])
    occurred = _datetime(rng)
    record: dict[str, Any] = {
        "event_id": uuid,
        "type": rng.choice(_EVENT_TYPES),
        "occurred_at": occurred,
        "recorded_at": occurred[:17] + f"{rng.randint(0, 59):02d}+08:00",
        "channel": rng.choice(["web", "app", "counter", "kiosk", "phone"]),
        "actor": {
            "role": rng.choice(["applicant", "clerk", "system"]),
            "id": f"{rng.choice(['AP', 'CL', 'SY'])}{rng.randint(0, 10**8 - 1):08d}",
        },
        "outcome": outcome,
        "duration_ms": rng.randint(5, 600000),
        "case_ref": f"{rng.choice(_DIVISIONS)}-{rng.randint(2020, 2025)}-"
        f"{rng.choice(['XK', 'SP', 'BA'])}-{number:07d}",
    }
    if outcome == "failure":
        record["reason_code"] = f"E{rng.randint(100, 999)}"
    return record


EVENT = CorpusSchema(
    name="event",
    title="service event: date-times, enums, a uuid, a small nested actor",
    schema=EVENT_SCHEMA,
    generate=gen_event,
    faults={
        "uuid": lambda r: r.update(event_id=r["event_id"][:-1] + "g"),  # still unique
        "hour-25": lambda r: r.update(
            occurred_at=r["occurred_at"][:11] + "25" + r["occurred_at"][13:]
        ),
        "type-enum": _set("type", "application.deleted"),
        "role-enum": _set("actor.role", "robot"),
        "duration-negative": _set("duration_ms", -1),
        "missing-outcome": _drop("outcome"),
    },
    key="event_id",
    record_element="Event",
)

CORPUS = (DATASET, PERSON, CONTACT, ORDER, STATS, EVENT)
