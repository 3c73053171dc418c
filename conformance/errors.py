"""The exception tree. One root; each subclass also inherits the matching builtin.

Messages echo ``name=value`` and say what was expected, and locate the problem
(file and line, or file and JSON pointer) so a user can fix it without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

__all__ = [
    "CandidateError",
    "CandidateUnreachable",
    "ConformanceError",
    "ExitCode",
    "Location",
    "StandardError",
    "StandardNotFound",
    "UsageError",
]


class ExitCode(IntEnum):
    """The exit codes of every front door (``conformance run``, ``pytest --standard``,
    ``conformance merge``) and of the other commands: one table, in the README."""

    OK = 0  # the candidate conforms; for other commands: nothing wrong
    FAILED = 1  # the candidate does not conform; for other commands: problems found
    USAGE = 2  # usage or configuration error: bad option, standard, candidate profile
    UNREACHABLE = 3  # the candidate accepts no connection (or its TLS is not trusted)
    INTERRUPTED = 130  # stopped by the user (Ctrl-C)

    CONFORMS = 0  # aliases that read better where a run ends
    DOES_NOT_CONFORM = 1


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

    exit_code: ExitCode = ExitCode.USAGE

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

    exit_code = ExitCode.UNREACHABLE
