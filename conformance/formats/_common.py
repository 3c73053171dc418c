"""General-purpose formats: date, date-time, duration, email, uri, uuid.

Stricter than python-jsonschema's defaults (which only look for '@' in an email and skip
date-time and uri without optional extras), and ASCII-only: non-ASCII digits never count.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote

from conformance.formats._net import check_ipv6

if TYPE_CHECKING:
    from hypothesis import strategies as st
else:
    from conformance.formats._strategies import st

__all__ = [
    "check_date",
    "check_date_time",
    "check_duration",
    "check_email",
    "check_uri",
    "check_uuid",
    "date_invalid",
    "date_time_invalid",
    "date_time_valid",
    "date_valid",
    "duration_invalid",
    "duration_valid",
    "email_invalid",
    "email_valid",
    "uri_invalid",
    "uri_valid",
    "uuid_invalid",
    "uuid_valid",
]

_DIGITS = "0123456789"
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_ALNUM = _LOWER + _LOWER.upper() + _DIGITS


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _replace_at(value: str, index: int, char: str) -> str:
    return value[:index] + char + value[index + 1 :]


# --- date -------------------------------------------------------------------------------

_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def _calendar_problem(year: int, month: int, day: int, text: str) -> str | None:
    if 1 <= month <= 12 and 1 <= day <= _days_in_month(year, month):
        return None
    return f"no such date {text}"


def check_date(value: str) -> str | None:
    """RFC 3339 full-date: YYYY-MM-DD, a real proleptic Gregorian date."""
    m = _DATE.fullmatch(value)
    if m is None:
        return "expected an RFC 3339 full-date YYYY-MM-DD"
    year, month, day = (int(g) for g in m.groups())
    return _calendar_problem(year, month, day, value)


def date_valid() -> st.SearchStrategy[str]:
    # Mostly dates records really hold, sometimes any year 0001-9999.
    recent = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
    return st.one_of(recent, recent, st.dates()).map(lambda d: d.isoformat())


def date_invalid() -> st.SearchStrategy[str]:
    year = st.integers(1, 9999)
    valid = date_valid()
    past_month_end = st.tuples(year, st.integers(1, 12)).map(
        lambda t: f"{t[0]:04d}-{t[1]:02d}-{_days_in_month(t[0], t[1]) + 1:02d}"
    )
    non_leap = st.integers(1, 2499).map(lambda n: n * 4 + 1)  # years n*4+1 are never leap
    return st.one_of(
        past_month_end,
        non_leap.map(lambda y: f"{y:04d}-02-29"),
        st.tuples(year, st.sampled_from([0, 13, 20, 99]), st.integers(1, 28)).map(
            lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}"
        ),
        st.tuples(year, st.integers(1, 12)).map(lambda t: f"{t[0]:04d}-{t[1]:02d}-00"),
        st.tuples(year, st.integers(1, 9), st.integers(1, 28)).map(
            lambda t: f"{t[0]:04d}-{t[1]}-{t[2]:02d}"  # month not zero-padded
        ),
        valid.map(lambda v: v.replace("-", "")),
        st.tuples(valid, st.sampled_from("/. ")).map(lambda t: t[0].replace("-", t[1])),
        valid.map(lambda v: v[2:]),
        valid.map(lambda v: "1" + v),
        valid.map(lambda v: v + "T00:00:00Z"),
        valid.map(lambda v: v[:-1] + chr(0xFF10 + int(v[-1]))),
    )


# --- date-time --------------------------------------------------------------------------

_DATE_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)?"
    r"(?:[Zz]|([+-])([0-9]{2}):([0-9]{2}))"
)
# Used only to say what is wrong once the strict pattern has failed.
_DATE_TIME_LOOSE = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})(.)([0-9]{2}:[0-9]{2})(:[0-9]{2})?(\.[0-9]+)?(.*)", re.DOTALL
)
_OFFSET = re.compile(r"[Zz]|[+-][0-9]{2}:[0-9]{2}")


def _date_time_shape_problem(value: str) -> str:
    m = _DATE_TIME_LOOSE.fullmatch(value)
    generic = "expected an RFC 3339 date-time YYYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm)"
    if m is None:
        return generic
    _, sep, _, seconds, _, offset = m.groups()
    if sep not in "Tt":
        return f"date and time are separated by {sep!r}, expected 'T'"
    if seconds is None:
        return "seconds are missing, expected hh:mm:ss"
    if offset == "":
        return "no UTC offset, expected 'Z' or +hh:mm / -hh:mm"
    if not _OFFSET.fullmatch(offset):
        return f"offset {offset!r} is not 'Z' or +hh:mm / -hh:mm"
    return generic


def check_date_time(value: str) -> str | None:
    """RFC 3339 date-time with a required offset.

    A leap second (ss = 60) is accepted on any date, but only when the time converted to
    UTC is 23:59:60: leap seconds are announced only months ahead, so no fixed table applies.
    """
    m = _DATE_TIME.fullmatch(value)
    if m is None:
        return _date_time_shape_problem(value)
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    sign, off_h, off_m = m.group(7), m.group(8), m.group(9)
    problem = _calendar_problem(year, month, day, value[:10])
    if problem:
        return problem
    if hour > 23:
        return f"hour {hour:02d} is out of range 00-23"
    if minute > 59:
        return f"minute {minute:02d} is out of range 00-59"
    if second > 60:
        return f"second {second:02d} is out of range 00-60"
    offset = 0
    if sign is not None:
        if int(off_h) > 23 or int(off_m) > 59:
            return f"offset {sign}{off_h}:{off_m} is out of range (hours 00-23, minutes 00-59)"
        offset = (int(off_h) * 60 + int(off_m)) * (1 if sign == "+" else -1)
    if second == 60 and (hour * 60 + minute - offset) % 1440 != 23 * 60 + 59:
        return "second 60 (a leap second) is only allowed at 23:59:60 UTC"
    return None


def _fraction() -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(""), st.text(alphabet=_DIGITS, min_size=1, max_size=9).map(lambda f: "." + f)
    )


def _offset_minutes() -> st.SearchStrategy[int]:
    # Whole-hour offsets are the norm (China is +08:00); odd ones exist (+05:45, +00:20).
    return st.one_of(
        st.integers(-12, 14).map(lambda h: h * 60),
        st.integers(-(23 * 60 + 59), 23 * 60 + 59),
    )


def _offset_text(minutes: int, zulu: str) -> str:
    if minutes == 0 and zulu:
        return zulu
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _date_time_text(
    day: str, sep: str, hms: tuple[int, int, int], fraction: str, offset: int, zulu: str
) -> str:
    h, m, s = hms
    return f"{day}{sep}{h:02d}:{m:02d}:{s:02d}{fraction}{_offset_text(offset, zulu)}"


def _leap_second(offset: int) -> tuple[int, int, int]:
    local = (23 * 60 + 59 + offset) % 1440
    return local // 60, local % 60, 60


def date_time_valid() -> st.SearchStrategy[str]:
    sep = st.sampled_from("TTTt")
    zulu = st.sampled_from(["Z", "Z", "z", ""])
    ordinary = st.tuples(st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))
    offset = _offset_minutes()
    plain = st.tuples(date_valid(), sep, ordinary, _fraction(), offset, zulu)
    leap = st.tuples(date_valid(), sep, offset, _fraction(), zulu).map(
        lambda t: (t[0], t[1], _leap_second(t[2]), t[3], t[2], t[4])
    )
    # A leap second is a rare edge case: one draw in LEAP_SECOND_ONE_IN, not one in two,
    # so that a candidate refusing it (its own advisory) does not hide everything else.
    rare = st.integers(1, LEAP_SECOND_ONE_IN).map(lambda n: n == LEAP_SECOND_ONE_IN)
    return rare.flatmap(lambda is_leap: leap if is_leap else plain).map(
        lambda t: _date_time_text(*t)
    )


LEAP_SECOND_ONE_IN = 32


def date_time_invalid() -> st.SearchStrategy[str]:
    valid = date_time_valid()
    day = date_valid()
    hms = st.tuples(st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))
    offset = _offset_minutes()

    def build(d: str, t: tuple[int, int, int], off: int, sep: str = "T", frac: str = "") -> str:
        return _date_time_text(d, sep, t, frac, off, "Z")

    return st.one_of(
        # The classic defect: a space separator, as many databases print timestamps.
        st.tuples(day, hms, offset).map(lambda t: build(*t, sep=" ")),
        st.tuples(day, hms).map(lambda t: build(*t, 0)[:19]),  # no offset
        st.tuples(day, hms, offset).map(
            lambda t: f"{t[0]}T{t[1][0]:02d}:{t[1][1]:02d}{_offset_text(t[2], 'Z')}"
        ),
        st.tuples(day, st.integers(24, 99), offset).map(lambda t: build(t[0], (t[1], 0, 0), t[2])),
        st.tuples(day, st.integers(60, 99), offset).map(lambda t: build(t[0], (0, t[1], 0), t[2])),
        st.tuples(day, st.integers(61, 99), offset).map(lambda t: build(t[0], (12, 0, t[1]), t[2])),
        # Leap second one minute off 23:59 UTC.
        st.tuples(day, offset).map(lambda t: build(t[0], (*_leap_second(t[1] + 1)[:2], 60), t[1])),
        st.tuples(date_invalid(), hms).map(lambda t: f"{t[0]}T{t[1][0]:02d}:00:00Z"),
        st.tuples(day, hms, st.integers(24, 99)).map(
            lambda t: build(t[0], t[1], 0)[:19] + f"+{t[2]:02d}:00"
        ),
        st.tuples(day, hms, st.integers(60, 99)).map(
            lambda t: build(t[0], t[1], 0)[:19] + f"-08:{t[2]:02d}"
        ),
        st.tuples(day, hms).map(lambda t: build(*t, 480)[:19] + "+0800"),
        st.tuples(day, hms).map(lambda t: build(*t, 0)[:19] + ",5Z"),
        valid.map(lambda v: v + "\n"),
    )


# --- email ------------------------------------------------------------------------------

_ATEXT = _ALNUM + "!#$%&'*+/=?^_`{|}~-"
# RFC 6531 adds UTF8-non-ascii to atext and qtextSMTP: Unicode scalar values past U+007F.
_NON_ASCII = "\u0080-\ud7ff\ue000-\U0010ffff"
_ATOM_CHAR = f"[{re.escape(_ATEXT)}{_NON_ASCII}]"
_LOCAL = re.compile(rf"{_ATOM_CHAR}+(?:\.{_ATOM_CHAR}+)*")
# RFC 5321 Quoted-string: qtextSMTP (32-33, 35-91, 93-126) or a quoted-pair (\ then 32-126).
_QUOTED = re.compile(rf'"(?:[\x20\x21\x23-\x5b\x5d-\x7e{_NON_ASCII}]|\\[\x20-\x7e])*"')
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_SNUM = re.compile(r"[0-9]{1,3}")
_LDH_TAG = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
_DCONTENT = re.compile(r"[\x21-\x5a\x5e-\x7e]+")


def _local_problem(local: str) -> str | None:
    if not local:
        return "the local part before '@' is empty"
    size = len(local.encode("utf-8", "surrogatepass"))
    if size > 64:
        return f"the local part has {size} octets, at most 64 allowed"
    if _LOCAL.fullmatch(local) or _QUOTED.fullmatch(local):
        return None
    if local.startswith('"'):
        return "the quoted local part is not a Quoted-string (RFC 5321 section 4.1.2)"
    if local.startswith(".") or local.endswith("."):
        return "the local part starts or ends with '.'"
    if ".." in local:
        return "the local part contains '..'"
    bad = next((c for c in local if c != "." and not re.fullmatch(_ATOM_CHAR, c)), "?")
    return f"character {bad!r} is not allowed in the local part (unless it is quoted)"


def _address_literal_problem(literal: str) -> str | None:
    """RFC 5321 section 4.1.3: [IPv4], [IPv6:address] or [tag:content]."""
    inner = literal[1:-1] if literal.endswith("]") else None
    if inner is None:
        return "the address literal has no closing ']'"
    if inner.startswith("IPv6:"):
        address = inner[5:]
        if check_ipv6(address) is not None:
            return f"{address!r} is not an IPv6 address (no zone or prefix allowed)"
        return None
    if ":" in inner:
        tag, _, content = inner.partition(":")
        if not _LDH_TAG.fullmatch(tag) or not _DCONTENT.fullmatch(content):
            return f"[{inner}] is not a general address literal (tag:content)"
        return None
    parts = inner.split(".")
    if len(parts) != 4 or not all(_SNUM.fullmatch(p) and int(p) <= 255 for p in parts):
        return f"[{inner}] is not an IPv4 address literal (four numbers 0-255)"
    return None


@lru_cache(maxsize=4096)  # mailboxes share domains: IDNA-encode each once
def _domain_problem(domain: str) -> str | None:
    if not domain:
        return "the domain after '@' is empty"
    if domain.startswith("["):
        return _address_literal_problem(domain)
    try:  # RFC 6531: U-labels, checked as their A-labels
        ascii_domain = domain if domain.isascii() else domain.encode("idna").decode("ascii")
    except UnicodeError:
        return f"the domain {domain!r} is not a valid internationalized domain name"
    if len(ascii_domain) > 253:
        return f"the domain has {len(ascii_domain)} characters, at most 253 allowed"
    labels = ascii_domain.split(".")
    if len(labels) < 2:  # RFC 5321 section 2.3.5: fully-qualified domain names only
        return f"the domain {domain!r} has no dot"
    for label in labels:
        if not _LABEL.fullmatch(label):
            return f"domain label {label!r} is not 1-63 letters, digits and inner hyphens"
    if labels[-1].isdigit():
        return f"the top-level label {labels[-1]!r} is numeric, expected a domain name"
    return None


def check_email(value: str) -> str | None:
    """An RFC 5321 mailbox, internationalized as RFC 6531 allows: a dot-atom or quoted local
    part, '@', and a fully-qualified domain name (U-labels allowed) or an address literal
    ([IPv4], [IPv6:...], [tag:content])."""
    if "@" not in value:
        return "no '@'"
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > 254:
        return f"the address has {size} octets, at most 254 allowed"
    if value.startswith('"'):  # a quoted local part may hold '@'
        match = _QUOTED.match(value)
        if match is None or value[match.end() : match.end() + 1] != "@":
            return "the quoted local part is not a Quoted-string followed by '@'"
        local, domain = value[: match.end()], value[match.end() + 1 :]
        if "@" in domain:
            return "more than one '@'"
    else:
        local, _, domain = value.partition("@")
        if "@" in domain:
            return "more than one '@'"
    return _local_problem(local) or _domain_problem(domain)


def _label() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(alphabet=_ALNUM, min_size=1, max_size=1),
        st.tuples(
            st.sampled_from(_ALNUM),
            st.text(alphabet=_ALNUM + "-", max_size=14),
            st.sampled_from(_ALNUM),
        ).map("".join),
    )


def _domain() -> st.SearchStrategy[str]:
    tld = st.text(alphabet=_LOWER, min_size=2, max_size=6)
    generated = st.tuples(st.lists(_label(), min_size=1, max_size=3), tld).map(
        lambda t: ".".join([*t[0], t[1]])
    )
    known = st.sampled_from(["gov.cn", "zj.gov.cn", "example.com", "163.com", "xn--fiqs8s"])
    return st.one_of(generated, known.map(lambda d: d if "." in d else "mail." + d))


def _local() -> st.SearchStrategy[str]:
    common = st.text(alphabet=_LOWER + _DIGITS, min_size=1, max_size=12)
    atom = st.one_of(common, st.text(alphabet=_ATEXT, min_size=1, max_size=12))
    return st.lists(atom, min_size=1, max_size=3).map(".".join)


def email_valid() -> st.SearchStrategy[str]:
    return st.tuples(_local(), _domain()).map(lambda t: f"{t[0]}@{t[1]}")


def email_invalid() -> st.SearchStrategy[str]:
    local, domain = _local(), _domain()
    return st.one_of(
        st.tuples(local, domain).map(lambda t: f".{t[0]}@{t[1]}"),
        st.tuples(local, domain).map(lambda t: f"{t[0]}.@{t[1]}"),
        st.tuples(local, local, domain).map(lambda t: f"{t[0]}..{t[1]}@{t[2]}"),
        st.tuples(local, local, domain).map(lambda t: f"{t[0]} {t[1]}@{t[2]}"),
        st.tuples(local, domain).map(lambda t: t[0] + t[1]),
        st.tuples(local, domain).map(lambda t: f"{t[0]}@{t[0]}@{t[1]}"),
        local.map(lambda v: v + "@"),
        domain.map(lambda v: "@" + v),
        st.tuples(local, _label()).map(lambda t: f"{t[0]}@{t[1]}"),
        st.tuples(local, domain).map(lambda t: f"{t[0]}@-{t[1]}"),
        st.tuples(local, _label(), domain).map(lambda t: f"{t[0]}@{t[1]}_x.{t[2]}"),
        st.tuples(local, domain).map(lambda t: f"{(t[0] * 65)[:65]}@{t[1]}"),
        st.tuples(local, st.ip_addresses(v=4)).map(lambda t: f"{t[0]}@{t[1]}"),
        st.tuples(local, st.ip_addresses(v=4)).map(lambda t: f"{t[0]}@[{t[1]}"),
        st.tuples(local, st.ip_addresses(v=4)).map(lambda t: f"{t[0]}@[IPv6:{t[1]}]"),
        st.tuples(local, st.integers(256, 999)).map(lambda t: f"{t[0]}@[10.0.0.{t[1]}]"),
        st.tuples(local, domain).map(lambda t: f'"{t[0]}"x"@{t[1]}'),
        st.tuples(local, domain).map(lambda t: f"张三 <{t[0]}@{t[1]}>"),
        st.tuples(local, domain).map(lambda t: f"{t[0]}＠{t[1]}"),  # full-width at sign
    )


# --- uri --------------------------------------------------------------------------------

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT})"
_PATH = re.compile(rf"(?:{_PCHAR}|/)*")
_QUERY = re.compile(rf"(?:{_PCHAR}|[/?])*")
_USERINFO = re.compile(rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT})*")
_REG_NAME = re.compile(rf"(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT})*")
_IP_FUTURE = re.compile(rf"[vV][0-9A-Fa-f]+\.[{_UNRESERVED}{_SUB_DELIMS}:]+")
_PORT = re.compile(r"[0-9]*")
_BAD_PCT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_NEVER_IN_URI = frozenset('<>"{}|\\^`')


def _char_problem(value: str) -> str | None:
    for c in value:
        if c <= " " or c == "\x7f":
            return f"contains whitespace or a control character (U+{ord(c):04X})"
        if c > "\x7f":
            return f"non-ASCII character {c!r} must be percent-encoded"
        if c in _NEVER_IN_URI:
            return f"character {c!r} is not allowed in a URI"
    bad = _BAD_PCT.search(value)
    if bad:
        return f"malformed percent-escape {value[bad.start() : bad.start() + 3]!r}"
    return None


def _host_problem(host: str) -> str | None:
    if host.startswith("["):
        if not host.endswith("]"):
            return f"IP literal {host!r} is not closed by ']'"
        inner = host[1:-1]
        if _IP_FUTURE.fullmatch(inner):
            return None
        if check_ipv6(inner) is None:  # RFC 3986 has no zone identifiers either
            return None
        return f"IP literal {host!r} is not a valid IPv6 address"
    if not _REG_NAME.fullmatch(host):
        return f"host {host!r} contains a character not allowed there"
    return None


def _authority_problem(authority: str) -> str | None:
    userinfo, at, hostport = authority.rpartition("@")
    if at and not _USERINFO.fullmatch(userinfo):
        return "the user information before '@' contains a character not allowed there"
    if hostport.startswith("["):
        host, bracket, rest = hostport.partition("]")
        if not bracket:
            return f"IP literal {hostport!r} is not closed by ']'"
        host += "]"
        if rest and not rest.startswith(":"):
            return f"unexpected {rest!r} after the IP literal"
        port = rest[1:]
    else:
        host, _, port = hostport.partition(":")
    problem = _host_problem(host)
    if problem:
        return problem
    if not _PORT.fullmatch(port):
        return f"port {port!r} is not a number"
    return None


def check_uri(value: str) -> str | None:
    """RFC 3986 URI with a scheme (relative references are not URIs); fragment allowed."""
    scheme, colon, rest = value.partition(":")
    if not colon or not scheme or any(c in scheme for c in "/?#"):
        return "no scheme, expected scheme ':' (relative references are not URIs)"
    if not _SCHEME.fullmatch(scheme):
        return f"scheme {scheme!r} is not a letter followed by letters, digits, '+', '-', '.'"
    problem = _char_problem(rest)
    if problem:
        return problem
    rest, _, fragment = rest.partition("#")
    rest, _, query = rest.partition("?")
    if not _QUERY.fullmatch(fragment):
        return "the fragment contains a character not allowed there"
    if not _QUERY.fullmatch(query):
        return "the query contains a character not allowed there"
    path = rest
    if rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        problem = _authority_problem(authority)
        if problem:
            return problem
        path = slash + path
    if not _PATH.fullmatch(path):
        return "the path contains a character not allowed there"
    return None


def _pct() -> st.SearchStrategy[str]:
    return st.integers(0, 255).map(lambda n: f"%{n:02X}")


def _segment() -> st.SearchStrategy[str]:
    chars = st.sampled_from(_ALNUM * 2 + "-._~!$&'()*+,;=:@")
    return st.lists(st.one_of(chars, _pct()), max_size=10).map("".join)


def _path() -> st.SearchStrategy[str]:
    return st.lists(_segment(), max_size=4).map(lambda segs: "".join("/" + s for s in segs))


def _query() -> st.SearchStrategy[str]:
    pair = st.tuples(_segment(), _segment()).map(lambda t: f"{t[0]}={t[1]}")
    return st.one_of(
        st.just(""), st.lists(pair, min_size=1, max_size=3).map(lambda p: "?" + "&".join(p))
    )


def _fragment() -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), _segment().map(lambda f: "#" + f))


def _host() -> st.SearchStrategy[str]:
    return st.one_of(
        _domain(),
        _domain(),
        st.ip_addresses(v=4).map(str),
        st.ip_addresses(v=6).map(lambda a: f"[{a}]"),
    )


def _port() -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), st.integers(1, 65535).map(lambda p: f":{p}"))


def _hierarchical_uri() -> st.SearchStrategy[str]:
    scheme = st.one_of(
        st.sampled_from(["https", "https", "http", "ftp", "sftp", "HTTPS"]),
        st.tuples(
            st.sampled_from(_LOWER), st.text(alphabet=_LOWER + _DIGITS + "+-.", max_size=8)
        ).map("".join),
    )
    return st.tuples(scheme, _host(), _port(), _path(), _query(), _fragment()).map(
        lambda t: f"{t[0]}://{t[1]}{t[2]}{t[3]}{t[4]}{t[5]}"
    )


def uri_valid() -> st.SearchStrategy[str]:
    nss = st.lists(_segment(), min_size=1, max_size=3).map(":".join)
    urn = st.tuples(st.text(alphabet=_LOWER + _DIGITS, min_size=1, max_size=8), nss).map(
        lambda t: f"urn:{t[0]}:{t[1]}"
    )
    return st.one_of(
        _hierarchical_uri(),
        _hierarchical_uri(),
        urn,
        # atext allows characters a URI does not ('{', '|', '%'...): percent-encode them.
        email_valid().map(lambda e: "mailto:" + quote(e, safe="@")),
        st.integers(13_000_000_000, 19_999_999_999).map(lambda n: f"tel:+86-{n}"),
        _path().map(lambda p: "file://" + (p or "/")),
    )


def uri_invalid() -> st.SearchStrategy[str]:
    base = st.tuples(st.sampled_from(["https", "http"]), _domain()).map(
        lambda t: f"{t[0]}://{t[1]}"
    )
    seg = _segment()

    def inserted(bad: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.tuples(base, seg, bad, seg).map(lambda t: f"{t[0]}/{t[1]}{t[2]}{t[3]}")

    return st.one_of(
        st.tuples(_path(), _query()).map(lambda t: (t[0] or "/") + t[1]),  # relative
        st.tuples(_domain(), _path()).map(lambda t: f"//{t[0]}{t[1]}"),  # protocol-relative
        st.tuples(seg, _path()).map(lambda t: "seg" + t[0].replace(":", "") + t[1]),
        inserted(st.sampled_from(" \t\n\x00\x7f")),
        inserted(st.sampled_from(sorted(_NEVER_IN_URI))),
        inserted(st.sampled_from(["%", "%G1", "%4", "%zz"]).map(lambda p: p + "-")),
        inserted(st.sampled_from(["政务", "é", "®", "\u3000"])),
        inserted(st.sampled_from(["[", "]"])),
        st.tuples(st.sampled_from(_DIGITS + "+.-"), base).map("".join),
        st.tuples(st.sampled_from(",_ !"), base).map(lambda t: "ht" + t[0] + t[1][2:]),
        st.tuples(base, st.sampled_from(["abc", "8o", "-1"])).map(lambda t: f"{t[0]}:{t[1]}/"),
        base.map(lambda b: b + "/a#b#c"),
    )


# --- uuid -------------------------------------------------------------------------------

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def check_uuid(value: str) -> str | None:
    """RFC 9562 string form: 8-4-4-4-12 hexadecimal digits, hyphens required, any case."""
    if _UUID.fullmatch(value):
        return None
    return "expected 8-4-4-4-12 hexadecimal digits separated by hyphens"


def _mixed_case(text: str, upper: list[bool]) -> str:
    return "".join(c.upper() if u else c for c, u in zip(text, upper, strict=False))


def uuid_valid() -> st.SearchStrategy[str]:
    text = st.uuids().map(str)
    return st.one_of(
        text,
        text.map(str.upper),
        st.tuples(text, st.lists(st.booleans(), min_size=36, max_size=36)).map(
            lambda t: _mixed_case(*t)
        ),
        st.just("00000000-0000-0000-0000-000000000000"),
    )


def uuid_invalid() -> st.SearchStrategy[str]:
    valid = uuid_valid()
    hex_position = st.sampled_from([i for i in range(36) if i not in (8, 13, 18, 23)])
    return st.one_of(
        valid.map(lambda v: v.replace("-", "")),
        valid.map(lambda v: "{" + v + "}"),
        valid.map(lambda v: "urn:uuid:" + v),
        st.tuples(valid, hex_position).map(lambda t: t[0][: t[1]] + t[0][t[1] + 1 :]),
        st.tuples(valid, st.sampled_from("0af")).map("".join),
        st.tuples(valid, hex_position, st.sampled_from("gGzZ_- ")).map(lambda t: _replace_at(*t)),
        st.tuples(valid, st.sampled_from([8, 13, 18, 23])).map(
            lambda t: _replace_at(t[0], t[1], "0")
        ),
        valid.map(lambda v: v + "\n"),
    )


# --- duration ---------------------------------------------------------------------------

# RFC 3339 Appendix A: dur-date / dur-time / dur-week after "P", integers only.
_DUR_TIME = "T(?:[0-9]+H(?:[0-9]+M(?:[0-9]+S)?)?|[0-9]+M(?:[0-9]+S)?|[0-9]+S)"
_DUR_DATE = f"(?:[0-9]+D|[0-9]+M(?:[0-9]+D)?|[0-9]+Y(?:[0-9]+M(?:[0-9]+D)?)?)(?:{_DUR_TIME})?"
DURATION_REGEX = f"P(?:{_DUR_DATE}|{_DUR_TIME}|[0-9]+W)"
"""RFC 3339 Appendix A duration, unanchored (ECMA-262 and Python)."""
_DURATION = re.compile(DURATION_REGEX)
_DUR_ELEMENT = re.compile(r"([0-9]*)([^0-9]?)")


def check_duration(value: str) -> str | None:
    """RFC 3339 Appendix A duration: P, then years-months-days (each optional, in order, with
    no gap), then T and hours-minutes-seconds the same way; or P and weeks alone."""
    if _DURATION.fullmatch(value):
        return None
    if not value.startswith("P"):
        return "expected 'P' first"
    if not value.isascii():
        return f"character {next(c for c in value if not c.isascii())!r} is not ASCII"
    if re.search("[.,]", value):
        return "a fraction is not allowed (RFC 3339 durations are whole numbers)"
    date_part, t, time_part = value[1:].partition("T")
    if not date_part and not time_part:
        return "no element after 'P'" if not t else "no element after 'PT'"
    if t and not time_part:
        return "'T' is followed by no hour, minute or second"
    if "W" in value and not re.fullmatch("P[0-9]*W", value):
        return "weeks cannot be combined with other elements"
    for part, units, where in ((date_part, "YMDW", "before 'T'"), (time_part, "HMS", "after 'T'")):
        for match in _DUR_ELEMENT.finditer(part):
            number, unit = match.groups()
            if not number and not unit:
                break
            if not number:
                return f"{unit!r} has no number before it"
            if not unit:
                return f"the number {number} has no unit"
            if unit not in units:
                return f"{unit!r} is not a unit {where} (expected one of {', '.join(units)})"
    return "units out of order or skipped (expected Y, M, D then T, H, M, S; M after Y before D)"


def _duration_parts(values: list[int], units: str, start: int, count: int) -> str:
    return "".join(f"{v}{u}" for v, u in zip(values, units[start : start + count], strict=False))


def duration_valid() -> st.SearchStrategy[str]:
    numbers = st.lists(
        st.one_of(st.integers(0, 99), st.integers(0, 10**12), st.just(0)), min_size=3, max_size=3
    )
    # each part: a run of consecutive units, e.g. Y M D, M D, D; H M S, M S, S
    date = st.tuples(numbers, st.integers(0, 2)).flatmap(
        lambda t: st.integers(1, 3 - t[1]).map(lambda n: _duration_parts(t[0], "YMD", t[1], n))
    )
    time = st.tuples(numbers, st.integers(0, 2)).flatmap(
        lambda t: st.integers(1, 3 - t[1]).map(
            lambda n: "T" + _duration_parts(t[0], "HMS", t[1], n)
        )
    )
    return st.one_of(
        st.tuples(date, st.one_of(st.just(""), time)).map(lambda t: "P" + t[0] + t[1]),
        time.map(lambda t: "P" + t),
        st.integers(0, 520).map(lambda n: f"P{n}W"),
        st.sampled_from(["P1D", "PT1H", "P1Y", "P1M", "PT1M", "P30D", "P01D"]),
    )


def duration_invalid() -> st.SearchStrategy[str]:
    valid = duration_valid()
    n = st.integers(0, 99)
    return st.one_of(
        n.map(lambda v: f"P{v}"),
        st.just("P"),
        st.just("PT"),
        n.map(lambda v: f"P{v}YT"),
        valid.map(lambda v: v[1:]),  # no P
        valid.map(lambda v: "-" + v),
        valid.map(lambda v: v.lower()),
        valid.map(lambda v: v + "\n"),
        valid.map(lambda v: " " + v),
        st.tuples(n, n).map(lambda t: f"P{t[0]}D{t[1]}Y"),  # out of order
        st.tuples(n, n).map(lambda t: f"P{t[0]}D{t[1]}H"),  # no T
        st.tuples(n, n).map(lambda t: f"P{t[0]}Y{t[1]}D"),  # month skipped
        st.tuples(n, n).map(lambda t: f"PT{t[0]}H{t[1]}S"),  # minute skipped
        st.tuples(n, n).map(lambda t: f"P{t[0]}Y{t[1]}W"),
        st.tuples(n, n).map(lambda t: f"P{t[0]}WT{t[1]}H"),
        n.map(lambda v: f"PT{v}.5S"),
        n.map(lambda v: f"PT{v},5S"),
        n.map(lambda v: f"PT{v}D"),
        n.map(lambda v: f"P{v}S"),
        st.just("P1e2D"),
        n.map(lambda v: "P" + "".join(chr(0xFF10 + int(c)) for c in str(v)) + "D"),
    )
