"""A terminal progress line for export files that take more than a few seconds.

Nothing is shown for the first :data:`DELAY_S` seconds (most files are done by then), then
one line at most every :data:`EVERY_S` seconds: on a terminal it is rewritten in place,
elsewhere (a CI log) a plain line is printed at most every :data:`LOG_EVERY_S` seconds.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TextIO

DELAY_S = 3.0
EVERY_S = 0.5
LOG_EVERY_S = 15.0


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MiB"


class TerminalProgress:
    """``progress(done, total)`` for :func:`~conformance.exports.validate_export`."""

    def __init__(
        self,
        name: str,
        stream: TextIO | None = None,
        capture: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.stream = stream  # None: sys.stderr at the time of writing (past any capture)
        self.capture = capture
        self.clock = clock
        self.started = clock()
        self.last = 0.0
        self.shown = False
        out = stream if stream is not None else sys.__stderr__
        self.tty = bool(out is not None and getattr(out, "isatty", lambda: False)())

    def _unsuspended(self) -> AbstractContextManager[Any]:
        if self.capture is not None and hasattr(self.capture, "global_and_fixture_disabled"):
            return self.capture.global_and_fixture_disabled()  # type: ignore[no-any-return]
        return nullcontext()

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        elapsed = now - self.started
        finished = total > 0 and done >= total
        if elapsed < DELAY_S or (
            not finished and now - self.last < (EVERY_S if self.tty else LOG_EVERY_S)
        ):
            return
        if finished and not self.shown:
            return
        self.last = now
        self.shown = True
        share = 100.0 * done / total if total else 100.0
        rate = done / elapsed if elapsed > 0 else 0.0
        text = (
            f"导出文件 / export {self.name}: {share:5.1f}% "
            f"({_size(done)} / {_size(total)}, {_size(int(rate))}/s)"
        )
        with self._unsuspended():
            stream = self.stream if self.stream is not None else sys.stderr
            if self.tty:
                stream.write("\r" + text + ("\n" if finished else ""))
            else:
                stream.write(text + "\n")
            stream.flush()


def terminal_progress(name: str, capture: Any = None) -> TerminalProgress:
    """Progress of one export file on stderr (past pytest's output capture when given)."""
    return TerminalProgress(name, capture=capture)
