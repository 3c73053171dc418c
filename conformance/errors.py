"""The exception tree. One root; each subclass also inherits the matching builtin.

Messages echo ``name=value`` and say what was expected, and locate the problem
(file and line, or file and JSON pointer) so a user can fix it without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CandidateError",
    "CandidateUnreachable",
    "ConformanceError",
    "Location",
    "StandardError",
    "StandardNotFound",
    "UsageError",
]


@dataclass(frozen=True)
class Location:
    """Where a problem is: a file, and a line and/or a JSON pointer inside it."""

    path: Path | str
    line: int | None = None
    pointer: str | None = None

    def __str__(self) -> str:
        text = str(self.path)
        if self.line is not None:
            text += f":{self.line}"
        if self.pointer is not None:
            text += f" at {self.pointer or '/'}"
        return text


class ConformanceError(Exception):
    """Root of every error this package raises on purpose."""

    exit_code = 2

    def __init__(self, message: str, location: Location | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class UsageError(ConformanceError, ValueError):
    """Bad command-line usage or option values."""


class StandardError(ConformanceError, ValueError):
    """A standard version folder is malformed (manifest, OpenAPI, schema, path)."""


class StandardNotFound(StandardError, LookupError):
    """No standard with this id and version in the standards folders searched."""


class CandidateError(ConformanceError, ValueError):
    """The candidate profile (candidate.yaml) is malformed or inconsistent."""


class CandidateUnreachable(ConformanceError, ConnectionError):
    """The candidate's base URL accepts no connection."""

    exit_code = 3
