"""What CI runs (issue 13): the dependency ranges are true, each lower bound being what
CI's second step installs (.ci/lowest-constraints.txt) and runs the tests on; the property
tests run derandomized there."""

from __future__ import annotations

import os
import tomllib

from hypothesis import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import ROOT

CONSTRAINTS = ROOT / ".ci" / "lowest-constraints.txt"


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{CONSTRAINTS.name}: {line!r} is not NAME==VERSION"
            pins[canonicalize_name(name)] = version
    return pins


def test_every_runtime_dependency_has_its_lower_bound_pinned_for_ci() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    bounds: dict[str, str] = {}
    for text in project["dependencies"]:
        requirement = Requirement(text)
        (lower,) = [s.version for s in requirement.specifier if s.operator == ">="]
        bounds[canonicalize_name(requirement.name)] = lower
    pins = _pins()
    assert set(pins) == set(bounds)
    for name, lower in bounds.items():
        assert Version(pins[name]) == Version(lower), (name, pins[name], lower)  # 4.23 == 4.23.0
    assert project["requires-python"] == ">=3.11"  # the Python CI runs both steps on


def test_ci_runs_both_steps_with_the_ci_profile() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "\nexport CI=true" in script
    assert "-c .ci/lowest-constraints.txt" in script
    assert script.count("pytest -n 2") == 2  # newest, then lowest


def test_the_ci_profile_is_derandomized_without_a_deadline() -> None:
    profile = settings.get_profile("ci")
    assert profile.derandomize is True
    assert profile.deadline is None
    if os.environ.get("CI"):  # loaded by tests/conftest.py
        assert settings.default.derandomize is True
        assert settings.default.deadline is None


def test_ci_calls_the_test_command_the_readme_gives() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = (
        readme.split("Run the project's tests:", 1)[1].split("```sh\n", 1)[1].split("\n", 1)[0]
    )
    install, test = command.split(" && ")
    assert install.startswith("pip install ")
    assert install.removeprefix("pip install ") in script  # CI adds --upgrade to the same target
    assert f"\n{test}\n" in script


def test_an_installed_pytest_benchmark_cannot_break_a_parallel_run() -> None:
    # It warns under xdist at configure time, and warnings are errors here (CI machine, 2026-12-06).
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "-p no:benchmark" in project["tool"]["pytest"]["ini_options"]["addopts"]
