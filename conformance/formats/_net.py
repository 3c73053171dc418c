"""Internet address and name formats: ipv4, ipv6, hostname, as JSON Schema 2020-12 means them.

- ``ipv4``: RFC 2673 section 3.2 dotted-quad, four decimal octets 0-255, no leading zeros
  (``010`` is octal to some parsers and decimal to others), ASCII digits only.
- ``ipv6``: RFC 4291 section 2.2 text forms, ``::`` compression and an embedded IPv4 tail
  included; no zone identifier (``%eth0``), prefix length or brackets.
- ``hostname``: RFC 1123 section 2.1 names: dot-separated labels of 1-63 letters, digits and
  inner hyphens, 253 characters at most, no trailing dot (the JSON Schema Test Suite refuses
  ``example.``). A label with ``--`` in positions 3 and 4 must be an IDNA A-label
  (``xn--``...) that decodes to a valid IDNA 2008 U-label (RFC 5890, RFC 5891 section
  4.2.3.1), as the Test Suite asks.

The regular expressions are plain ECMA-262 as well as Python ``re`` syntax: the export fast
path (``conformance.exports._fast``) hands the same text to jsonschema-rs.
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hypothesis import strategies as st
else:
    from conformance.formats._strategies import st

__all__ = [
    "HOSTNAME_LDH_REGEX",
    "IPV4_REGEX",
    "IPV6_REGEX",
    "check_hostname",
    "check_ipv4",
    "check_ipv6",
    "hostname_invalid",
    "hostname_valid",
    "ipv4_invalid",
    "ipv4_valid",
    "ipv6_invalid",
    "ipv6_valid",
]

_DIGITS = "0123456789"
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_ALNUM = _LOWER + _LOWER.upper() + _DIGITS
_HEX = "0123456789abcdefABCDEF"

# --- ipv4 -------------------------------------------------------------------------------

_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4_REGEX = f"{_OCTET}(?:\\.{_OCTET}){{3}}"
"""The dotted-quad, unanchored (ECMA-262 and Python)."""
_IPV4 = re.compile(IPV4_REGEX)


def check_ipv4(value: str) -> str | None:
    """RFC 2673 dotted-quad: four decimal octets 0-255 without leading zeros."""
    if _IPV4.fullmatch(value):
        return None
    parts = value.split(".")
    if len(parts) != 4:
        return f"expected 4 dot-separated decimal octets, got {len(parts)} part(s)"
    for number, part in enumerate(parts, 1):
        if not part:
            return f"octet {number} is empty"
        if not (part.isascii() and part.isdigit()):
            return f"octet {number} {part!r} is not ASCII decimal digits"
        if len(part) > 1 and part[0] == "0":
            return f"octet {number} {part!r} has a leading zero"
        if len(part) > 3 or int(part) > 255:
            return f"octet {number} {part!r} is above 255"
    raise AssertionError(f"unreachable: {value!r}")  # pragma: no cover


def _octets() -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(0, 255), min_size=4, max_size=4)


def ipv4_valid() -> st.SearchStrategy[str]:
    return st.one_of(
        _octets().map(lambda o: ".".join(map(str, o))),
        st.sampled_from(["0.0.0.0", "255.255.255.255", "10.0.0.1", "192.168.1.100"]),  # noqa: S104
    )


def _replace_octet(octets: list[int], index: int, text: str) -> str:
    parts = [str(o) for o in octets]
    parts[index] = text
    return ".".join(parts)


def ipv4_invalid() -> st.SearchStrategy[str]:
    octets, index = _octets(), st.integers(0, 3)
    valid = ipv4_valid()
    return st.one_of(
        st.tuples(octets, index, st.integers(256, 999)).map(
            lambda t: _replace_octet(t[0], t[1], str(t[2]))
        ),
        st.tuples(octets, index, st.integers(0, 99)).map(
            lambda t: _replace_octet(t[0], t[1], f"0{t[2]}")
        ),
        st.tuples(octets, index).map(lambda t: _replace_octet(t[0], t[1], "")),
        st.tuples(octets, index, st.sampled_from(["0x7f", "a", "+1", "-1", "1e2", " 1"])).map(
            lambda t: _replace_octet(*t)
        ),
        valid.map(lambda v: v.rsplit(".", 1)[0]),  # three parts
        st.tuples(valid, st.integers(0, 255)).map(lambda t: f"{t[0]}.{t[1]}"),  # five
        valid.map(lambda v: v + "."),
        valid.map(lambda v: "." + v),
        valid.map(lambda v: v + "/24"),
        valid.map(lambda v: v + ":80"),
        valid.map(lambda v: v + "\n"),
        valid.map(lambda v: "::ffff:" + v),
        # full-width digits look right in Chinese documents but are not ASCII digits
        valid.map(lambda v: "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in v)),
        st.integers(0, 2**32 - 1).map(str),  # an address as one integer
    )


# --- ipv6 -------------------------------------------------------------------------------

_H16 = "[0-9A-Fa-f]{1,4}"
_LS32 = f"(?:{_H16}:{_H16}|{IPV4_REGEX})"
# RFC 4291 section 2.2 as RFC 3986 section 3.2.2 writes it: one alternative per place of '::'.
IPV6_REGEX = (
    "(?:"
    f"(?:{_H16}:){{6}}{_LS32}"
    f"|::(?:{_H16}:){{5}}{_LS32}"
    f"|(?:{_H16})?::(?:{_H16}:){{4}}{_LS32}"
    f"|(?:(?:{_H16}:){{0,1}}{_H16})?::(?:{_H16}:){{3}}{_LS32}"
    f"|(?:(?:{_H16}:){{0,2}}{_H16})?::(?:{_H16}:){{2}}{_LS32}"
    f"|(?:(?:{_H16}:){{0,3}}{_H16})?::{_H16}:{_LS32}"
    f"|(?:(?:{_H16}:){{0,4}}{_H16})?::{_LS32}"
    f"|(?:(?:{_H16}:){{0,5}}{_H16})?::{_H16}"
    f"|(?:(?:{_H16}:){{0,6}}{_H16})?::"
    ")"
)
"""RFC 4291 text forms, unanchored (ECMA-262 and Python)."""
_IPV6 = re.compile(IPV6_REGEX)


def check_ipv6(value: str) -> str | None:
    """RFC 4291 text form, with '::' and an embedded IPv4 tail; no zone, prefix or brackets."""
    if _IPV6.fullmatch(value):
        return None
    if "%" in value:
        return "a zone identifier ('%') is not part of an IPv6 address"
    if "/" in value:
        return "a prefix length ('/') is not part of an IPv6 address"
    if not value.isascii():
        bad = next(c for c in value if not c.isascii())
        return f"character {bad!r} is not ASCII"
    try:
        ipaddress.IPv6Address(value)
    except ValueError as exc:
        return str(exc)
    return "not an RFC 4291 IPv6 address"  # pragma: no cover - the pattern is exact


def _groups() -> st.SearchStrategy[list[str]]:
    group = st.one_of(st.text(alphabet=_HEX, min_size=1, max_size=4), st.just("0"))
    return st.lists(group, min_size=8, max_size=8)


def _compressed(groups: list[str], start: int, length: int) -> str:
    """The address with groups ``start``..``start+length`` written as '::'."""
    stop = min(start + length, len(groups))
    return ":".join(groups[:start]) + "::" + ":".join(groups[stop:])


def _with_ipv4(groups: list[str], octets: list[int]) -> list[str]:
    return [*groups[:6], ".".join(map(str, octets))]


def ipv6_valid() -> st.SearchStrategy[str]:
    groups = _groups()
    full = groups.map(":".join)
    compressed = st.tuples(groups, st.integers(0, 7), st.integers(1, 8)).map(
        lambda t: _compressed(*t)
    )
    mixed = st.tuples(groups, _octets()).map(lambda t: ":".join(_with_ipv4(*t)))
    mixed_compressed = st.tuples(groups, _octets(), st.integers(0, 5), st.integers(1, 6)).map(
        lambda t: _compressed(_with_ipv4(t[0], t[1]), min(t[2], 5), t[3])
    )
    known = st.sampled_from(["::", "::1", "fe80::1", "2001:db8::8:800:200c:417a", "::ffff:1.2.3.4"])
    return st.one_of(full, compressed, mixed, mixed_compressed, known)


def ipv6_invalid() -> st.SearchStrategy[str]:
    groups, valid = _groups(), ipv6_valid()
    return st.one_of(
        groups.map(lambda g: ":".join(g[:7]) + ":\uff11"),  # a full-width digit one
        groups.map(lambda g: ":".join(g[:7])),  # seven groups, no '::'
        st.tuples(groups, st.text(alphabet=_HEX, min_size=1, max_size=4)).map(
            lambda t: ":".join([*t[0], t[1]])  # nine groups
        ),
        st.tuples(groups, st.integers(0, 7)).map(
            lambda t: ":".join(
                g if i != t[1] else g + "0000"[: 5 - len(g)] for i, g in enumerate(t[0])
            )
        ),  # a group of 5 digits
        st.tuples(groups, st.integers(0, 7), st.sampled_from("gGxz_ ")).map(
            lambda t: ":".join(g if i != t[1] else g[:-1] + t[2] for i, g in enumerate(t[0]))
        ),
        st.tuples(groups, st.integers(1, 3), st.integers(4, 6)).map(
            lambda t: ":".join(t[0][: t[1]]) + "::" + ":".join(t[0][t[1] : t[2]]) + "::1"
        ),  # '::' twice
        groups.map(lambda g: ":".join(g[:4]) + ":::" + g[7]),
        groups.map(lambda g: ":" + ":".join(g[1:])),  # a lone leading colon
        groups.map(lambda g: ":".join(g[:7]) + ":"),  # a lone trailing colon
        st.tuples(groups, st.integers(256, 999)).map(
            lambda t: ":".join(t[0][:6]) + f":1.2.3.{t[1]}"
        ),
        groups.map(lambda g: ":".join(g[:6]) + ":1.2.3.04"),  # a leading zero
        groups.map(lambda g: ":".join(g[:6]) + ":1.2.3"),
        valid.map(lambda v: v + "%eth0"),
        valid.map(lambda v: v + "/64"),
        valid.map(lambda v: f"[{v}]"),
        valid.map(lambda v: " " + v),
        valid.map(lambda v: v + "\n"),
        ipv4_valid(),
    )


# --- hostname ---------------------------------------------------------------------------

_LDH_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_LABEL = re.compile(_LDH_LABEL)
# A label without '--' in positions 3 and 4 (those are A-labels, or reserved: RFC 5891).
_PLAIN_LABEL = f"(?![A-Za-z0-9-]{{2}}--){_LDH_LABEL}"
HOSTNAME_LDH_REGEX = f"(?=[A-Za-z0-9.-]{{1,253}}$){_PLAIN_LABEL}(?:\\.{_PLAIN_LABEL})*"
"""The hostnames without an A-label, unanchored (ECMA-262 and Python)."""
_MAX_HOSTNAME = 253


@lru_cache(maxsize=4096)  # a name's A-labels repeat across records: decode each once
def _a_label_problem(label: str) -> str | None:
    """None when ``label`` (``xn--``...) is the A-label of a valid IDNA 2008 U-label."""
    import idna  # its tables cost time; only A-labels need them

    try:
        u_label = idna.ulabel(label)
        round_trip = idna.alabel(u_label).decode("ascii")
    except (UnicodeError, ValueError) as exc:
        return f"label {label!r} is not a valid IDNA A-label ({exc})"
    if round_trip != label.lower():
        return f"label {label!r} is not the A-label of {u_label!r} ({round_trip!r} is)"
    return None


def check_hostname(value: str) -> str | None:
    """RFC 1123 host name: labels of 1-63 letters, digits and inner hyphens, 253 characters
    at most, no trailing dot; '--' in positions 3 and 4 only in a valid A-label."""
    if not value:
        return "empty"
    if not value.isascii():
        bad = next(c for c in value if not c.isascii())
        return (
            f"character {bad!r} is not ASCII (an internationalized name is written as xn-- labels)"
        )
    if len(value) > _MAX_HOSTNAME:
        return f"{len(value)} characters, at most {_MAX_HOSTNAME} allowed"
    for number, label in enumerate(value.split("."), 1):
        if not label:
            return f"label {number} is empty (a leading, trailing or doubled '.')"
        if len(label) > 63:
            return f"label {number} has {len(label)} characters, at most 63 allowed"
        if not _LABEL.fullmatch(label):
            return f"label {label!r} is not letters, digits and inner hyphens"
        if label[2:4] == "--":
            if label[:4].lower() != "xn--":
                return f"label {label!r} has '--' in positions 3 and 4 but is no A-label (xn--)"
            problem = _a_label_problem(label)
            if problem:
                return problem
    return None


@cache
def _a_labels() -> tuple[str, ...]:
    import idna

    # 中国, 政府, 公司, 网络, 浙江: the A-labels Chinese government names use
    return tuple(idna.alabel(u).decode("ascii") for u in ("中国", "政府", "公司", "网络", "浙江"))


def _ldh_label() -> st.SearchStrategy[str]:
    def fix(label: str) -> str:
        return label[:3] + "a" + label[4:] if label[2:4] == "--" else label

    return st.one_of(
        st.text(alphabet=_ALNUM, min_size=1, max_size=1),
        st.tuples(
            st.sampled_from(_ALNUM),
            st.text(alphabet=_ALNUM + "-", max_size=61),
            st.sampled_from(_ALNUM),
        )
        .map("".join)
        .map(fix),
    )


def _fit(labels: list[str]) -> str:
    while len(".".join(labels)) > _MAX_HOSTNAME:
        labels = labels[1:]
    return ".".join(labels)


def hostname_valid() -> st.SearchStrategy[str]:
    label = st.one_of(_ldh_label(), _ldh_label(), st.sampled_from(_a_labels()))
    known = st.sampled_from(["gov.cn", "www.gov.cn", "zj.gov.cn", "localhost", "a--b.com"])
    return st.one_of(st.lists(label, min_size=1, max_size=5).map(_fit), known)


def hostname_invalid() -> st.SearchStrategy[str]:
    valid = st.lists(_ldh_label(), min_size=1, max_size=3).map(_fit)
    return st.one_of(
        valid.map(lambda v: v + "．cn"),  # full-width full stop (U+FF0E)
        valid.map(lambda v: "政府." + v),  # a U-label is an idn-hostname, not a hostname
        valid.map(lambda v: v + "."),
        valid.map(lambda v: "." + v),
        st.tuples(valid, valid).map(lambda t: f"{t[0]}..{t[1]}"),
        valid.map(lambda v: "-" + v),
        valid.map(lambda v: v + "-"),
        st.tuples(valid, valid).map(lambda t: f"{t[0]}_{t[1]}"),
        st.tuples(valid, valid).map(lambda t: f"{t[0]} {t[1]}"),
        valid.map(lambda v: ("a" * 64) + "." + v),
        st.lists(_ldh_label(), min_size=5, max_size=8).map(
            lambda labels: ".".join(label.ljust(63, "a") for label in labels)
        ),  # more than 253 characters
        st.sampled_from(["ab--cd.com", "xn--X", "xn--a.gov.cn", "XN--aa---o47jg78q"]),
        st.just(""),
        valid.map(lambda v: v + "\n"),
    )
