#!/usr/bin/env python3
"""Benchmark: check characters of a batch of codes, four ways, measured in the same run.

The export paths check the check characters of many values that already matched their
format's pattern (18 ASCII characters). Four forms are timed on the same valid values
(the accepting path), ID numbers (GB 11643) and USCCs (GB 32100):

- ``per value``: ``map(id_number_check_ok, values)``: a Python frame per value (what the
  XML batch check used);
- ``C calls``: the values joined into one buffer, then C-level callables only (``map``,
  ``int``, ``slice``, ``bytes.translate``, ``operator.mod``): measured, not adopted;
- ``module``: ``conformance.formats._check_characters.id_numbers_wrong`` / ``usccs_wrong``,
  what every batch path uses: the values joined into one buffer, read as the characters'
  values by ``bytes.translate``, a uint8 matrix, weighted sums of all 18 places as a float32
  matrix product, verdicts by one table lookup (numpy); below 4 values, a call per value;
- ``old module``: the module's form before 2026-12-07 11:40 UTC, kept here as the reference
  the module is compared against: a uint8 matrix of the ASCII bytes, the first 17 places'
  sums as a float64 product, the check character looked up and compared, a separate pass
  for rows that are no code, about ten numpy calls; below 16 values, a call per value.

Times are CPU seconds per million values and microseconds per call, best of ``--repeat``
runs (each call joins and encodes its values, as the export paths do), for batches of
``--values``, of 128 (what the JSON Lines typed path checks at once) and of 10; ratios are
over the module's form. This is a script, not a test: see bench/README.md.

    python bench/check_characters.py [--values N] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import compress, count, repeat
from operator import mod, ne
from typing import Any

from conformance.formats._check_characters import (
    CODE_WIDTH,
    ID_CHECK,
    ID_WEIGHTS,
    USCC_CHARSET,
    USCC_WEIGHTS,
    _id_number_strict_ok,
    _one_by_one,
    _uscc_strict_ok,
    id_check_char,
    id_number_check_ok,
    id_numbers_wrong,
    uscc_check_char,
    uscc_check_ok,
    usccs_wrong,
)

# The batch through C-level callables alone (map, int, slice, bytes.translate, operator.mod):
# no Python frame per value either; measured here, not used (numpy is faster).
_ID_BY_RESIDUE = bytes(ord(ID_CHECK[2 * r % 11]) for r in range(11))
_USCC_DIGITS = bytes.maketrans(USCC_CHARSET.encode(), b"0123456789ABCDEFGHIJKLMNOPQRSTU")
_USCC_BY_RESIDUE = bytes(_USCC_DIGITS[ord(USCC_CHARSET[-r % 31])] for r in range(31))


def _c_ids_wrong(data: bytes) -> list[int]:
    size = len(data)
    first17 = map(
        data.__getitem__, map(slice, range(0, size, CODE_WIDTH), range(17, size, CODE_WIDTH))
    )
    residues = map(mod, map(int, first17, repeat(13)), repeat(11))
    expected = bytes(map(_ID_BY_RESIDUE.__getitem__, residues))
    actual = data[17::CODE_WIDTH]
    return [] if expected == actual else list(compress(count(), map(ne, expected, actual)))


def _c_usccs_wrong(data: bytes) -> list[int]:
    size = len(data)
    digits = data[::-1].translate(_USCC_DIGITS)  # row k from the end: check, then 17 reversed
    reversed17 = map(
        digits.__getitem__,
        map(slice, range(1, size, CODE_WIDTH), range(CODE_WIDTH, size + 1, CODE_WIDTH)),
    )
    residues = map(mod, map(int, reversed17, repeat(34)), repeat(31))
    expected = bytes(map(_USCC_BY_RESIDUE.__getitem__, residues))
    actual = digits[::CODE_WIDTH]
    rows = size // CODE_WIDTH
    return (
        []
        if expected == actual
        else sorted(rows - 1 - k for k in compress(count(), map(ne, expected, actual)))
    )


# The module's batch form before 2026-12-07 (the reference the new form is measured against).
_OLD_SMALL_BATCH = 16
_USCC_ALPHABET = USCC_CHARSET.encode()


def _old_tables() -> dict[str, Any]:
    import numpy as np

    id_weights = np.array(ID_WEIGHTS, dtype=np.float64)
    uscc_values = np.full(256, 255, dtype=np.uint8)
    uscc_values[np.frombuffer(USCC_CHARSET.encode(), np.uint8)] = np.arange(len(USCC_CHARSET))
    id_last = np.zeros(256, dtype=bool)
    id_last[np.frombuffer(b"0123456789X", np.uint8)] = True
    return {
        "np": np,
        "id_weights": id_weights,
        "id_offset": 48 * id_weights.sum(),
        "id_codes": np.frombuffer(ID_CHECK.encode(), np.uint8),
        "id_last": id_last,
        "uscc_values": uscc_values,
        "uscc_weights": np.array(USCC_WEIGHTS, dtype=np.float64),
        "uscc_codes": np.frombuffer(USCC_CHARSET.encode(), np.uint8),
    }


_OLD = _old_tables()


def _old_ids_wrong(data: bytes) -> list[int]:
    rows = len(data) // CODE_WIDTH
    if rows < _OLD_SMALL_BATCH:
        clean = not data.translate(None, b"0123456789X") and data.count(b"X") == data[
            17::CODE_WIDTH
        ].count(b"X")
        return _one_by_one(data, id_number_check_ok if clean else _id_number_strict_ok)
    t = _OLD
    np = t["np"]
    codes = np.frombuffer(data, np.uint8).reshape(rows, CODE_WIDTH)
    first17 = codes[:, :17]
    total = (first17 @ t["id_weights"] - t["id_offset"]).astype(np.int64) % 11
    wrong = t["id_codes"][total] != codes[:, 17]
    if data.translate(None, b"0123456789X") or data.count(b"X") != data[17::CODE_WIDTH].count(b"X"):
        wrong |= ((first17 - 48) > 9).any(axis=1)
        wrong |= ~t["id_last"][codes[:, 17]]
    return list(np.flatnonzero(wrong).tolist())


def _old_usccs_wrong(data: bytes) -> list[int]:
    rows = len(data) // CODE_WIDTH
    if rows < _OLD_SMALL_BATCH:
        clean = not data.translate(None, _USCC_ALPHABET)
        return _one_by_one(data, uscc_check_ok if clean else _uscc_strict_ok)
    t = _OLD
    np = t["np"]
    values = np.take(t["uscc_values"], np.frombuffer(data, np.uint8).reshape(rows, CODE_WIDTH))
    total = (values[:, :17] @ t["uscc_weights"]).astype(np.int64) % 31
    wrong = t["uscc_codes"][-total % 31] != np.frombuffer(data, np.uint8)[17::CODE_WIDTH]
    wrong |= (values == 255).any(axis=1)
    return list(np.flatnonzero(wrong).tolist())


def _ids(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        first = f"110105{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        first += f"{rng.randint(0, 999):03d}"
        out.append(first + id_check_char(first))
    return out


def _usccs(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        first = "91110105" + "".join(rng.choice(USCC_CHARSET) for _ in range(9))
        out.append(first + uscc_check_char(first))
    return out


def _best(run: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def _measure(
    values: list[str],
    one: Callable[[str], bool],
    c_form: Callable[[bytes], list[int]],
    module_form: Callable[[bytes], list[int]],
    old_form: Callable[[bytes], list[int]],
    repeat: int,
) -> dict[str, float]:
    forms: dict[str, Callable[[], list[int]]] = {
        "per value": lambda: [i for i, ok in enumerate(map(one, values)) if not ok],
        "C calls": lambda: c_form("".join(values).encode()),
        "module": lambda: module_form("".join(values).encode()),
        "old module": lambda: old_form("".join(values).encode()),
    }
    wrong = [*values[:-1], values[-1][:17] + ("1" if values[-1][17] != "1" else "2")]
    answers = {label: form() for label, form in forms.items()}
    assert all(answer == [] for answer in answers.values()), answers
    wrong_data = "".join(wrong).encode()
    assert (
        c_form(wrong_data) == module_form(wrong_data) == old_form(wrong_data) == [len(values) - 1]
    )
    return {label: _best(form, repeat) for label, form in forms.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--values", type=int, default=200_000, help="values per batch")
    parser.add_argument("--repeat", type=int, default=7, help="runs per form (best is kept)")
    args = parser.parse_args()
    rng = random.Random(17)
    uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"load: {uptime.strip()}")
    print(f"values per batch: {args.values}, best of {args.repeat}; CPU s per million values")
    ids, usccs = _ids(rng, args.values), _usccs(rng, args.values)
    cases = [
        ("cn-id-number", id_number_check_ok, _c_ids_wrong, id_numbers_wrong, _old_ids_wrong),
        ("cn-uscc", uscc_check_ok, _c_usccs_wrong, usccs_wrong, _old_usccs_wrong),
    ]
    for size in (args.values, 128, 10):
        for name, one, c_form, module_form, old_form in cases:
            values = (ids if name == "cn-id-number" else usccs)[:size]
            times = _measure(
                values, one, c_form, module_form, old_form, args.repeat * max(1, 1000 // size)
            )
            scale = 1e6 / len(values)
            for label, seconds in times.items():
                ratio = seconds / times["module"]
                print(
                    f"{name:13} batch of {size:<7} {label:10} {seconds * scale:7.3f} s"
                    f" {seconds * 1e6:10.2f} us a call   {ratio:5.2f}x the module's form"
                )


if __name__ == "__main__":
    main()
