"""Chinese government identifier formats: check functions and Hypothesis strategies.

Each format has a ``check_*`` function (``None`` when valid, else a short reason) and
``*_valid`` / ``*_invalid`` strategy factories built constructively, so that generation
never depends on rejection sampling.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from conformance.formats._check_characters import (
    ID_CHECK,
    USCC_CHARSET,
    USCC_VALUE,
    id_check_char,
    id_check_char_of_digits,
    uscc_check_char,
)

if TYPE_CHECKING:
    from hypothesis import strategies as st
else:
    from conformance.formats._strategies import st

__all__ = [
    "PROVINCE_PREFIXES",
    "check_division_code",
    "check_id_number",
    "check_mobile",
    "check_postcode",
    "check_uscc",
    "division_code_invalid",
    "division_code_valid",
    "id_number_invalid",
    "id_number_valid",
    "mobile_invalid",
    "mobile_valid",
    "postcode_invalid",
    "postcode_valid",
    "uscc_invalid",
    "uscc_valid",
]

_DIGITS = "0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# GB/T 2260 provincial-level prefixes.
_PREFIX_RANGES = ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65), (71, 71), (81, 82))
PROVINCE_PREFIXES: frozenset[str] = frozenset(
    f"{n:02d}" for lo, hi in _PREFIX_RANGES for n in range(lo, hi + 1)
)
_PREFIXES_TEXT = "11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81, 82"
_SORTED_PREFIXES = sorted(PROVINCE_PREFIXES)
_BAD_PREFIXES = [f"{n:02d}" for n in range(100) if f"{n:02d}" not in PROVINCE_PREFIXES]

_SIX_DIGITS = re.compile(r"[0-9]{6}")

# GB 11643-1999 and GB 32100-2015 check characters: see _check_characters.
_ID_MIN_BIRTH = date(1900, 1, 1)
# The issuing authority's calendar decides "not in the future"; China is UTC+8 all year.
_CHINA_TZ = timezone(timedelta(hours=8))

# GB 32100-2015: 31 characters (no I O S V Z).
_USCC_CHARSET = USCC_CHARSET
_USCC_VALUE = USCC_VALUE
_USCC_AUTHORITIES = "123456789ANY"
_USCC_FORBIDDEN = "IOSVZ"


def _today_china() -> date:
    return datetime.now(UTC).astimezone(_CHINA_TZ).date()


_IMPORT_DAY = _today_china().strftime("%Y%m%d")


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _first_non_digit(value: str, start: int, stop: int, what: str = "a digit") -> str | None:
    part = value[start:stop]
    if part.isascii() and part.isdigit():  # the common case, in C (ASCII: 0-9 alone)
        return None
    for i in range(start, min(stop, len(value))):
        if value[i] not in _DIGITS:
            return f"character {i + 1} is {value[i]!r}, expected {what}"
    return None


# --- cn-division-code -------------------------------------------------------------------


def check_division_code(value: str) -> str | None:
    """GB/T 2260 administrative division code: six digits with a provincial-level prefix."""
    if len(value) != 6:
        return f"expected 6 digits, got {len(value)} characters"
    bad = _first_non_digit(value, 0, 6)
    if bad:
        return bad
    if value[:2] not in PROVINCE_PREFIXES:
        return f"province prefix {value[:2]!r} is not one of {_PREFIXES_TEXT}"
    return None


def _two_digits(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.integers(lo, hi).map(lambda n: f"{n:02d}")


def division_code_valid() -> st.SearchStrategy[str]:
    province = st.sampled_from(_SORTED_PREFIXES)
    # Province, prefecture and county levels, as real codes are spread over all three.
    return st.one_of(
        province.map(lambda p: p + "0000"),
        st.tuples(province, _two_digits(1, 30)).map(lambda t: t[0] + t[1] + "00"),
        st.tuples(province, _two_digits(0, 99), _two_digits(0, 99)).map("".join),
    )


def _replace_at(value: str, index: int, char: str) -> str:
    return value[:index] + char + value[index + 1 :]


def division_code_invalid() -> st.SearchStrategy[str]:
    valid = division_code_valid()
    return st.one_of(
        st.tuples(st.sampled_from(_BAD_PREFIXES), _two_digits(0, 99), _two_digits(0, 99)).map(
            "".join
        ),
        valid.map(lambda v: v[:5]),
        st.tuples(valid, st.sampled_from(_DIGITS)).map("".join),
        st.tuples(valid, st.integers(0, 5), st.sampled_from(_UPPER + "-/ ")).map(
            lambda t: _replace_at(*t)
        ),
        # Full-width digits look right in Chinese documents but are not ASCII digits.
        valid.map(lambda v: v[:-1] + chr(0xFF10 + int(v[-1]))),
    )


# --- cn-id-number -----------------------------------------------------------------------


def check_id_number(value: str) -> str | None:
    """GB 11643-1999 citizen identity number, 18 characters."""
    if len(value) != 18:
        return f"expected 18 characters, got {len(value)}"
    bad = _first_non_digit(value, 0, 17)
    if bad:
        return bad
    last = value[17]
    if last not in _DIGITS and last != "X":
        expected = "upper-case 'X'" if last == "x" else "a digit or 'X'"
        return f"check character is {last!r}, expected {expected}"
    if value[:2] not in PROVINCE_PREFIXES:
        return f"address code prefix {value[:2]!r} is not one of {_PREFIXES_TEXT}"
    birth = value[6:14]
    year, month, day = int(birth[:4]), int(birth[4:6]), int(birth[6:])
    if not (1 <= month <= 12 and 1 <= day <= _days_in_month(year, month)):
        return f"no such date {birth}"
    if year < _ID_MIN_BIRTH.year:
        return f"birth date {birth} is before 19000101"
    # Dates up to the import day are past for good; only later ones need today's date.
    if birth > _IMPORT_DAY and date(year, month, day) > _today_china():
        return f"birth date {birth} is in the future"
    expected_check = id_check_char_of_digits(value[:17])  # 17 ASCII digits, checked above
    if last != expected_check:
        return f"check character is {last!r}, expected {expected_check!r}"
    return None


def _with_id_check(first17: str) -> str:
    return first17 + id_check_char(first17)


def _sequence() -> st.SearchStrategy[str]:
    return st.integers(0, 999).map(lambda n: f"{n:03d}")


def _id_first17(birth: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(division_code_valid(), birth, _sequence()).map("".join)


def _birth_dates() -> st.SearchStrategy[str]:
    return st.dates(min_value=_ID_MIN_BIRTH, max_value=_today_china()).map(
        lambda d: d.strftime("%Y%m%d")
    )


def id_number_valid() -> st.SearchStrategy[str]:
    return _id_first17(_birth_dates()).map(_with_id_check)


def _impossible_birth_dates() -> st.SearchStrategy[str]:
    year = st.integers(1900, 2020)
    day_past_end = st.tuples(year, st.integers(1, 12)).map(
        lambda t: f"{t[0]:04d}{t[1]:02d}{_days_in_month(t[0], t[1]) + 1:02d}"
    )
    return st.one_of(
        year.map(lambda y: f"{y:04d}0230"),
        day_past_end,
        st.tuples(year, st.sampled_from([0, 13, 19, 20, 99]), st.integers(1, 28)).map(
            lambda t: f"{t[0]:04d}{t[1]:02d}{t[2]:02d}"
        ),
        st.tuples(year, st.integers(1, 12)).map(lambda t: f"{t[0]:04d}{t[1]:02d}00"),
    )


def _out_of_range_birth_dates() -> st.SearchStrategy[str]:
    next_year = _today_china().year + 1
    return st.one_of(
        st.dates(min_value=date(1800, 1, 1), max_value=date(1899, 12, 31)),
        st.dates(min_value=date(next_year, 1, 1), max_value=date(9999, 12, 31)),
    ).map(lambda d: d.strftime("%Y%m%d"))


def _wrong_id_check(first17: str, pick: int) -> str:
    right = id_check_char(first17)
    others = [c for c in ID_CHECK if c != right]
    return first17 + others[pick % len(others)]


def _id_ending_in_x(first15: str) -> str:
    """Fill the last two sequence digits so the check character is 'X'."""
    for d16 in _DIGITS:
        for d17 in _DIGITS:
            first17 = first15 + d16 + d17
            if id_check_char(first17) == "X":
                return first17 + "X"
    raise AssertionError("unreachable: position 17 (weight 2) reaches every residue")


def id_number_invalid() -> st.SearchStrategy[str]:
    valid = id_number_valid()
    first17 = _id_first17(_birth_dates())
    bad_prefix = st.tuples(
        st.sampled_from(_BAD_PREFIXES),
        _two_digits(0, 99),
        _two_digits(0, 99),
        _birth_dates(),
        _sequence(),
    ).map(lambda t: _with_id_check("".join(t)))
    return st.one_of(
        st.tuples(first17, st.integers(0, 9)).map(lambda t: _wrong_id_check(*t)),
        _id_first17(_impossible_birth_dates()).map(_with_id_check),
        _id_first17(_out_of_range_birth_dates()).map(_with_id_check),
        bad_prefix,
        first17.map(lambda v: _id_ending_in_x(v[:15]).lower()),
        valid.map(lambda v: v[:17]),
        st.tuples(valid, st.sampled_from(_DIGITS)).map("".join),
        # First-generation 15-digit numbers (2-digit year, no check character).
        valid.map(lambda v: v[:6] + v[8:17]),
        st.tuples(valid, st.integers(0, 16), st.sampled_from(_UPPER)).map(
            lambda t: _replace_at(*t)
        ),
    )


# --- cn-uscc ----------------------------------------------------------------------------


def check_uscc(value: str) -> str | None:
    """GB 32100-2015 unified social credit code, 18 characters."""
    if len(value) != 18:
        return f"expected 18 characters, got {len(value)}"
    for i, c in enumerate(value):
        if c not in _USCC_VALUE:
            if c in _USCC_FORBIDDEN:
                why = "a letter the code never uses (I, O, S, V, Z)"
            elif c.islower():
                why = "lower case, expected upper case"
            else:
                why = "not in 0-9 and A-Y without I, O, S, V, Z"
            return f"character {i + 1} is {c!r}, {why}"
    if value[0] not in _USCC_AUTHORITIES:
        return f"registering authority code is {value[0]!r}, expected one of 1-9, A, N, Y"
    bad = _first_non_digit(value, 2, 8, "a digit (positions 3-8 are a division code)")
    if bad:
        return bad
    expected_check = uscc_check_char(value[:17])
    if value[17] != expected_check:
        return f"check character is {value[17]!r}, expected {expected_check!r}"
    return None


def _uscc_first17() -> st.SearchStrategy[str]:
    # Weighted toward the common authorities: 9 business, 5 civil affairs, 1 government.
    authority = st.sampled_from("99995551" + _USCC_AUTHORITIES)
    entity = st.sampled_from("1112239")
    # Central-level bodies register under 100000, which is not a provincial code.
    region = st.one_of(division_code_valid(), st.just("100000"))
    org_body = st.text(alphabet=_DIGITS * 3 + _USCC_CHARSET, min_size=8, max_size=8)
    org_check = st.sampled_from(_DIGITS + "X")
    return st.tuples(authority, entity, region, org_body, org_check).map("".join)


def uscc_valid() -> st.SearchStrategy[str]:
    return _uscc_first17().map(lambda v: v + uscc_check_char(v))


def _wrong_uscc_check(first17: str, pick: int) -> str:
    right = uscc_check_char(first17)
    others = [c for c in _USCC_CHARSET if c != right]
    return first17 + others[pick % len(others)]


def _lower_case_uscc(value: str) -> str:
    lowered = value.lower()
    # An all-digit code has no letter to lower: put a lower-case letter in the organisation code.
    return lowered if lowered != value else _replace_at(value, 9, "a")


def uscc_invalid() -> st.SearchStrategy[str]:
    valid = uscc_valid()
    bad_authority = st.tuples(
        st.sampled_from([c for c in _USCC_CHARSET if c not in _USCC_AUTHORITIES]),
        _uscc_first17(),
    ).map(lambda t: t[0] + t[1][1:])
    bad_region = st.tuples(
        _uscc_first17(), st.integers(2, 7), st.sampled_from("ABCDEFGHJKLMN")
    ).map(lambda t: _replace_at(*t))
    return st.one_of(
        st.tuples(_uscc_first17(), st.integers(0, 29)).map(lambda t: _wrong_uscc_check(*t)),
        st.tuples(valid, st.integers(0, 17), st.sampled_from(_USCC_FORBIDDEN)).map(
            lambda t: _replace_at(*t)
        ),
        bad_authority.map(lambda v: v + uscc_check_char(v)),
        bad_region.map(lambda v: v + uscc_check_char(v)),
        valid.map(lambda v: v[:17]),
        st.tuples(valid, st.sampled_from(_USCC_CHARSET)).map("".join),
        valid.map(_lower_case_uscc),
    )


# --- cn-mobile and cn-postcode ----------------------------------------------------------

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_POSTCODE = re.compile(r"[0-8][0-9]{5}")


def check_mobile(value: str) -> str | None:
    """Mainland China mobile number: 11 digits, 1 then 3-9."""
    if _MOBILE.fullmatch(value):
        return None
    if len(value) != 11:
        return f"expected 11 digits, got {len(value)} characters"
    bad = _first_non_digit(value, 0, 11)
    if bad:
        return bad
    if value[0] != "1":
        return f"first digit is {value[0]!r}, expected '1'"
    return f"second digit is {value[1]!r}, expected 3-9"


def mobile_valid() -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from("3456789"), st.integers(0, 999_999_999)).map(
        lambda t: f"1{t[0]}{t[1]:09d}"
    )


def mobile_invalid() -> st.SearchStrategy[str]:
    valid = mobile_valid()
    return st.one_of(
        st.tuples(st.sampled_from("012"), st.integers(0, 999_999_999)).map(
            lambda t: f"1{t[0]}{t[1]:09d}"
        ),
        st.tuples(st.sampled_from("023456789"), valid).map(lambda t: t[0] + t[1][1:]),
        valid.map(lambda v: v[:10]),
        st.tuples(valid, st.sampled_from(_DIGITS)).map("".join),
        valid.map(lambda v: "+86" + v),
        valid.map(lambda v: f"{v[:3]} {v[3:7]} {v[7:]}"),
        st.tuples(valid, st.integers(2, 10), st.sampled_from(_UPPER)).map(
            lambda t: _replace_at(*t)
        ),
    )


def check_postcode(value: str) -> str | None:
    """Chinese postal code: six digits, no code starts with 9."""
    if _POSTCODE.fullmatch(value):
        return None
    if len(value) != 6:
        return f"expected 6 digits, got {len(value)} characters"
    bad = _first_non_digit(value, 0, 6)
    if bad:
        return bad
    return f"first digit is {value[0]!r}, expected 0-8"


def postcode_valid() -> st.SearchStrategy[str]:
    return st.integers(0, 899_999).map(lambda n: f"{n:06d}")


def postcode_invalid() -> st.SearchStrategy[str]:
    valid = postcode_valid()
    return st.one_of(
        st.integers(900_000, 999_999).map(str),
        valid.map(lambda v: v[:5]),
        st.tuples(valid, st.sampled_from(_DIGITS)).map("".join),
        st.tuples(valid, st.integers(0, 5), st.sampled_from(_UPPER + " -")).map(
            lambda t: _replace_at(*t)
        ),
    )
