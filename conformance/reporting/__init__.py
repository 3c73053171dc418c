"""Reporters: turn a finished run into files in its run folder.

A reporter is a function ``(run_dir, data) -> Path`` where ``data`` is the results
dictionary (the shape of results.json). ``REPORTERS`` lists them in the order they run;
results.json itself is written first by the plugin.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from conformance.reporting.html import write_html
from conformance.reporting.junit import write_junit

Reporter = Callable[[Path, dict[str, Any]], Path]

REPORTERS: list[Reporter] = [write_junit, write_html]
