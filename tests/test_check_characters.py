"""Check characters: every form in conformance.formats._check_characters equals the standards'
weighted-sum definition, and no other module of the suite does the arithmetic itself."""

from __future__ import annotations

import operator
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.formats import FORMATS
from conformance.formats._check_characters import (
    _BLOCK,
    CHECK_CHARACTERS,
    CHECK_EXPRESSIONS,
    CHECK_NAMESPACE,
    ID_CHECK,
    ID_WEIGHTS,
    USCC_CHARSET,
    USCC_WEIGHTS,
    WRONG_CHECK_CHARACTERS,
    id_check_char,
    id_check_char_of_digits,
    id_number_check_ok,
    id_numbers_wrong,
    uscc_check_char,
    uscc_check_ok,
    usccs_wrong,
)

ROOT = Path(__file__).resolve().parents[1]
CHECKS = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
DIGITS = "0123456789"


# The published tables (GB 11643-1999 table 1; GB 32100-2015 appendix B), written out.
def _id_definition(first17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(first17, weights, strict=True))
    return "10X98765432"[total % 11]


def _uscc_definition(first17: str) -> str:
    charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(charset.index(c) * w for c, w in zip(first17, weights, strict=True))
    return charset[(31 - total % 31) % 31]


def test_weights_are_the_documented_powers() -> None:
    assert tuple(pow(2, 17 - i, 11) for i in range(17)) == ID_WEIGHTS
    assert ID_WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    assert tuple(pow(3, i, 31) for i in range(17)) == USCC_WEIGHTS
    assert USCC_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert ID_CHECK == "10X98765432"
    assert USCC_CHARSET == "0123456789ABCDEFGHJKLMNPQRTUWXY"
    # worked examples: GB 11643 appendix, a published business licence
    assert id_check_char("11010519491231002") == "X"
    assert uscc_check_char("91110000600037341") == "L"


_KINDS: dict[str, tuple[str, str, Callable[[str], str]]] = {
    # name: (alphabet of the first 17, alphabet of the check character, definition)
    "cn-id-number": (DIGITS, DIGITS + "X", _id_definition),
    "cn-uscc": (USCC_CHARSET, USCC_CHARSET, _uscc_definition),
}


def _codes(name: str) -> st.SearchStrategy[str]:
    head, last, _ = _KINDS[name]
    return st.tuples(st.text(head, min_size=17, max_size=17), st.sampled_from(last)).map("".join)


@pytest.mark.parametrize("name", sorted(_KINDS))
def test_every_form_equals_the_definition(name: str) -> None:
    _, _, definition = _KINDS[name]
    char = {"cn-id-number": id_check_char, "cn-uscc": uscc_check_char}[name]
    scalar = CHECK_CHARACTERS[name]
    expression = eval(  # noqa: S307 - the module's own expression, as the site code inlines it
        "lambda v: " + CHECK_EXPRESSIONS[name].format(v="v"), dict(CHECK_NAMESPACE)
    )

    @CHECKS
    @given(_codes(name))
    def agree(code: str) -> None:
        right = definition(code[:17]) == code[17]
        assert char(code[:17]) == definition(code[:17])
        if name == "cn-id-number":
            assert id_check_char_of_digits(code[:17]) == definition(code[:17])
        assert scalar(code) is right
        assert expression(code) is right

    agree()


@pytest.mark.parametrize("name", sorted(_KINDS))
def test_batches_equal_the_definition(name: str) -> None:
    _, _, definition = _KINDS[name]
    wrong_rows = WRONG_CHECK_CHARACTERS[name]
    # every length around the size where a batch goes one value at a time or as an array
    noise = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=18, max_size=18)

    @CHECKS
    @given(st.lists(st.one_of(_codes(name), _codes(name), noise), max_size=60))
    def agree(codes: list[str]) -> None:
        expected = [
            row
            for row, code in enumerate(codes)
            if not (set(code) <= set(_KINDS[name][0] + _KINDS[name][1]))
            or not set(code[:17]) <= set(_KINDS[name][0])
            or code[17] not in _KINDS[name][1]
            or definition(code[:17]) != code[17]
        ]
        assert wrong_rows("".join(codes).encode()) == expected

    agree()


# Bytes a row may hold where a code's character belongs: lowercase, letters the USCC alphabet
# leaves out, X, ASCII neighbours of the alphabets, controls, and bytes that are no ASCII
# (255 is the batch forms' own mark for a byte that is no character of the code).
_NASTY = b"xXIOSVZiosvz0 /:@[`{\x00\t\x7f\x80\xa0\xf1\xfe\xff"


def _right_code(name: str) -> st.SearchStrategy[bytes]:
    head, _, definition = _KINDS[name]
    return st.text(head, min_size=17, max_size=17).map(lambda h: (h + definition(h)).encode())


def _rows_of(name: str) -> dict[str, st.SearchStrategy[bytes]]:
    """Kinds of 18-byte rows: right codes, codes with a wrong check character, codes with
    one byte changed (to a byte of _NASTY or any byte), any 18 bytes."""
    right = _right_code(name)
    return {
        "right": right,
        "any check": _codes(name).map(str.encode),
        "one byte changed": st.tuples(
            right,
            st.integers(0, 17),
            st.one_of(st.sampled_from(list(_NASTY)), st.integers(0, 255)),
        ).map(lambda r: r[0][: r[1]] + bytes([r[2]]) + r[0][r[1] + 1 :]),
        "X anywhere": st.tuples(right, st.integers(0, 17)).map(
            lambda r: r[0][: r[1]] + b"X" + r[0][r[1] + 1 :]
        ),
        "any bytes": st.binary(min_size=18, max_size=18),
        **({"X among the first 17": _x_counted_as_ten()} if name == "cn-id-number" else {}),
    }


def _x_counted_as_ten() -> st.SearchStrategy[bytes]:
    """ID numbers with an X among the first 17 places and the check character they would have
    if X were the digit 10: only the place of the X makes them wrong."""

    def code(digits: str, place: int) -> bytes:
        head = digits[:place] + "X" + digits[place + 1 :]
        values = [10 if c == "X" else int(c) for c in head]
        return (head + ID_CHECK[sum(map(operator.mul, values, ID_WEIGHTS)) % 11]).encode()

    return st.builds(code, st.text(DIGITS, min_size=17, max_size=17), st.integers(0, 16))


def _wrong_by_definition(name: str, rows: list[bytes]) -> list[int]:
    head, last, definition = _KINDS[name]
    wrong = []
    for index, row in enumerate(rows):
        text = row.decode("latin-1")
        is_code = set(text[:17]) <= set(head) and text[17] in last
        if not is_code or definition(text[:17]) != text[17]:
            wrong.append(index)
    return wrong


@pytest.mark.parametrize("name", sorted(_KINDS))
def test_batches_of_64_to_256_rows_with_rows_that_are_no_codes(name: str) -> None:
    """The sizes the JSON Lines typed path checks (128 records a chunk): batches of some kinds
    of rows only (all right, right and misplaced X, ...) and of all kinds, bytes of any value."""
    wrong_rows = WRONG_CHECK_CHARACTERS[name]
    kinds = _rows_of(name)

    @CHECKS
    @given(st.data())
    def agree(data: st.DataObject) -> None:
        chosen = data.draw(st.sets(st.sampled_from(sorted(kinds)), min_size=1))
        rows = data.draw(
            st.lists(st.one_of([kinds[kind] for kind in sorted(chosen)]), min_size=64, max_size=256)
        )
        assert wrong_rows(b"".join(rows)) == _wrong_by_definition(name, rows)

    agree()


def test_the_batch_forms_name_each_kind_of_row_that_is_no_code() -> None:
    """Rows a batch must refuse, each alone among right ones, at array sizes (20 and 128)."""
    right_id, right_uscc = b"11010519491231002X", b"91110000600037341L"
    id_rows = [
        b"11010519491231002x",  # lowercase x
        b"X10105194912310021",  # X first
        b"1101051949123100X2",  # X in the 17th place
        b"X10105194912310022",  # X first, the check character of X read as 10
        b"1101051949123100X5",  # X in the 17th place, the same
        b"11010519491231002\xff",  # the byte the arrays mark "no character"
        b"110105194912310\xa02X",  # no ASCII
        b"11010519491231002:",  # the byte after 9
        b"11010519491231002Y",
    ]
    uscc_rows = [
        b"91110000600037341l",  # lowercase
        *(b"9111000060003734" + c + b"L" for c in (b"I", b"O", b"S", b"V", b"Z")),
        b"91110000600037341\xff",
        b"\x801110000600037341L",
    ]
    for size in (20, 128):
        for right, rows, wrong_rows in (
            (right_id, id_rows, id_numbers_wrong),
            (right_uscc, uscc_rows, usccs_wrong),
        ):
            for row in rows:
                assert len(row) == 18, row
                batch = [right] * size
                batch[size // 2] = row
                assert wrong_rows(b"".join(batch)) == [size // 2], row
            assert wrong_rows(right * size) == []


@pytest.mark.parametrize("name", sorted(_KINDS))
def test_a_batch_of_several_blocks_names_rows_across_them(name: str) -> None:
    """Past _BLOCK rows a batch is checked a block at a time: rows wrong in every block,
    and around their edges, keep their places in the whole batch."""
    head, last, definition = _KINDS[name]
    rng = random.Random(17)
    rows = 2 * _BLOCK + 7
    codes = []
    for _ in range(rows):
        first17 = "".join(rng.choice(head) for _ in range(17))
        codes.append((first17 + definition(first17)).encode())
    places = [0, 5, _BLOCK - 1, _BLOCK, _BLOCK + 1, 2 * _BLOCK - 1, 2 * _BLOCK, rows - 1]
    for place in places:
        code = codes[place]
        codes[place] = code[:17] + (
            b"x" if place % 2 else last[last.index(chr(code[17])) - 1].encode()
        )
    assert _wrong_by_definition(name, codes) == places
    wrong_rows = WRONG_CHECK_CHARACTERS[name]
    assert wrong_rows(b"".join(codes)) == places
    codes[_BLOCK + 3] = b"\xff" * 18  # now with a row that is no code: another pass
    assert wrong_rows(b"".join(codes)) == sorted([*places, _BLOCK + 3])


def test_a_batch_of_valid_codes_answers_none_and_names_a_wrong_one() -> None:
    ids = [FORMATS["cn-id-number"].check(v) for v in ("11010519491231002X",)]
    assert ids == [None]
    good = "11010519491231002X" * 40
    assert id_numbers_wrong(good.encode()) == []
    bad = good[:-18] + "110105194912310021"
    assert id_numbers_wrong(bad.encode()) == [39]
    good_uscc = "91110000600037341L" * 40
    assert usccs_wrong(good_uscc.encode()) == []
    assert usccs_wrong(("91110000600037341M" + good_uscc[18:]).encode()) == [0]
    with pytest.raises(ValueError, match="rows of 18"):
        usccs_wrong(b"91110000600037341")
    assert id_number_check_ok("11010519491231002X")
    assert uscc_check_ok("91110000600037341L")


# The arithmetic's marks: the check-character tables and the weights, written anywhere else.
_MARKS = re.compile(
    r"10X98765432|0123456789ABCDEFGHJKLMNPQRTUWXY|pow\(2, 17 - i, 11\)|pow\(3, i, 31\)"
)
# Allowed: the one module; this test; the reference candidate (a separate system under test,
# it must not share the suite's code); the generators of bench/exports.py and
# bench/corpus_schemas.py (their measuring children import no suite module before the tool
# they measure).
_ALLOWED = {
    "conformance/formats/_check_characters.py",
    "tests/test_check_characters.py",
    "fixtures/reference_candidate/ids.py",
    "bench/exports.py",
    "bench/corpus_schemas.py",
}


def test_the_arithmetic_lives_in_one_module() -> None:
    found = set()
    for folder in ("conformance", "tests", "bench", "fixtures"):
        for path in (ROOT / folder).rglob("*.py"):
            if _MARKS.search(path.read_text(encoding="utf-8")):
                found.add(path.relative_to(ROOT).as_posix())
    assert found <= _ALLOWED, sorted(found - _ALLOWED)
    assert "conformance/formats/_check_characters.py" in found
