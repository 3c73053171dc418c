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
    group: str  # clauses, api, exports, schemas


@dataclass(frozen=True)
class _SchemaKind:
    kind: str
    sense: Sense
    input: Classification
    output: Classification
    zh: str
    en: str


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
)

_OUTPUT_ONLY = frozenset({"element-order-changed"})  # XML records are only ever emitted
SCHEMA_SENSE: dict[str, Sense] = {k.kind: k.sense for k in _SCHEMA_KINDS}


def _schema_rules() -> list[Rule]:
    rules = []
    for kind in _SCHEMA_KINDS:
        for direction, classification in (("input", kind.input), ("output", kind.output)):
            if direction == "input" and kind.kind in _OUTPUT_ONLY:
                continue
            rules.append(
                Rule(
                    id=f"{direction}-{kind.kind}",
                    classification=classification,
                    bump=Bump.MAJOR if classification is not C else Bump.MINOR,
                    # a profile narrows what is emitted and leaves what is accepted alone
                    profile_ok=direction == "output" and kind.sense is Sense.NARROWED,
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

    def as_dict(self) -> dict[str, Any]:
        return {
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
        }
