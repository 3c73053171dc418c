"""The regex generator's sampling tables are built at the first draw, never when a pattern is
only checked (lint, a run's prepare, an export-only run): building them scans all of Unicode."""

from __future__ import annotations

import json
import subprocess
import sys

from conformance.generation._regex import _SURROGATES, _all_characters, _code_points

_CHILD = r"""
import json
from hypothesis import HealthCheck, given, settings
from conformance.generation import from_schema
from conformance.generation import _regex

schema = {
    "type": "object",
    "properties": {
        "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{6}$"},
        "name": {"type": "string", "pattern": "^[\\u4e00-\\u9fff]{2,8}$"},
        "han": {"type": "string", "pattern": "^\\p{Han}+$"},
    },
    "required": ["sku", "name", "han"],
}
strategy = from_schema(schema)  # every pattern checked and compiled
def sizes():
    return _regex._assigned.cache_info().currsize, _regex._all_characters.cache_info().currsize

built = {"checked": sizes()}
drawn = []

@settings(max_examples=5, database=None, suppress_health_check=list(HealthCheck))
@given(strategy)
def draw(value):
    drawn.append(value)

draw()
built["drawn"] = (sizes()[0], len(drawn))
print(json.dumps(built))
"""


def test_checking_patterns_builds_no_table_and_drawing_does() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    built = json.loads(done.stdout.strip().splitlines()[-1])
    # \p{Han} needs its exact ranges (from the scan of all characters), not the tables
    assert built["checked"] == [0, 1]
    assert built["drawn"] == [1, 5]


def test_all_characters_are_every_code_point_but_surrogates_in_order() -> None:
    low, high = _all_characters()
    assert len(low) == _SURROGATES[0]
    assert len(high) == 0x10FFFF - _SURROGATES[1]
    assert (low[0], low[-1], high[0], high[-1]) == ("\0", "\ud7ff", "\ue000", "\U0010ffff")
    assert high[0x20000 - 0xE000] == "\U00020000"
    assert _code_points(0x4E00, 0x4E10) == "".join(map(chr, range(0x4E00, 0x4E10)))
