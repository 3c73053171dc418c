"""Check characters of GB 11643 (citizen ID numbers) and GB 32100 (USCCs): the one place
their arithmetic lives.

Three forms of each, proven equal by ``tests/test_check_characters.py``:

- the definition, a weighted sum (:func:`id_check_char`, :func:`uscc_check_char`), which the
  formats' ``check`` uses to name the expected character;
- one value at a time, the sum computed by ``int`` in C (:func:`id_number_check_ok`,
  :func:`uscc_check_ok`, and the same expressions, :data:`CHECK_EXPRESSIONS`, inlined in the
  export fast path's generated site code);
- a batch at once (:func:`id_numbers_wrong`, :func:`usccs_wrong`): the values, joined into
  one ASCII buffer, as a matrix of bytes whose weighted sums are one matrix product
  (numpy), with no Python frame per value. ``bench/check_characters.py`` measured it
  2.7-3.0x faster than a call per value on 100 000 values, and 2.3-2.4x faster than a batch
  through C-level callables alone (``map``, ``int``, ``slice``, ``operator.mod``), which
  was barely faster than a call per value, so that form is not used.

GB 11643-1999: weights 2^(17-i) mod 11 (i = 0..16 from the left), check character
``"10X98765432"[sum mod 11]``. As 13 = 2 (mod 11), 2^(17-i) = 2 * 13^(16-i) (mod 11): the
sum is twice the first 17 digits read in base 13.

GB 32100-2015: the 31 characters ``0-9 A-Y`` without I, O, S, V, Z have the values 0-30;
weights 3^i mod 31; the check character is the one whose value makes the sum with it
0 mod 31. As 34 = 3 (mod 31), the sum is the first 17 values, reversed, read in base 34.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from itertools import compress, count
from operator import not_
from types import MappingProxyType
from typing import Any

__all__ = [
    "CHECK_CHARACTERS",
    "CHECK_EXPRESSIONS",
    "CHECK_NAMESPACE",
    "CODE_WIDTH",
    "ID_CHECK",
    "ID_WEIGHTS",
    "USCC_CHARSET",
    "USCC_VALUE",
    "USCC_WEIGHTS",
    "WRONG_CHECK_CHARACTERS",
    "id_check_char",
    "id_number_check_ok",
    "id_numbers_wrong",
    "uscc_check_char",
    "uscc_check_ok",
    "usccs_wrong",
]

CODE_WIDTH = 18  # both codes are 17 characters and a check character

ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
ID_CHECK = "10X98765432"

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_VALUE: Mapping[str, int] = MappingProxyType({c: i for i, c in enumerate(USCC_CHARSET)})
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))

# ---------------------------------------------------------------- the definitions


def id_check_char(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits of an ID number."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a USCC."""
    total = sum(USCC_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[-total % 31]


# ---------------------------------------------------------------- one value, in C

# Each USCC character as the base-34 digit of its value (0..30). A bytes table: the format's
# pattern has made the value ASCII, and bytes.translate is 3x str's.
_USCC_DIGITS = bytes.maketrans(USCC_CHARSET.encode(), b"0123456789ABCDEFGHIJKLMNOPQRSTU")


def id_number_check_ok(value: str) -> bool:
    """Whether a structurally valid ID number (17 digits, then a digit or X) has the right
    check character."""
    return value[17] == ID_CHECK[2 * int(value[:17], 13) % 11]


def uscc_check_ok(value: str) -> bool:
    """Whether a structurally valid USCC (18 characters of the code's alphabet) has the right
    check character."""
    return value[17] == USCC_CHARSET[-int(value.encode()[16::-1].translate(_USCC_DIGITS), 34) % 31]


CHECK_CHARACTERS: Mapping[str, Callable[[str], bool]] = MappingProxyType(
    {"cn-id-number": id_number_check_ok, "cn-uscc": uscc_check_ok}
)
"""Per format with a check character: is it right, for a value its pattern accepts."""

CHECK_EXPRESSIONS: Mapping[str, str] = MappingProxyType(
    {
        "cn-id-number": "{v}[17] == ID_CHECK[2 * int({v}[:17], 13) % 11]",
        "cn-uscc": (
            "{v}[17] == USCC_CHARSET[-int({v}.encode()[16::-1].translate(USCC_DIGITS), 34) % 31]"
        ),
    }
)
"""The same tests as :data:`CHECK_CHARACTERS`, as expressions over a value ``{v}``, for code
generated where a function call per value costs as much as the test itself; they need the
names of :data:`CHECK_NAMESPACE`."""

CHECK_NAMESPACE: Mapping[str, object] = MappingProxyType(
    {"ID_CHECK": ID_CHECK, "USCC_CHARSET": USCC_CHARSET, "USCC_DIGITS": _USCC_DIGITS}
)

# ---------------------------------------------------------------- a batch, in arrays

# Below this many rows a batch is checked one value at a time: numpy's set-up per call costs
# more (bench/check_characters.py measures the forms side by side).
_SMALL_BATCH = 16


@cache
def _tables() -> dict[str, Any]:
    """numpy and the arrays of the batch forms, made on first use (numpy costs 0.1 s to
    import; checking a format needs none)."""
    import numpy as np

    id_weights = np.array(ID_WEIGHTS, dtype=np.float64)
    uscc_values = np.full(256, 255, dtype=np.uint8)  # 255: not a character of the code
    uscc_values[np.frombuffer(USCC_CHARSET.encode(), np.uint8)] = np.arange(len(USCC_CHARSET))
    id_last = np.zeros(256, dtype=bool)
    id_last[np.frombuffer(b"0123456789X", np.uint8)] = True
    return {
        "np": np,
        # Weighted sums as float64 matrix products (BLAS): exact, every sum is below 2^53.
        "id_weights": id_weights,
        "id_offset": 48 * id_weights.sum(),  # the ASCII code of "0" in every place
        "id_codes": np.frombuffer(ID_CHECK.encode(), np.uint8),
        "id_last": id_last,
        "uscc_values": uscc_values,
        "uscc_weights": np.array(USCC_WEIGHTS, dtype=np.float64),
        "uscc_codes": np.frombuffer(USCC_CHARSET.encode(), np.uint8),
    }


_USCC_ALPHABET = USCC_CHARSET.encode()


def _rows(data: bytes) -> int:
    rows, extra = divmod(len(data), CODE_WIDTH)
    if extra:
        raise ValueError(f"{len(data)} bytes are not rows of {CODE_WIDTH}")
    return rows


def _one_by_one(data: bytes, ok: Callable[[str], bool]) -> list[int]:
    """The wrong rows of a small batch, a call of ``ok`` per value (numpy's set-up costs
    more than that below ``_SMALL_BATCH`` values)."""
    size = _rows(data) * CODE_WIDTH
    text = data.decode("latin-1")
    values = map(
        text.__getitem__,
        map(slice, range(0, size, CODE_WIDTH), range(CODE_WIDTH, size + 1, CODE_WIDTH)),
    )
    return list(compress(count(), map(not_, map(ok, values))))


def _id_number_strict_ok(value: str) -> bool:
    return (
        not value[:17].strip("0123456789")
        and value[17] in "0123456789X"
        and id_number_check_ok(value)
    )


def _uscc_strict_ok(value: str) -> bool:
    return all(map(USCC_VALUE.__contains__, value)) and uscc_check_ok(value)


def id_numbers_wrong(data: bytes) -> list[int]:
    """The rows of ``data`` (18 bytes each: ID numbers joined) whose check character is
    wrong, ascending; a row that is no ID number at all (17 ASCII digits, then a digit or X)
    counts as wrong."""
    rows = _rows(data)
    if rows < _SMALL_BATCH:
        clean = not data.translate(None, b"0123456789X") and data.count(b"X") == data[
            17::CODE_WIDTH
        ].count(b"X")
        return _one_by_one(data, id_number_check_ok if clean else _id_number_strict_ok)
    t = _tables()
    np = t["np"]
    codes = np.frombuffer(data, np.uint8).reshape(rows, CODE_WIDTH)
    first17 = codes[:, :17]
    total = (first17 @ t["id_weights"] - t["id_offset"]).astype(np.int64) % 11
    wrong = t["id_codes"][total] != codes[:, 17]
    if data.translate(None, b"0123456789X") or data.count(b"X") != data[17::CODE_WIDTH].count(
        b"X"
    ):  # some row is no ID number (the common batch, all digits and a last X, skips this)
        wrong |= ((first17 - 48) > 9).any(axis=1)  # uint8: a byte below "0" wraps above 9
        wrong |= ~t["id_last"][codes[:, 17]]
    return list(np.flatnonzero(wrong).tolist())


def usccs_wrong(data: bytes) -> list[int]:
    """The rows of ``data`` (18 bytes each: USCCs joined) whose check character is wrong,
    ascending; a row that is no USCC at all (18 characters of the code's alphabet) counts as
    wrong."""
    rows = _rows(data)
    if rows < _SMALL_BATCH:
        clean = not data.translate(None, _USCC_ALPHABET)
        return _one_by_one(data, uscc_check_ok if clean else _uscc_strict_ok)
    t = _tables()
    np = t["np"]
    values = np.take(t["uscc_values"], np.frombuffer(data, np.uint8).reshape(rows, CODE_WIDTH))
    total = (values[:, :17] @ t["uscc_weights"]).astype(np.int64) % 31
    wrong = t["uscc_codes"][-total % 31] != np.frombuffer(data, np.uint8)[17::CODE_WIDTH]
    wrong |= (values == 255).any(axis=1)
    return list(np.flatnonzero(wrong).tolist())


WRONG_CHECK_CHARACTERS: Mapping[str, Callable[[bytes], list[int]]] = MappingProxyType(
    {"cn-id-number": id_numbers_wrong, "cn-uscc": usccs_wrong}
)
"""Per format with a check character: the rows of a joined batch whose character is wrong."""
