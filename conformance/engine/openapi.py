"""Moved: the operations model lives in :mod:`conformance.standards.operations`.

A thin re-export kept while other branches still import from here (engine/cases.py,
engine/exchange.py); new code imports from the model layer.
"""

from conformance.standards.operations import (
    HTTP_METHODS,
    IGNORED_HEADERS,
    MISSING,
    Body,
    Operation,
    Parameter,
    ResponseSpec,
    Style,
    load_operations,
)

__all__ = [
    "HTTP_METHODS",
    "IGNORED_HEADERS",
    "MISSING",
    "Body",
    "Operation",
    "Parameter",
    "ResponseSpec",
    "Style",
    "load_operations",
]
