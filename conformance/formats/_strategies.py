"""``hypothesis.strategies``, imported when a strategy is first built.

Checking a format needs no Hypothesis; importing it costs about 0.1 s, which an export
validation of a small file would otherwise pay before reading a byte.
"""

from __future__ import annotations

import importlib
from typing import Any


class _Strategies:
    def __getattr__(self, name: str) -> Any:
        return getattr(importlib.import_module("hypothesis.strategies"), name)


st: Any = _Strategies()
