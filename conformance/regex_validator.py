"""A Draft 2020-12 validator whose regular expressions follow the ``regex`` package.

python-jsonschema evaluates ``pattern`` and ``patternProperties`` (and the property
bookkeeping behind ``additionalProperties`` / ``unevaluatedProperties``) with the
standard-library ``re``, which rejects ``\\p{Han}`` and the other Unicode property
classes Chinese standards need. These four keywords are re-implemented here with
``regex``; everything else is python-jsonschema's own code.

A standard's pattern may backtrack catastrophically (``^(a|a)+$``), so every search is
bounded in time (PATTERN_TIMEOUT_S) and a pattern that ran away raises
:class:`PatternTimeout`, located in its file, at once afterwards.  A pattern that backtracks
polynomially (``^[a-z]+[a-z0-9]*@x$``) stays under that limit on each value and can still
cost minutes over thousands of long ones, so a run also bounds the time all its searches
take together (:func:`start_run_budget`): once that is spent, every further search raises
:class:`PatternBudgetSpent` naming its pattern, an error where a check would have run.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import attrs
import jsonschema
import regex
from jsonschema import ValidationError
from jsonschema.validators import Draft202012Validator, extend, validator_for
from referencing._core import Resolver

from conformance.errors import Location, StandardError

__all__ = [
    "PATTERN_TIMEOUT_S",
    "PROBE_TIMEOUT_S",
    "RUN_PATTERN_BUDGET_S",
    "PatternBudget",
    "PatternBudgetSpent",
    "PatternTimeout",
    "RegexValidator",
    "adopt_budget",
    "budget_share",
    "compile_pattern",
    "end_run_budget",
    "find_runaway",
    "make_validator",
    "outside_any_run",
    "pattern_budget",
    "pattern_search",
    "start_run_budget",
]

# One search may take this long; a pattern that needs more backtracks catastrophically.
PATTERN_TIMEOUT_S = 1.0
# Patterns that timed out once fail at once afterwards, so a run or an export pays the
# timeout once per pattern, not once per value.
_RUNAWAY: set[str] = set()


class PatternTimeout(StandardError):
    """A standard's pattern took longer than PATTERN_TIMEOUT_S on one value."""

    def __init__(
        self, pattern: str, length: int, location: Location | None = None, *, earlier: bool = False
    ) -> None:
        self.pattern = pattern
        self.length = length
        self.earlier = earlier
        on = "an earlier value" if earlier else f"a string of {length} characters"
        super().__init__(
            f"pattern={pattern!r} took more than {PATTERN_TIMEOUT_S:g}s on {on} "
            "(catastrophic backtracking); rewrite it without nested or overlapping repetition",
            location,
        )

    def located(self, location: Location | None) -> PatternTimeout:
        """The same error, placed where its pattern is declared."""
        return PatternTimeout(self.pattern, self.length, location, earlier=self.earlier)


# What every search of a run may take together, in seconds (a run with --max-duration D
# gets the smaller of the two).
RUN_PATTERN_BUDGET_S = 30.0


class PatternBudget:
    """Time spent searching, against a limit (None: no limit); shared by threads."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.spent = 0.0
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return float("inf") if self.limit is None else self.limit - self.spent

    def charge(self, seconds: float) -> None:
        with self._lock:
            self.spent += seconds


class PatternBudgetSpent(PatternTimeout):
    """The run's pattern budget is spent: this pattern was not checked on this value."""

    def __init__(
        self, pattern: str, length: int, limit: float, location: Location | None = None
    ) -> None:
        self.pattern = pattern
        self.length = length
        self.earlier = True
        self.limit = limit
        StandardError.__init__(
            self,
            f"pattern={pattern!r} not checked on a string of {length} characters: the run's "
            f"pattern budget of {limit:g}s is spent (its regular-expression searches took "
            "that long in all, as a pattern that backtracks polynomially does on long "
            "values); expected patterns without overlapping repetition",
            location,
        )

    def located(self, location: Location | None) -> PatternTimeout:
        return PatternBudgetSpent(self.pattern, self.length, self.limit, location)


_budget = PatternBudget(None)  # outside a run (lint, library use): searches are bounded one by one


def start_run_budget(max_duration_s: float | None = None) -> PatternBudget:
    """Bound the searches of this process together from now on: RUN_PATTERN_BUDGET_S, or
    the run's own time budget when that is smaller.  A run calls this as it starts."""
    limit = RUN_PATTERN_BUDGET_S
    if max_duration_s is not None:
        limit = max(0.0, min(limit, max_duration_s))
    return _install(PatternBudget(limit))


def end_run_budget() -> None:
    """Searches are bounded one by one only again (what lint and library callers get)."""
    _install(PatternBudget(None))


def budget_share(parts: int) -> float | None:
    """What each of ``parts`` worker processes may spend of what is left (None: no bound)."""
    if _budget.limit is None:
        return None
    return max(0.0, _budget.remaining()) / max(1, parts)


def adopt_budget(limit: float | None) -> None:
    """In a worker process: bound its searches by ``limit`` (from :func:`budget_share`)."""
    _install(PatternBudget(limit))


def _install(budget: PatternBudget) -> PatternBudget:
    global _budget
    _budget = budget
    return budget


@contextmanager
def outside_any_run() -> Iterator[None]:
    """Searches bounded one by one only, inside the block (lint judges a standard, not a
    run: a budget a run spent must not make its patterns look runaway)."""
    previous = _budget
    _install(PatternBudget(None))
    try:
        yield
    finally:
        _install(previous)


def pattern_budget() -> PatternBudget:
    """The budget searches are charged to now."""
    return _budget


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> Any:
    """The compiled ``regex`` pattern; raises ``regex.error`` when it does not compile."""
    return regex.compile(pattern)


def pattern_search(
    pattern: str, text: str, timeout: float | None = None, *, remember: bool = True
) -> bool:
    """Whether ``pattern`` matches somewhere in ``text``, bounded in time.

    Raises :class:`PatternTimeout` (without a location) when the search takes longer than
    ``timeout`` (default PATTERN_TIMEOUT_S), and at once for a pattern that did before.
    ``remember=False`` (generation: Hypothesis replays a failing draw and needs it to fail
    the same way) does not mark the pattern for later calls.
    """
    if pattern in _RUNAWAY:
        raise PatternTimeout(pattern, len(text), earlier=True)
    limit = PATTERN_TIMEOUT_S if timeout is None else timeout
    budget = _budget
    left = budget.remaining() if timeout is None else limit  # a probe has its own bound
    if left <= 0:
        raise PatternBudgetSpent(pattern, len(text), budget.limit or 0.0)
    started = time.perf_counter()
    try:
        return compile_pattern(pattern).search(text, timeout=min(limit, left)) is not None
    except TimeoutError:
        if left < limit:  # the run's budget ran out during this search, not the search's own
            raise PatternBudgetSpent(pattern, len(text), budget.limit or 0.0) from None
        if timeout is None and remember:
            _RUNAWAY.add(pattern)
        raise PatternTimeout(pattern, len(text)) from None
    finally:
        budget.charge(time.perf_counter() - started)


PROBE_TIMEOUT_S = 0.1
_PROBE_LENGTH = 64
_PROBE_CHARS = "a0A _-.中"
# A literal start the probe must get past, e.g. ``x-`` in ``^x-(a|a)+$``.
_LITERAL_PREFIX = re.compile(r"[\w\- :/.]*(?![*+?{])")


@lru_cache(maxsize=1024)
def find_runaway(pattern: str) -> str | None:
    """A short string on which ``pattern`` backtracks for longer than PROBE_TIMEOUT_S.

    Runaway patterns nest or overlap repetitions of the same characters (``(a|a)+``,
    ``(a|aa)+``): a run of one character the pattern accepts, then one it refuses, makes
    them try every way of splitting the run. The characters tried are the pattern's own
    letters and digits and a few common ones, after its literal start. Lint reports what
    this finds; generation refuses such a pattern before drawing anything.
    """
    own = [c for c in pattern if c.isalnum()]
    prefix = _LITERAL_PREFIX.match(pattern.removeprefix("^"))
    starts = dict.fromkeys(["", prefix[0] if prefix else ""])
    for char in list(dict.fromkeys([*own, *_PROBE_CHARS]))[:24]:
        for start in starts:
            for end in ("!", "\x00", ""):
                text: str = start + char * _PROBE_LENGTH + end
                try:
                    pattern_search(pattern, text, timeout=PROBE_TIMEOUT_S)
                except PatternTimeout:
                    return text
                except regex.error:
                    return None  # not a pattern: reported as such elsewhere
    return None


def _find(node: Any, target: Any, pointer: str = "", depth: int = 0) -> str | None:
    """The JSON pointer of ``target`` (by identity) inside ``node``."""
    if node is target:
        return pointer
    if depth > 200:
        return None
    if not isinstance(node, (dict, list)):
        return None
    items: Any = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        if isinstance(value, (dict, list)):
            token = str(key).replace("~", "~0").replace("/", "~1")
            found = _find(value, target, f"{pointer}/{token}", depth + 1)
            if found is not None:
                return found
    return None


def _locate(validator: Any, schema: Any, tokens: tuple[str, ...]) -> Location | None:
    """Where the pattern at ``tokens`` inside ``schema`` is: file, line and pointer."""
    try:
        resolver = validator._resolver
        base = str(getattr(resolver, "_base_uri", ""))
        contents = resolver.lookup(base).contents
        pointer = _find(contents, schema)
        parts = urlsplit(base)
        if pointer is None or parts.scheme != "file":
            return None
        path = Path(unquote(parts.path))
        pointer += "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)
        from conformance.standards._documents import load_document

        return Location(path, load_document(path).line(pointer), pointer)
    except Exception:  # locating is best effort; the message still names the pattern
        return None


def _search_in(validator: Any, schema: Any, pattern: str, text: str, *, prop: bool) -> bool:
    """pattern_search, with the pattern located in its file when it runs away."""
    try:
        return pattern_search(pattern, text)
    except PatternTimeout as exc:
        tokens = ("patternProperties", pattern) if prop else ("pattern",)
        raise exc.located(_locate(validator, schema, tokens)) from None


def _is_valid(errors: Iterator[ValidationError]) -> bool:
    return next(errors, None) is None


def _extras(extras: list[str]) -> tuple[str, str]:
    verb = "was" if len(extras) == 1 else "were"
    return ", ".join(repr(extra) for extra in extras), verb


def _pattern(validator: Any, patrn: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _search_in(
        validator, schema, patrn, instance, prop=False
    ):
        yield ValidationError(f"{instance!r} does not match {patrn!r}")


def _pattern_properties(
    validator: Any, pattern_properties: Mapping[str, Any], instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in pattern_properties.items():
        for key, value in instance.items():
            if _search_in(validator, schema, pattern, key, prop=True):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional(
    validator: Any, instance: Mapping[str, Any], schema: Mapping[str, Any]
) -> list[str]:
    properties = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    return [
        key
        for key in instance
        if key not in properties
        and not any(_search_in(validator, schema, p, key, prop=True) for p in patterns)
    ]


def _additional_properties(
    validator: Any, additional: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    extras = _additional(validator, instance, schema)
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif not additional and extras:
        if "patternProperties" in schema:
            verb = "does" if len(extras) == 1 else "do"
            joined = ", ".join(repr(each) for each in sorted(extras))
            patterns = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
            yield ValidationError(f"{joined} {verb} not match any of the regexes: {patterns}")
        else:
            text, verb = _extras(sorted(extras, key=str))
            yield ValidationError(
                f"Additional properties are not allowed ({text} {verb} unexpected)"
            )


def _evaluated_keys(validator: Any, instance: Mapping[str, Any], schema: Any) -> set[str]:
    """Keys evaluated by ``schema`` and its in-place applicators (mirrors python-jsonschema)."""
    if validator.is_type(schema, "boolean"):
        return set()
    keys: set[str] = set()
    for keyword in ("$ref", "$dynamicRef"):
        ref = schema.get(keyword)
        if ref is not None:
            resolved = validator._resolver.lookup(ref)
            keys |= _evaluated_keys(
                validator.evolve(schema=resolved.contents, _resolver=resolved.resolver),
                instance,
                resolved.contents,
            )
    properties = schema.get("properties")
    if validator.is_type(properties, "object"):
        keys |= properties.keys() & instance.keys()
    for keyword in ("additionalProperties", "unevaluatedProperties"):
        subschema = schema.get(keyword)
        if subschema is None:
            continue
        keys |= {
            key for key, value in instance.items() if _is_valid(validator.descend(value, subschema))
        }
    for pattern in schema.get("patternProperties", {}):
        keys |= {key for key in instance if _search_in(validator, schema, pattern, key, prop=True)}
    for key, subschema in schema.get("dependentSchemas", {}).items():
        if key in instance:
            keys |= _evaluated_keys(validator, instance, subschema)
    for keyword in ("allOf", "oneOf", "anyOf"):
        for subschema in schema.get(keyword, []):
            if _is_valid(validator.descend(instance, subschema)):
                keys |= _evaluated_keys(validator, instance, subschema)
    if "if" in schema:
        if validator.evolve(schema=schema["if"]).is_valid(instance):
            keys |= _evaluated_keys(validator, instance, schema["if"])
            if "then" in schema:
                keys |= _evaluated_keys(validator, instance, schema["then"])
        elif "else" in schema:
            keys |= _evaluated_keys(validator, instance, schema["else"])
    return keys


def _unevaluated_properties(
    validator: Any, unevaluated: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    evaluated = _evaluated_keys(validator, instance, schema)
    bad = [
        key
        for key in instance
        if key not in evaluated
        and not _is_valid(validator.descend(instance[key], unevaluated, path=key, schema_path=key))
    ]
    if not bad:
        return
    text, verb = _extras(sorted(bad, key=str))
    if unevaluated is False:
        yield ValidationError(f"Unevaluated properties are not allowed ({text} {verb} unexpected)")
    else:
        yield ValidationError(
            "Unevaluated properties are not valid under the given schema "
            f"({text} {verb} unevaluated and invalid)"
        )


def _multiple_of(
    validator: Any, divisor: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    # exactly, on the numbers as written (as jsonschema-rs decides, so every path agrees):
    # python-jsonschema divides floats, and finds 19.99 no multiple of 0.01
    if not validator.is_type(instance, "number"):
        return
    try:
        exact = Fraction(repr(instance)) % Fraction(repr(divisor)) == 0
    except (ValueError, TypeError, ZeroDivisionError, OverflowError):  # not a plain number
        yield from _STOCK_MULTIPLE_OF(validator, divisor, instance, schema)
        return
    if not exact:
        yield ValidationError(f"{instance!r} is not a multiple of {divisor}")


_STOCK_MULTIPLE_OF = Draft202012Validator.VALIDATORS["multipleOf"]


RegexValidator: Any = extend(
    Draft202012Validator,
    validators={
        "multipleOf": _multiple_of,
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
        "unevaluatedProperties": _unevaluated_properties,
    },
)


_EVOLVE_FIELDS = [(f.name, f.alias) for f in attrs.fields(RegexValidator) if f.init]


def _evolve(self: Any, **changes: Any) -> Any:
    # python-jsonschema picks the class from a subschema's "$schema" when it descends
    # (through a $ref into a schema file, say); a 2020-12 "$schema" would hand validation
    # back to the stock class and its unbounded, `re`-based patterns. Keep this class.
    schema = changes.setdefault("schema", self.schema)
    cls = validator_for(schema, default=RegexValidator)
    if cls is Draft202012Validator:
        cls = RegexValidator
    for name, alias in _EVOLVE_FIELDS:
        if alias not in changes:
            changes[alias] = getattr(self, name)
    return cls(**changes)


RegexValidator.evolve = _evolve

_stock_descend = RegexValidator.descend


def _descend(
    self: Any,
    instance: Any,
    schema: Any,
    path: Any = None,
    schema_path: Any = None,
    resolver: Any = None,
) -> Iterator[Any]:
    errors = _stock_descend(self, instance, schema, path, schema_path, resolver)
    return errors if schema is not False else _placed(errors, path, schema_path)


def _placed(errors: Iterator[Any], path: Any, schema_path: Any) -> Iterator[Any]:
    # python-jsonschema yields a false schema's error without the member or item it was
    # reached through (its path and schema path stop at the keyword, "properties" say):
    # added here, as for any other subschema's errors
    for error in errors:
        if path is not None:
            error.path.appendleft(path)
        if schema_path is not None:
            error.schema_path.appendleft(schema_path)
        yield error


RegexValidator.descend = _descend


def error_keyword(error: Any) -> str:
    """The keyword a jsonschema error is about: ``false`` for a false schema (python-jsonschema
    names none there: its ``validator`` is None)."""
    return "false" if error.validator is None else str(error.validator)


def make_validator(
    schema: Mapping[str, Any] | bool,
    resolver: Resolver[Any],
    format_checker: jsonschema.FormatChecker | None,
) -> Any:
    """A validator for ``schema`` whose ``$ref``s resolve through ``resolver``."""
    return RegexValidator(schema, format_checker=format_checker, _resolver=resolver)
