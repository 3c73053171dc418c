"""The format registry: one definition per JSON Schema ``format`` serves checking and generation.

Each :class:`Format` pairs a ``check`` function (``None`` when valid, else a short reason) with
Hypothesis strategies of valid and near-valid invalid values built to agree with it.
:func:`format_checker` plugs exactly these formats into python-jsonschema, so a validation
error says why a value failed (for example which check character was expected).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING

import jsonschema
from jsonschema.exceptions import FormatError

from conformance.errors import ConformanceError
from conformance.formats import _cn, _common, _net

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["FORMATS", "Format", "UnknownFormat", "format_checker", "get_format"]


@dataclass(frozen=True)
class Format:
    """A named string format: how to check it and how to generate values on both sides of it."""

    name: str
    doc: str
    check: Callable[[str], str | None]
    valid: Callable[[], SearchStrategy[str]]
    invalid: Callable[[], SearchStrategy[str]]


class UnknownFormat(ConformanceError, KeyError):
    """A format name that the registry does not define."""

    def __str__(self) -> str:
        # KeyError would repr() the message, adding quotes around the whole sentence.
        return str(self.args[0]) if self.args else ""


_ALL = (
    Format(
        "cn-id-number",
        "GB 11643 citizen identity number: 18 characters, MOD 11-2 check character.",
        _cn.check_id_number,
        _cn.id_number_valid,
        _cn.id_number_invalid,
    ),
    Format(
        "cn-uscc",
        "GB 32100 unified social credit code: 18 characters, MOD 31 check character.",
        _cn.check_uscc,
        _cn.uscc_valid,
        _cn.uscc_invalid,
    ),
    Format(
        "cn-division-code",
        "GB/T 2260 administrative division code: 6 digits with a provincial-level prefix.",
        _cn.check_division_code,
        _cn.division_code_valid,
        _cn.division_code_invalid,
    ),
    Format(
        "cn-mobile",
        "Mainland China mobile number: 11 digits, 1 then 3-9.",
        _cn.check_mobile,
        _cn.mobile_valid,
        _cn.mobile_invalid,
    ),
    Format(
        "cn-postcode",
        "Chinese postal code: 6 digits, first digit 0-8.",
        _cn.check_postcode,
        _cn.postcode_valid,
        _cn.postcode_invalid,
    ),
    Format(
        "date",
        "RFC 3339 full-date YYYY-MM-DD that exists in the Gregorian calendar.",
        _common.check_date,
        _common.date_valid,
        _common.date_invalid,
    ),
    Format(
        "date-time",
        "RFC 3339 date-time with 'T', seconds and a required UTC offset.",
        _common.check_date_time,
        _common.date_time_valid,
        _common.date_time_invalid,
    ),
    Format(
        "duration",
        "RFC 3339 Appendix A duration: P, then Y-M-D and T H-M-S in order without gaps, "
        "or weeks alone; whole numbers only.",
        _common.check_duration,
        _common.duration_valid,
        _common.duration_invalid,
    ),
    Format(
        "email",
        "RFC 5321 mailbox as RFC 6531 internationalizes it: a dot-atom or quoted local part, "
        "'@', a fully-qualified domain name or an address literal.",
        _common.check_email,
        _common.email_valid,
        _common.email_invalid,
    ),
    Format(
        "hostname",
        "RFC 1123 host name: labels of 1-63 letters, digits and inner hyphens, at most 253 "
        "characters, no trailing dot; an xn-- label must be a valid IDNA A-label.",
        _net.check_hostname,
        _net.hostname_valid,
        _net.hostname_invalid,
    ),
    Format(
        "ipv4",
        "RFC 2673 dotted-quad IPv4 address: four decimal octets 0-255, no leading zeros.",
        _net.check_ipv4,
        _net.ipv4_valid,
        _net.ipv4_invalid,
    ),
    Format(
        "ipv6",
        "RFC 4291 IPv6 address text, '::' compression and an IPv4 tail allowed; no zone id.",
        _net.check_ipv6,
        _net.ipv6_valid,
        _net.ipv6_invalid,
    ),
    Format(
        "uri",
        "RFC 3986 URI with a scheme; relative references are rejected.",
        _common.check_uri,
        _common.uri_valid,
        _common.uri_invalid,
    ),
    Format(
        "uuid",
        "RFC 9562 UUID string: 8-4-4-4-12 hexadecimal digits with hyphens, any case.",
        _common.check_uuid,
        _common.uuid_valid,
        _common.uuid_invalid,
    ),
)

FORMATS: Mapping[str, Format] = MappingProxyType({f.name: f for f in _ALL})


def get_format(name: str) -> Format:
    """The registered format called ``name``; raises :class:`UnknownFormat` otherwise."""
    try:
        return FORMATS[name]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise UnknownFormat(f"unknown format name={name!r}; known formats: {known}") from None


class _ReasonFormatChecker(jsonschema.FormatChecker):  # type: ignore[misc]
    """A FormatChecker whose errors carry the format's reason, not just 'is not a ...'."""

    def __init__(self) -> None:
        super().__init__(formats=())
        for fmt in _ALL:
            self.checkers[fmt.name] = (_conforms(fmt.check), ())

    def check(self, instance: object, format: str) -> None:
        fmt = FORMATS.get(format)
        # Non-strings pass: a format constrains strings only, as JSON Schema specifies.
        if fmt is None or not isinstance(instance, str):
            return
        reason = fmt.check(instance)
        if reason is not None:
            raise FormatError(f"{instance!r} is not a valid {format!r}: {reason}")


def _conforms(check: Callable[[str], str | None]) -> Callable[[object], bool]:
    return lambda instance: not isinstance(instance, str) or check(instance) is None


@cache
def format_checker() -> jsonschema.FormatChecker:
    """The shared FormatChecker that enforces exactly the formats in :data:`FORMATS`."""
    return _ReasonFormatChecker()
