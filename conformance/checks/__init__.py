"""The catalogue of checks: small typed functions in a registry, each with a stable id.

API checks take one :class:`~conformance.engine.exchange.Exchange` (a request and the
candidate's response to it) and yield :class:`Problem` values; an empty iteration is a
pass.  Export checks are run by :mod:`conformance.exports`, which tags every issue with
the id of the check it belongs to; they are registered here so that standards, lint and
``conformance checks list`` see one catalogue.
"""

# Importing the modules registers their checks (in this order: the catalogue's order).
from conformance.checks import api, exports, scenarios
from conformance.checks._registry import (
    CHECKS,
    Check,
    Problem,
    all_checks,
    api_check,
    api_checks,
    problem,
    register,
)

__all__ = [
    "CHECKS",
    "Check",
    "Problem",
    "all_checks",
    "api",
    "api_check",
    "api_checks",
    "exports",
    "problem",
    "register",
    "scenarios",
]

# After the scenarios, which they extend (stateful, paging and filter kinds, views).
from conformance.checks import behaviour

__all__ += ["behaviour"]
