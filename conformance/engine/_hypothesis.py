"""Keeping Hypothesis generation a function of the seed alone.

Hypothesis mixes literal constants from every *local* module loaded in the process into
generation.  Which modules count as local depends on how the suite was installed
(editable or not) and on the caller's own code, so the same ``--seed`` could send different
requests from ``conformance run`` and ``pytest --standard``.  A certification run must
replay byte for byte, so while the engine generates, local constants are switched off.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_lock = threading.Lock()
_depth = 0
_saved: Any = None
_saved_cache: Any = None


@contextmanager
def seed_only_generation() -> Iterator[None]:
    global _depth, _saved, _saved_cache
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - a Hypothesis without that module: nothing to do
        yield
        return
    if not hasattr(providers, "_get_local_constants") or not hasattr(providers, "Constants"):
        yield
        return
    with _lock:
        if _depth == 0:
            _saved = providers._get_local_constants
            empty = providers.Constants()  # type: ignore[attr-defined]
            providers._get_local_constants = lambda: empty
            # Constant pools already cached (per thread) may hold local constants from
            # generation that ran before: start from an empty cache.
            _saved_cache = getattr(providers, "CONSTANTS_CACHE", None)
            if _saved_cache is not None:
                providers.CONSTANTS_CACHE = type(_saved_cache)(1024)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                providers._get_local_constants = _saved
                if _saved_cache is not None:
                    providers.CONSTANTS_CACHE = _saved_cache
