"""The vocabulary of standard diffs: changes, their locations, and the rule table.

Every change has a stable rule id.  Schema rules come in two directions:

- ``input-*``: data a candidate must ACCEPT (request parameters and bodies).  Narrowing
  what it accepts breaks the clients that send it.
- ``output-*``: data a candidate EMITS and consumers read (responses, export records).
  Widening what it may emit breaks the consumers that read it.

Each rule also says whether a provincial profile may make that change relative to its base
(``profile_ok``): a profile may only narrow what the candidate emits and must leave what it
accepts unchanged, so that every candidate conforming to the profile conforms to the base.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Classification(StrEnum):
    BREAKING = "breaking"
    POSSIBLY_BREAKING = "possibly-breaking"
    COMPATIBLE = "compatible"


class Bump(StrEnum):
    NONE = "none"
    PATCH = "patch"
    MINOR = "minor"
    MAJOR = "major"

    @property
    def rank(self) -> int:
        return ("none", "patch", "minor", "major").index(self.value)


class Sense(StrEnum):
    NARROWED = "narrowed"  # fewer instances valid than before
    WIDENED = "widened"  # more instances valid than before
    CHANGED = "changed"  # some instances gained, some lost
    UNKNOWN = "unknown"  # the tool cannot prove which


B = Classification.BREAKING
P = Classification.POSSIBLY_BREAKING
C = Classification.COMPATIBLE


@dataclass(frozen=True)
class Rule:
    id: str
    classification: Classification
    bump: Bump  # the smallest version bump this change needs
    profile_ok: bool  # may a profile make this change relative to its base?
    zh: str
    en: str
    group: str  # clauses, api, exports, schemas, docs


@dataclass(frozen=True)
class _SchemaKind:
    kind: str
    sense: Sense
    input: Classification
    output: Classification
    zh: str
    en: str
    profile: bool | None = None  # may a profile make it (None: output and narrowed only)
    bump: Bump | None = None  # None: major unless compatible (then minor)


# One row per kind of schema change; each gives an input-* and an output-* rule.
_SCHEMA_KINDS: tuple[_SchemaKind, ...] = (
    _SchemaKind("type-widened", Sense.WIDENED, C, B, "类型放宽", "type widened"),
    _SchemaKind("type-narrowed", Sense.NARROWED, B, C, "类型收窄", "type narrowed"),
    _SchemaKind("type-changed", Sense.CHANGED, B, B, "类型改变", "type changed"),
    _SchemaKind("nullable-added", Sense.WIDENED, C, B, "允许为 null", "made nullable"),
    _SchemaKind("nullable-removed", Sense.NARROWED, B, C, "不再允许 null", "no longer nullable"),
    _SchemaKind("enum-value-added", Sense.WIDENED, C, B, "枚举新增取值", "enum value added"),
    _SchemaKind("enum-value-removed", Sense.NARROWED, B, C, "枚举删除取值", "enum value removed"),
    _SchemaKind(
        "enum-added", Sense.NARROWED, B, C, "新增枚举（或常量）限制", "enum or const added"
    ),
    _SchemaKind(
        "enum-removed", Sense.WIDENED, C, B, "取消枚举（或常量）限制", "enum or const removed"
    ),
    _SchemaKind("required-added", Sense.NARROWED, B, C, "字段改为必填", "field made required"),
    _SchemaKind(
        "required-removed", Sense.WIDENED, C, B, "必填字段改为可选", "required field made optional"
    ),
    _SchemaKind(
        "property-added-closed",
        Sense.WIDENED,
        C,
        B,
        "封闭结构（不允许其他字段）新增字段",
        "property added to a closed schema",
    ),
    _SchemaKind(
        "property-added-open",
        Sense.NARROWED,
        C,
        C,
        "开放结构新增字段定义",
        "property defined in an open schema",
    ),
    _SchemaKind(
        "property-removed-closed",
        Sense.NARROWED,
        B,
        C,
        "封闭结构删除字段（该字段不再允许出现）",
        "property removed from a closed schema (no longer allowed)",
    ),
    _SchemaKind(
        "property-removed-open",
        Sense.WIDENED,
        C,
        B,
        "开放结构删除字段定义（该字段不再受约束）",
        "property definition removed from an open schema (no longer constrained)",
    ),
    _SchemaKind(
        "additional-properties-closed",
        Sense.NARROWED,
        B,
        C,
        "不再允许未列出的字段",
        "additional properties no longer allowed",
    ),
    _SchemaKind(
        "additional-properties-opened",
        Sense.WIDENED,
        C,
        B,
        "允许未列出的字段",
        "additional properties now allowed",
    ),
    _SchemaKind("constraint-tightened", Sense.NARROWED, B, C, "约束收紧", "constraint tightened"),
    _SchemaKind("constraint-relaxed", Sense.WIDENED, C, B, "约束放宽", "constraint relaxed"),
    _SchemaKind("pattern-added", Sense.NARROWED, B, C, "新增正则约束", "pattern added"),
    _SchemaKind("pattern-removed", Sense.WIDENED, C, B, "删除正则约束", "pattern removed"),
    _SchemaKind(
        "pattern-narrowed",
        Sense.NARROWED,
        B,
        C,
        "正则收窄（已证明新正则匹配的值旧正则都匹配）",
        "pattern narrowed (proven: every value it matches, the old one matched)",
    ),
    _SchemaKind(
        "pattern-widened",
        Sense.WIDENED,
        C,
        B,
        "正则放宽（已证明旧正则匹配的值新正则都匹配）",
        "pattern widened (proven: every value the old one matched, it matches)",
    ),
    _SchemaKind(
        "pattern-changed",
        Sense.CHANGED,
        B,
        B,
        "正则改变（新旧互不包含）",
        "pattern changed (neither contains the other)",
    ),
    _SchemaKind(
        "pattern-unproven",
        Sense.UNKNOWN,
        P,
        P,
        "正则改变，无法自动判定包含关系",
        "pattern changed; containment could not be decided",
    ),
    _SchemaKind("format-added", Sense.NARROWED, B, C, "新增格式约束", "format added"),
    _SchemaKind("format-removed", Sense.WIDENED, C, B, "删除格式约束", "format removed"),
    _SchemaKind("format-changed", Sense.CHANGED, B, B, "格式约束改变", "format changed"),
    _SchemaKind("all-of-added", Sense.NARROWED, B, C, "新增 allOf 约束", "allOf constraint added"),
    _SchemaKind(
        "all-of-removed", Sense.WIDENED, C, B, "删除 allOf 约束", "allOf constraint removed"
    ),
    _SchemaKind("any-of-added", Sense.WIDENED, C, B, "anyOf 新增分支", "anyOf branch added"),
    _SchemaKind("any-of-removed", Sense.NARROWED, B, C, "anyOf 删除分支", "anyOf branch removed"),
    _SchemaKind(
        "element-order-changed",
        Sense.CHANGED,
        B,
        B,
        "XML 元素顺序改变",
        "XML element order changed",
    ),
    _SchemaKind(
        "keyword-changed",
        Sense.UNKNOWN,
        P,
        P,
        "约束改变，无法自动判定放宽或收紧",
        "constraint changed; whether it widens or narrows could not be decided",
    ),
    _SchemaKind("default-changed", Sense.UNKNOWN, P, C, "默认值改变", "default value changed"),
    # readOnly binds requests only (a client should not send the property), writeOnly binds
    # responses only (a candidate does not return it): each is a rule in one direction.
    _SchemaKind(
        "read-only-added",
        Sense.NARROWED,
        B,
        C,
        "字段改为只读（客户端不应再发送）",
        "property made readOnly (clients should no longer send it)",
    ),
    _SchemaKind(
        "read-only-removed",
        Sense.WIDENED,
        C,
        C,
        "字段不再只读（客户端可以发送）",
        "property no longer readOnly (clients may send it)",
    ),
    _SchemaKind(
        "write-only-added",
        Sense.NARROWED,
        C,
        B,
        "字段改为只写（响应不再返回）",
        "property made writeOnly (no longer returned)",
        profile=False,
    ),
    _SchemaKind(
        "write-only-removed",
        Sense.WIDENED,
        C,
        C,
        "字段不再只写（响应可能返回）",
        "property no longer writeOnly (it may be returned)",
        profile=True,
    ),
    # x-extensible-enum: the values known today of an open set; consumers must accept values
    # not listed, so a new value is compatible everywhere, a removed one breaks requests.
    _SchemaKind(
        "extensible-enum-value-added",
        Sense.WIDENED,
        C,
        C,
        "可扩展枚举（x-extensible-enum）新增取值",
        "extensible enum (x-extensible-enum) value added",
        profile=False,
    ),
    _SchemaKind(
        "extensible-enum-value-removed",
        Sense.NARROWED,
        B,
        C,
        "可扩展枚举（x-extensible-enum）删除取值",
        "extensible enum (x-extensible-enum) value removed",
    ),
    _SchemaKind(
        "deprecated",
        Sense.UNKNOWN,
        C,
        C,
        "字段标记为弃用",
        "property deprecated",
        profile=True,
    ),
    _SchemaKind(
        "reactivated",
        Sense.UNKNOWN,
        C,
        C,
        "字段取消弃用",
        "property no longer deprecated",
        profile=False,
    ),
)

# XML records are only ever emitted; readOnly only binds requests, writeOnly only responses
_OUTPUT_ONLY = frozenset({"element-order-changed", "write-only-added", "write-only-removed"})
_INPUT_ONLY = frozenset({"read-only-added", "read-only-removed"})
SCHEMA_SENSE: dict[str, Sense] = {k.kind: k.sense for k in _SCHEMA_KINDS}


def _schema_rules() -> list[Rule]:
    rules = []
    for kind in _SCHEMA_KINDS:
        for direction, classification in (("input", kind.input), ("output", kind.output)):
            if direction == "input" and kind.kind in _OUTPUT_ONLY:
                continue
            if direction == "output" and kind.kind in _INPUT_ONLY:
                continue
            # a profile narrows what is emitted and leaves what is accepted alone
            profile_ok = direction == "output" and (
                kind.sense is Sense.NARROWED if kind.profile is None else kind.profile
            )
            rules.append(
                Rule(
                    id=f"{direction}-{kind.kind}",
                    classification=classification,
                    bump=kind.bump or (Bump.MAJOR if classification is not C else Bump.MINOR),
                    profile_ok=profile_ok,
                    zh=("输入（请求）" if direction == "input" else "输出（响应、导出）") + kind.zh,
                    en=("input (requests): " if direction == "input" else "output: ") + kind.en,
                    group="schemas",
                )
            )
    return rules


def _r(
    rule_id: str,
    classification: Classification,
    profile_ok: bool,
    zh: str,
    en: str,
    group: str,
    bump: Bump | None = None,
) -> Rule:
    if bump is None:
        bump = Bump.MINOR if classification is C else Bump.MAJOR
    return Rule(rule_id, classification, bump, profile_ok, zh, en, group)


def _deprecation_rules(what: str, zh: str, removed: Classification) -> tuple[Rule, ...]:
    """Deprecation and sunset (``deprecated``, ``x-sunset``) of operations and parameters."""
    return (
        _r(f"{what}-deprecated", C, False, f"{zh}标记为弃用", f"{what} deprecated", "api"),
        _r(
            f"{what}-reactivated",
            C,
            False,
            f"{zh}取消弃用",
            f"{what} no longer deprecated",
            "api",
        ),
        _r(
            f"{what}-sunset-too-soon",
            B,
            False,
            f"{zh}弃用未给足标准要求的通知期（x-sunset 缺失或过早）",
            f"{what} deprecated without the notice period the standard requires "
            "(x-sunset missing or too soon)",
            "api",
        ),
        _r(
            f"{what}-sunset-earlier",
            B,
            False,
            f"{zh}停用日期（x-sunset）提前或取消",
            f"{what} sunset date (x-sunset) brought forward or removed",
            "api",
        ),
        _r(
            f"{what}-sunset-later",
            C,
            False,
            f"{zh}停用日期（x-sunset）推迟或首次公布",
            f"{what} sunset date (x-sunset) postponed or first announced",
            "api",
            Bump.PATCH,
        ),
        _r(
            f"{what}-removed-after-deprecation",
            C,
            False,
            f"删除已弃用且已过停用日期（或通知期）的{zh}",
            f"deprecated {what} removed after its sunset date (or notice period)",
            "api",
            Bump.MAJOR,
        ),
        _r(
            f"{what}-removed-before-sunset",
            removed,
            False,
            f"删除已弃用但未到停用日期（或通知期）的{zh}",
            f"deprecated {what} removed before its sunset date (or notice period)",
            "api",
            Bump.MAJOR,
        ),
    )


_OTHER_RULES: tuple[Rule, ...] = (
    # clauses
    _r("clause-added", C, True, "新增 SHOULD 或 MAY 条款", "SHOULD or MAY clause added", "clauses"),
    _r(
        "clause-added-must",
        P,
        True,
        "新增 MUST 条款（已有实现可能不满足）",
        "MUST clause added (existing systems may not meet it)",
        "clauses",
    ),
    _r("clause-removed", B, False, "删除条款", "clause removed", "clauses"),
    _r(
        "clause-level-raised-to-must",
        B,
        True,
        "条款级别提高为 MUST",
        "clause level raised to MUST",
        "clauses",
    ),
    _r(
        "clause-level-raised",
        P,
        True,
        "条款级别由 MAY 提高为 SHOULD",
        "clause level raised from MAY to SHOULD",
        "clauses",
    ),
    _r("clause-level-lowered", B, False, "条款级别降低", "clause level lowered", "clauses"),
    _r(
        "clause-verification-changed",
        P,
        False,
        "条款核验方式改变（自动/人工）",
        "clause verification changed (automated/manual)",
        "clauses",
    ),
    _r(
        "clause-text-changed",
        C,
        False,
        "条款文字修改（含义须人工复核）",
        "clause text changed (a reviewer confirms the meaning)",
        "clauses",
        Bump.PATCH,
    ),
    _r(
        "clause-checks-added",
        C,
        True,
        "条款新增核验检查项",
        "checks added to a clause",
        "clauses",
        Bump.PATCH,
    ),
    _r(
        "clause-checks-removed",
        C,
        False,
        "条款删除核验检查项",
        "checks removed from a clause",
        "clauses",
        Bump.PATCH,
    ),
    # clause bindings (binds): which clause a finding is blamed on, the most specific binding
    # winning; none changes what is checked, each moves blame between the clauses named at a
    # site (docs/breaking-change-rules.md, "Clause bindings"). A profile keeps its base's.
    _r(
        "clause-binding-added",
        C,
        False,
        "SHOULD 或 MAY 条款新增绑定（该条款承接更多问题，其他条款不会因此新增失败）",
        "binding added to a SHOULD or MAY clause (it takes more findings; no other clause "
        "gains a failure)",
        "clauses",
    ),
    _r(
        "clause-binding-added-new-target",
        C,
        True,
        "条款新增绑定，绑定对象为本版本新增（旧版本不会产生与之匹配的问题）",
        "binding added to a clause for what this version adds (an operation, parameter, status "
        "or schema location the old version did not have: none of its findings matched)",
        "clauses",
    ),
    _r(
        "clause-binding-added-must",
        P,
        False,
        "MUST 条款新增绑定（此前记在其他条款或仅为警告的问题可能使其不通过）",
        "binding added to a MUST clause (findings blamed elsewhere, or only warned of, may "
        "now fail it)",
        "clauses",
    ),
    _r(
        "clause-binding-removed",
        P,
        False,
        "条款删除绑定（相应问题改记到其他条款，可能是 MUST 条款）",
        "binding removed from a clause (its findings move to other clauses, MUST ones included)",
        "clauses",
    ),
    _r(
        "clause-binding-changed",
        P,
        False,
        "条款绑定改变（问题的归属双向移动）",
        "clause binding changed (blame for findings moves both ways)",
        "clauses",
    ),
    _r(
        "clause-bound",
        P,
        False,
        "条款由承接其检查项的全部问题改为只承接绑定匹配的问题（其余问题改记到其他条款）",
        "clause bound: it took every finding of its checks, now only those its bindings match "
        "(the others move to other clauses)",
        "clauses",
    ),
    _r(
        "clause-unbound",
        P,
        False,
        "条款取消全部绑定（重新承接其检查项的全部问题）",
        "clause unbound: it takes every finding of its checks again",
        "clauses",
    ),
    # API
    _r("api-added", C, True, "新增接口定义", "API definition added", "api"),
    _r("api-removed", B, False, "删除全部接口定义", "API definition removed", "api"),
    _r("operation-added", C, True, "新增接口操作", "operation added", "api"),
    _r("operation-removed", B, False, "删除接口操作", "operation removed", "api"),
    _r("operation-id-changed", P, False, "operationId 改变", "operationId changed", "api"),
    _r(
        "operation-clause-added",
        C,
        True,
        "接口操作新增适用条款",
        "clause newly applied to an operation",
        "api",
    ),
    _r(
        "operation-clause-removed",
        P,
        False,
        "接口操作不再适用某条款",
        "clause no longer applied to an operation",
        "api",
    ),
    _r(
        "operation-security-added",
        B,
        False,
        "接口操作新增认证要求",
        "authentication now required by an operation",
        "api",
    ),
    _r(
        "operation-security-removed",
        P,
        False,
        "接口操作取消认证要求",
        "authentication no longer required by an operation",
        "api",
    ),
    _r("parameter-added-required", B, False, "新增必填参数", "required parameter added", "api"),
    _r("parameter-added-optional", C, False, "新增可选参数", "optional parameter added", "api"),
    _r("parameter-removed", P, False, "删除参数", "parameter removed", "api"),
    _r("parameter-required-added", B, False, "参数改为必填", "parameter made required", "api"),
    _r("parameter-required-removed", C, False, "参数改为可选", "parameter made optional", "api"),
    _r(
        "request-body-added-required",
        B,
        False,
        "新增必填请求体",
        "required request body added",
        "api",
    ),
    _r(
        "request-body-added-optional",
        C,
        False,
        "新增可选请求体",
        "optional request body added",
        "api",
    ),
    _r("request-body-removed", P, False, "删除请求体", "request body removed", "api"),
    _r(
        "request-body-required-added",
        B,
        False,
        "请求体改为必填",
        "request body made required",
        "api",
    ),
    _r(
        "request-body-required-removed",
        C,
        False,
        "请求体改为可选",
        "request body made optional",
        "api",
    ),
    _r(
        "request-media-type-added",
        C,
        False,
        "请求体新增媒体类型",
        "request media type added",
        "api",
    ),
    _r(
        "request-media-type-removed",
        B,
        False,
        "请求体删除媒体类型",
        "request media type removed",
        "api",
    ),
    _r(
        "response-status-added",
        P,
        False,
        "新增响应状态码（调用方可能未处理）",
        "response status added (clients may not handle it)",
        "api",
    ),
    _r(
        "response-success-status-removed",
        B,
        True,
        "删除成功响应状态码",
        "success response status removed",
        "api",
    ),
    _r(
        "response-status-removed",
        C,
        True,
        "删除非成功响应状态码",
        "non-success response status removed",
        "api",
    ),
    _r(
        "response-media-type-added",
        P,
        False,
        "响应新增媒体类型",
        "response media type added",
        "api",
    ),
    _r(
        "response-media-type-removed",
        B,
        True,
        "响应删除媒体类型",
        "response media type removed",
        "api",
    ),
    _r("response-header-added", C, True, "响应新增头部", "response header added", "api"),
    _r("response-header-removed", P, False, "响应删除头部", "response header removed", "api"),
    _r(
        "response-time-budget-tightened",
        C,
        True,
        "响应时间预算收紧或新增",
        "response time budget tightened or added",
        "api",
    ),
    _r(
        "response-time-budget-relaxed",
        P,
        False,
        "响应时间预算放宽或取消",
        "response time budget relaxed or removed",
        "api",
    ),
    _r("filter-added", C, False, "列表新增筛选条件", "list filter added", "api"),
    _r("filter-removed", B, False, "列表删除筛选条件", "list filter removed", "api"),
    _r("pagination-changed", B, False, "分页约定改变", "pagination convention changed", "api"),
    _r("extension-changed", P, False, "扩展字段（x-）改变", "extension (x-) changed", "api"),
    # security: requirements are alternatives (any one suffices), each naming schemes (all
    # needed) with scopes; schemes are defined under components.securitySchemes
    _r(
        "security-requirement-added",
        C,
        False,
        "接口操作新增可选认证方式（原有方式仍可用）",
        "security requirement added (another way to authenticate; the old ones still work)",
        "api",
    ),
    _r(
        "security-requirement-removed",
        B,
        False,
        "接口操作删除或改变认证方式（按原方式认证的调用方被拒绝）",
        "security requirement removed or changed (clients authenticating that way are refused)",
        "api",
    ),
    _r(
        "security-scopes-added",
        B,
        False,
        "认证要求新增授权范围（scope）",
        "scopes added to a security requirement",
        "api",
    ),
    _r(
        "security-scopes-removed",
        C,
        False,
        "认证要求减少授权范围（scope）",
        "scopes removed from a security requirement",
        "api",
    ),
    _r(
        "security-scheme-changed",
        B,
        False,
        "在用认证方案的定义改变（类型、位置、名称或地址）",
        "security scheme in use changed (type, location, name or URL)",
        "api",
    ),
    # parameter serialization (OpenAPI style, explode, allowReserved)
    _r(
        "parameter-serialization-changed",
        B,
        False,
        "参数序列化方式（style/explode）改变，线上格式不同",
        "parameter serialization (style/explode) changed; the value is written differently",
        "api",
    ),
    _r(
        "parameter-allow-reserved-added",
        C,
        False,
        "参数允许未编码的保留字符（allowReserved）",
        "parameter now allows reserved characters unencoded (allowReserved)",
        "api",
    ),
    _r(
        "parameter-allow-reserved-removed",
        B,
        False,
        "参数不再允许未编码的保留字符（allowReserved）",
        "parameter no longer allows reserved characters unencoded (allowReserved)",
        "api",
    ),
    _r(
        "path-parameter-renamed",
        C,
        False,
        "路径参数改名（同一接口，线上格式不变）",
        "path parameter renamed (the same endpoint; nothing changes on the wire)",
        "api",
        Bump.PATCH,
    ),
    # response headers
    _r(
        "response-required-header-removed",
        B,
        False,
        "响应删除必有头部",
        "required response header removed",
        "api",
    ),
    _r(
        "response-header-made-optional",
        B,
        False,
        "响应头部改为可选",
        "response header made optional",
        "api",
    ),
    _r(
        "response-header-made-required",
        C,
        True,
        "响应头部改为必有",
        "response header made required",
        "api",
    ),
    # media types: ranges (application/*), parameters (charset) and schemas
    _r(
        "request-media-type-widened",
        C,
        False,
        "请求体媒体类型放宽（如 application/json → application/*）",
        "request media type widened (e.g. application/json → application/*)",
        "api",
    ),
    _r(
        "request-media-type-narrowed",
        B,
        False,
        "请求体媒体类型收窄（如 application/* → application/json）",
        "request media type narrowed (e.g. application/* → application/json)",
        "api",
    ),
    _r(
        "response-media-type-widened",
        B,
        False,
        "响应媒体类型放宽（如 application/json → application/*）",
        "response media type widened (e.g. application/json → application/*)",
        "api",
    ),
    _r(
        "response-media-type-narrowed",
        C,
        True,
        "响应媒体类型收窄（如 application/* → application/json）",
        "response media type narrowed (e.g. application/* → application/json)",
        "api",
    ),
    _r(
        "request-media-type-parameters-changed",
        P,
        False,
        "请求体媒体类型参数改变（如 charset）",
        "request media type parameters changed (e.g. charset)",
        "api",
    ),
    _r(
        "response-media-type-parameters-changed",
        P,
        False,
        "响应媒体类型参数改变（如 charset）",
        "response media type parameters changed (e.g. charset)",
        "api",
    ),
    _r(
        "request-media-type-schema-added",
        B,
        False,
        "请求体媒体类型新增模式（此前任何内容都可接受）",
        "schema added to a request media type (anything was accepted before)",
        "api",
    ),
    _r(
        "request-media-type-schema-removed",
        C,
        False,
        "请求体媒体类型删除模式（任何内容都须接受）",
        "schema removed from a request media type (anything is accepted now)",
        "api",
    ),
    _r(
        "response-media-type-schema-added",
        C,
        True,
        "响应媒体类型新增模式",
        "schema added to a response media type",
        "api",
    ),
    _r(
        "response-media-type-schema-removed",
        B,
        False,
        "响应媒体类型删除模式（可能返回任何内容）",
        "schema removed from a response media type (anything may be returned)",
        "api",
    ),
    # webhooks and callbacks: requests the candidate sends; not analysed further
    _r("webhook-added", C, True, "新增 webhook", "webhook added", "api"),
    _r("webhook-removed", B, False, "删除 webhook", "webhook removed", "api"),
    _r(
        "webhook-changed",
        P,
        False,
        "webhook 定义改变（未逐项分析）",
        "webhook changed (not analysed further)",
        "api",
    ),
    _r(
        "callback-changed",
        P,
        False,
        "接口操作的回调（callbacks）改变（未逐项分析）",
        "operation callbacks changed (not analysed further)",
        "api",
    ),
    *(
        rule
        # removing a parameter is possibly breaking (a candidate may ignore it), deprecated or not
        for what, zh_what, removed in (("operation", "接口操作", B), ("parameter", "参数", P))
        for rule in _deprecation_rules(what, zh_what, removed)
    ),
    # exports
    _r("export-added", C, True, "新增导出", "export added", "exports"),
    _r("export-removed", B, False, "删除导出", "export removed", "exports"),
    _r("export-format-changed", B, False, "导出文件格式改变", "export format changed", "exports"),
    _r(
        "export-encoding-changed",
        B,
        False,
        "导出文件编码改变",
        "export encoding changed",
        "exports",
    ),
    _r(
        "export-record-element-changed",
        B,
        False,
        "XML 记录元素改变",
        "XML record element changed",
        "exports",
    ),
    _r(
        "export-root-changed",
        B,
        False,
        "XML 根元素或记录条数属性的声明改变",
        "XML document element or record count attribute declared differently",
        "exports",
    ),
    _r(
        "export-csv-changed",
        B,
        False,
        "CSV 分隔符或空值约定改变",
        "CSV delimiter or empty-cell convention changed",
        "exports",
    ),
    _r(
        "export-key-added",
        C,
        True,
        "导出新增唯一键",
        "export key added (records now unique)",
        "exports",
    ),
    _r("export-key-removed", B, False, "导出取消唯一键", "export key removed", "exports"),
    _r(
        "export-key-narrowed",
        C,
        True,
        "唯一键字段减少（唯一性更强）",
        "export key has fewer fields (stronger uniqueness)",
        "exports",
    ),
    _r(
        "export-key-widened",
        B,
        False,
        "唯一键字段增加（唯一性更弱）",
        "export key has more fields (weaker uniqueness)",
        "exports",
    ),
    _r("export-key-changed", B, False, "唯一键字段改变", "export key changed", "exports"),
    _r(
        "export-field-format-added",
        C,
        True,
        "XML 字段新增格式约束",
        "field format added to an XML export",
        "exports",
    ),
    _r(
        "export-field-format-removed",
        B,
        False,
        "XML 字段删除格式约束",
        "field format removed from an XML export",
        "exports",
    ),
    _r(
        "export-field-format-changed",
        B,
        False,
        "XML 字段格式约束改变",
        "field format of an XML export changed",
        "exports",
    ),
    _r(
        "export-clause-added",
        C,
        True,
        "导出新增适用条款",
        "clause newly applied to an export",
        "exports",
    ),
    _r(
        "export-clause-removed",
        P,
        False,
        "导出不再适用某条款",
        "clause no longer applied to an export",
        "exports",
    ),  # documentation only: nothing a candidate or a consumer does changes
    _r(
        "standard-doc-changed",
        C,
        True,
        "标准说明文字修改（标题、摘要、负责单位、导出标题）",
        "standard documentation changed (title, summary, owner, export titles)",
        "docs",
        Bump.PATCH,
    ),
    _r(
        "api-doc-changed",
        C,
        True,
        "接口说明文字修改（摘要、描述、示例、标题、标签）",
        "API documentation changed (summaries, descriptions, examples, titles, tags)",
        "docs",
        Bump.PATCH,
    ),
    _r(
        "schema-doc-changed",
        C,
        True,
        "模式说明文字修改（标题、描述、示例、注释）",
        "schema documentation changed (titles, descriptions, examples, comments)",
        "docs",
        Bump.PATCH,
    ),
)

RULES: dict[str, Rule] = {r.id: r for r in (*_schema_rules(), *_OTHER_RULES)}


@dataclass(frozen=True)
class Loc:
    """Where a change is, in one version: a file of the version folder and a place in it."""

    file: str  # POSIX path relative to the version folder
    pointer: str | None = None  # JSON pointer (JSON, YAML)
    xpath: str | None = None  # XPath (XSD)
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"file": self.file}
        for name in ("pointer", "xpath", "line"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data

    def __str__(self) -> str:
        text = self.file + (f":{self.line}" if self.line else "")
        if self.pointer is not None:
            text += f" {self.pointer or '/'}"
        if self.xpath is not None:
            text += f" {self.xpath}"
        return text


@dataclass
class Change:
    rule: str
    subject_zh: str  # what changed, e.g. 接口 GET /licences 响应 200
    subject_en: str
    detail: str  # the values involved, language-neutral
    old: Loc | None
    new: Loc | None
    path: str = ""  # instance path inside a schema (/holder/id_number, Licence/Holder)
    used_by: list[str] = field(default_factory=list)
    clauses: list[str] = field(default_factory=list)  # the standard's clauses it touches

    @property
    def spec(self) -> Rule:
        return RULES[self.rule]

    @property
    def classification(self) -> Classification:
        return self.spec.classification

    def message_zh(self) -> str:
        where = f"{self.subject_zh}{' ' + self.path if self.path else ''}"
        return f"{where}：{self.spec.zh}" + (f"（{self.detail}）" if self.detail else "")

    def message_en(self) -> str:
        where = f"{self.subject_en}{' ' + self.path if self.path else ''}"
        return f"{where}: {self.spec.en}" + (f" ({self.detail})" if self.detail else "")

    def key(self) -> tuple[str, str, str, str]:
        return (self.rule, str(self.old), str(self.new), self.path)

    @property
    def id(self) -> str:
        """A stable id: the same change has it in every run, whatever moved around it.

        It hashes what changed (rule, subject, instance path, values), never line numbers,
        so an ignore file's entry keeps matching while unrelated edits shift the files.
        """
        text = "\x1f".join((self.rule, self.subject_en, self.path, self.detail))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "classification": self.classification.value,
            "bump": self.spec.bump.value,
            "subject": {"zh-CN": self.subject_zh, "en": self.subject_en},
            "path": self.path,
            "detail": self.detail,
            "message": {"zh-CN": self.message_zh(), "en": self.message_en()},
            "old": self.old.as_dict() if self.old else None,
            "new": self.new.as_dict() if self.new else None,
            "used_by": list(self.used_by),
            "clauses": list(self.clauses),
        }
