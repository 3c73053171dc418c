"""Where the sample standards and the reference candidate are.

A wheel carries them inside the package, under ``conformance/_samples/`` (copied there by the
build step in setup.py); a source checkout (an editable install) has them at its root, where
maintainers edit them. Read with importlib.resources, so nothing depends on the working folder.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["reference_candidate_folder", "sample_standards_folder"]

_CHECKOUT = Path(__file__).resolve().parents[1]


def _packaged(name: str) -> Path | None:
    found = resources.files("conformance").joinpath("_samples", name)
    return found if isinstance(found, Path) and found.is_dir() else None


def _checkout(*parts: str) -> Path | None:
    found = _CHECKOUT.joinpath(*parts)
    # a checkout has its pyproject.toml beside the package: never a stray folder elsewhere
    return found if (_CHECKOUT / "pyproject.toml").is_file() and found.is_dir() else None


def sample_standards_folder() -> Path | None:
    """The sample standards shipped with the suite (``<id>/<version>/`` folders)."""
    return _packaged("standards") or _checkout("standards")


def reference_candidate_folder() -> Path | None:
    """The reference candidate (``server.py``, ``candidate.yaml``, ``exports/``)."""
    packaged = _packaged("fixtures")
    if packaged is not None:
        return packaged / "reference_candidate"
    return _checkout("fixtures", "reference_candidate")
