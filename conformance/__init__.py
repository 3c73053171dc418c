"""gov-conformance: executable interoperability standards for provincial e-government.

The public facade.  Everything else lives in modules whose layering is described in
ARCHITECTURE.md; import from here when embedding the suite.
"""

from conformance._version import __version__
from conformance.candidate import Candidate, load_candidate
from conformance.errors import (
    CandidateError,
    CandidateUnreachable,
    ConformanceError,
    ExitCode,
    Location,
    StandardError,
    StandardNotFound,
    UsageError,
)
from conformance.results import CheckResult, Failure, LintIssue, Outcome
from conformance.standards.loader import StandardsRepository, content_digest, load_standard
from conformance.standards.model import Clause, ExportSpec, Level, Standard

__all__ = [
    "Candidate",
    "CandidateError",
    "CandidateUnreachable",
    "CheckResult",
    "Clause",
    "ConformanceError",
    "ExitCode",
    "ExportSpec",
    "Failure",
    "Level",
    "LintIssue",
    "Location",
    "Outcome",
    "Standard",
    "StandardError",
    "StandardNotFound",
    "StandardsRepository",
    "UsageError",
    "__version__",
    "content_digest",
    "load_candidate",
    "load_standard",
]
