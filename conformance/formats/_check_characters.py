"""Check characters of GB 11643 (citizen ID numbers) and GB 32100 (USCCs): the one place
their arithmetic lives.

Three forms of each, proven equal by ``tests/test_check_characters.py``:

- the definition, a weighted sum (:func:`id_check_char`, :func:`uscc_check_char`), which the
  formats' ``check`` uses to name the expected character;
- one value at a time, the sum computed by ``int`` in C (:func:`id_number_check_ok`,
  :func:`uscc_check_ok`, and the same expressions, :data:`CHECK_EXPRESSIONS`, inlined in the
  export fast path's generated site code);
- a batch at once (:func:`id_numbers_wrong`, :func:`usccs_wrong`): the values, joined into
  one buffer, read as the characters' values by ``bytes.translate``, a matrix of bytes whose
  weighted sums are one matrix product (numpy) and whose verdicts one table lookup, with no
  Python frame per value and five numpy calls for the common batch.
  ``bench/check_characters.py`` measured it 5-7x faster than a call per value on 128 values
  and 12-17x on 100 000, and 1.7-2.7x faster at 128 values (2-3.4x at 100 000) than the
  form before it (the ASCII bytes' matrix, about ten numpy calls: kept in the script); a
  batch through C-level callables alone (``map``, ``int``, ``slice``, ``operator.mod``) was
  barely faster than a call per value, so that form is not used.

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
    "id_check_char_of_digits",
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


def id_check_char_of_digits(first17: str) -> str:
    """:func:`id_check_char` of 17 ASCII digits, in C: the weights are 2^(17-i) mod 11, and
    13 is 2 mod 11, so the weighted sum is twice the digits read in base 13 (mod 11)."""
    return ID_CHECK[2 * int(first17, 13) % 11]


def id_number_check_ok(value: str) -> bool:
    """Whether a structurally valid ID number (17 digits, then a digit or X) has the right
    check character."""
    return value[17] == id_check_char_of_digits(value[:17])


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
# as much (bench/check_characters.py measures the forms side by side; the arrays' form, some
# 2 us a call, was as fast at 2 rows and faster from 4).
_SMALL_BATCH = 4


# The batch forms read each row's 18 characters as values through ``bytes.translate`` (255:
# not a character of the code) and take one weighted sum over all 18 (the check character's
# value with weight 1), which a table maps to "wrong" or not:
#
# - ID numbers: ``ID_CHECK[r]`` has the value 1 - r (mod 11), X being 10, so a number is
#   right when its sum plus its check value is 1 (mod 11). X reads as 241 (= 10 mod 11) and
#   the first 17 weights as ``w + 11`` (12 or more; the same mod 11): 17 digits and any
#   check character sum to at most 9 * 287 + 241 = 2824, while an X among the first 17 adds
#   at least 241 * 12 = 2892, so the table answers "wrong" above 2824 and no pass looks for
#   a misplaced X.
# - USCCs: the check value is minus the sum (mod 31), so a code is right when its sum plus
#   its check value is 0 (mod 31).
_ID_X = 241
_NO_CODE = 255  # the value of a byte that is no character of the code (find: -1 % 256)
_ID_VALUES = bytes("0123456789".find(chr(c)) % 256 if c != ord("X") else _ID_X for c in range(256))
_USCC_VALUES = bytes(USCC_CHARSET.find(chr(c)) % 256 for c in range(256))


@cache
def _tables() -> dict[str, Any]:
    """numpy and the arrays of the batch forms, made on first use (numpy costs 0.1 s to
    import; checking a format needs none)."""
    import numpy as np

    id_weights = (*(w + 11 for w in ID_WEIGHTS), 1)
    id_valid_max = 9 * sum(id_weights[:17]) + _ID_X
    assert _ID_X % 11 == 10  # X's value, mod 11
    assert _ID_X * min(id_weights[:17]) > id_valid_max  # a misplaced X sums above any code
    id_sums = np.arange(_ID_X * sum(id_weights) + 1)  # every sum of values up to X's
    uscc_weights = (*USCC_WEIGHTS, 1)
    uscc_sums = np.arange((len(USCC_CHARSET) - 1) * sum(uscc_weights) + 1)
    return {
        "np": np,
        # Weighted sums as float32 matrix products (BLAS): exact, every sum is below 2^24.
        "id_weights": np.array(id_weights, dtype=np.float32),
        "id_wrong": (id_sums > id_valid_max) | (id_sums % 11 != 1),
        "uscc_weights": np.array(uscc_weights, dtype=np.float32),
        "uscc_wrong": uscc_sums % 31 != 0,
    }


_ZERO_NO_CODE = bytes.maketrans(bytes([_NO_CODE]), b"\0")


# Rows an array holds at once: the products of a block stay in the caches (2 000 and 10 000
# rows cost the same per row; 100 000 at once cost several times more per row, their
# float32 matrix alone being 7 MB).
_BLOCK = 8192


def _sums_wrong(values: bytes, rows: int, weights: str, table: str) -> list[int]:
    """The rows whose weighted sum ``table`` calls wrong; ``values`` are the rows' values,
    255 marking a byte that is no character of the code (such a row counts as wrong)."""
    if rows > _BLOCK:  # a block at a time, bounded: one call per _BLOCK rows
        return [
            first + row
            for first in range(0, rows, _BLOCK)
            for row in _sums_wrong(
                values[first * CODE_WIDTH : (first + _BLOCK) * CODE_WIDTH],
                min(_BLOCK, rows - first),
                weights,
                table,
            )
        ]
    t = _tables()
    np = t["np"]
    clean = _NO_CODE not in values  # memchr: the common batch has every byte in the code
    matrix = np.ndarray(
        (rows, CODE_WIDTH), np.uint8, values if clean else values.translate(_ZERO_NO_CODE)
    )
    wrong = t[table].take((matrix @ t[weights]).astype(np.intp))
    if not clean:
        wrong |= (np.ndarray((rows, CODE_WIDTH), np.uint8, values) == _NO_CODE).any(axis=1)
    elif 1 not in wrong.tobytes():  # memchr: the common batch has no wrong row
        return []
    rows_wrong: list[int] = wrong.nonzero()[0].tolist()
    return rows_wrong


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
    return _sums_wrong(data.translate(_ID_VALUES), rows, "id_weights", "id_wrong")


def usccs_wrong(data: bytes) -> list[int]:
    """The rows of ``data`` (18 bytes each: USCCs joined) whose check character is wrong,
    ascending; a row that is no USCC at all (18 characters of the code's alphabet) counts as
    wrong."""
    rows = _rows(data)
    if rows < _SMALL_BATCH:
        clean = not data.translate(None, _USCC_ALPHABET)
        return _one_by_one(data, uscc_check_ok if clean else _uscc_strict_ok)
    return _sums_wrong(data.translate(_USCC_VALUES), rows, "uscc_weights", "uscc_wrong")


WRONG_CHECK_CHARACTERS: Mapping[str, Callable[[bytes], list[int]]] = MappingProxyType(
    {"cn-id-number": id_numbers_wrong, "cn-uscc": usccs_wrong}
)
"""Per format with a check character: the rows of a joined batch whose character is wrong."""
