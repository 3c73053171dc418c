"""Streaming, record-by-record validation of export files (JSON Lines, JSON, CSV, XML).

:func:`validate_export` reads a file once, never whole: line by line (JSON Lines, CSV),
in bounded chunks (JSON arrays, XML). It reports, for the three export checks:

- ``export_records``: every record against the record schema (JSON Schema with the project's
  formats, or the XSD plus ``field_formats`` for XML); parse errors; bad files;
- ``export_encoding``: the declared encoding (invalid bytes with offset and line), byte order
  marks, mixed line endings, a truncated last line, the XML declaration;
- ``export_unique_keys``: duplicate ``key`` tuples, naming both places;
- ``export_references`` and ``export_record_count``: the cross-record rules a standard
  declares (:mod:`conformance.exports._rules`), applied by the engine with the other files.

Records are offered to registered acceptors first (msgspec typed records, orjson blocks,
CSV columns, jsonschema-rs with check characters by arithmetic, XSD batches, compiled XML
records: :data:`VALIDATION_PATHS`, :mod:`conformance.exports._paths`), which may only
accept; one exact checker per format decides the rest and words every error.
``validate_export(..., paths=())`` or ``CONFORMANCE_EXACT_ONLY=1`` leaves it alone.
``jobs`` > 1 validates byte ranges of a JSON Lines file in parallel.

Every byte size the readers bound or read by (a record, a chunk, a block, a ``--jobs``
range, a gzip'd file's expansion) is a field of :class:`ReadLimits`, read when a reading
starts; :func:`read_limits` changes them for what is read inside it (tests, debugging).

Counts are exact; the issues listed are capped per (check, kind).
"""

from conformance.exports._batch import Batch, Place
from conformance.exports._encoding import RECORD_LIMIT
from conformance.exports._fast import EXACT_ONLY_ENV, exact_only, fast_path_refusal
from conformance.exports._files import NotRegularFile, open_regular
from conformance.exports._limits import ReadLimits, read_limits
from conformance.exports._model import (
    CHECKS,
    ENCODING,
    RECORDS,
    UNIQUE_KEYS,
    ExportIssue,
    ExportReport,
    Severity,
)
from conformance.exports._parallel import DeadlinePassed, validate_many
from conformance.exports._paths import REGISTRY as VALIDATION_PATHS
from conformance.exports._paths import Acceptor, RegisteredPath, Selection
from conformance.exports._readers import MAX_DEPTH
from conformance.exports._rules import (
    RECORD_COUNT,
    REFERENCES,
    RULE_CHECKS,
    ExportRules,
    TotalFrom,
    apply_rules,
    export_rules,
    lint_rules,
)
from conformance.exports._typed import typed_path_refusal, typed_path_survey
from conformance.exports._validate import ERRORS_PER_RECORD, validate_export

__all__ = [
    "CHECKS",
    "ENCODING",
    "ERRORS_PER_RECORD",
    "EXACT_ONLY_ENV",
    "MAX_DEPTH",
    "RECORDS",
    "RECORD_COUNT",
    "RECORD_LIMIT",
    "REFERENCES",
    "RULE_CHECKS",
    "UNIQUE_KEYS",
    "VALIDATION_PATHS",
    "Acceptor",
    "Batch",
    "DeadlinePassed",
    "ExportIssue",
    "ExportReport",
    "ExportRules",
    "NotRegularFile",
    "Place",
    "ReadLimits",
    "RegisteredPath",
    "Selection",
    "Severity",
    "TotalFrom",
    "apply_rules",
    "exact_only",
    "export_rules",
    "fast_path_refusal",
    "lint_rules",
    "open_regular",
    "read_limits",
    "typed_path_refusal",
    "typed_path_survey",
    "validate_export",
    "validate_many",
]
