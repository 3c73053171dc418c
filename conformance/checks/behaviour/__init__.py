"""Behaviour, not only shapes: stateful scenarios, paging of every kind, filters, views.

Everything here is declared by the standard (``x-state-model``, ``x-pagination``,
``x-filters``, ``x-item``; standards/README.md, "Behaviour") and checked by lint
(:func:`declaration_issues`). A new kind of pager or filter is one registered strategy:
``paging.register_pager`` or ``filtering.register_filter``.
"""

from conformance.checks.behaviour import consistency, exportview, filtering, paging, statemachine
from conformance.checks.behaviour.declarations import declaration_issues

__all__ = [
    "consistency",
    "declaration_issues",
    "exportview",
    "filtering",
    "paging",
    "statemachine",
]
