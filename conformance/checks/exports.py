"""Export checks. :mod:`conformance.exports` runs them; they are catalogued here."""

from __future__ import annotations

from conformance.checks._registry import Check, register

EXPORT_RECORDS = register(
    Check(
        "export_records",
        "Export records match the schema",
        "Every record validates against the export's JSON Schema or XSD, formats and "
        "check characters enforced.",
        "export",
    )
)
EXPORT_ENCODING = register(
    Check(
        "export_encoding",
        "Export encoding as declared",
        "The file decodes in the declared encoding; a byte-order mark, mixed line endings "
        "and a truncated last line are reported.",
        "export",
    )
)
EXPORT_UNIQUE_KEYS = register(
    Check(
        "export_unique_keys",
        "Export keys unique",
        "The export's key fields are unique within the file.",
        "export",
    )
)
EXPORT_REFERENCES = register(
    Check(
        "export_references",
        "Export references resolve",
        "Every value of a field the standard declares as a reference exists as the key of a "
        "record of the referenced export.",
        "export",
    )
)
EXPORT_RECORD_COUNT = register(
    Check(
        "export_record_count",
        "Export record count as declared",
        "The number of records is within the declared bounds and equals the total the API "
        "reports where the standard says so.",
        "export",
    )
)
