"""The run's time budget (``--max-duration``): one deadline every job checks."""

from __future__ import annotations

import time

from conformance.i18n import Message, en, msg

__all__ = ["Budget", "BudgetExhausted"]


class BudgetExhausted(Exception):
    """The run's time budget is spent; what is left is reported as not done."""

    def __init__(self, message: Message) -> None:
        super().__init__(en(message))
        self.msg = message  # worded by the catalog


class Budget:
    """A deadline ``max_duration_s`` seconds after the run started (none when not given)."""

    def __init__(self, max_duration_s: float | None) -> None:
        self.max_duration_s = max_duration_s
        self.deadline = time.monotonic() + max_duration_s if max_duration_s else None

    def remaining(self) -> float | None:
        """Seconds left (never below 0), or None for no budget."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    def check(self) -> None:
        """Raise :class:`BudgetExhausted` once the deadline has passed."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            seconds = f"{self.max_duration_s:g}"  # waits: 0.3, not 0
            raise BudgetExhausted(msg("error.run_budget", seconds=seconds))
