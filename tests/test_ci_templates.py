"""The CI templates in docs/ci are valid YAML whose commands this suite's CLI accepts."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.cli import build_parser
from tests.conftest import ROOT

CI = ROOT / "docs" / "ci"


def _commands(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip().startswith("conformance run")]


def _parse_run(command: str, env: dict[str, str]) -> Any:
    expanded = command
    for name, value in env.items():
        expanded = expanded.replace(f"${name}", value)
    expanded = expanded.replace("${{ github.run_number }}", "17")
    expanded = expanded.replace("${{ github.run_id }}", "99").replace(
        "${{ github.run_attempt }}", "1"
    )
    expanded = expanded.replace("$CI_PIPELINE_IID", "17").replace("$CI_JOB_ID", "99")
    assert "$" not in expanded, expanded
    args = build_parser().parse_args(shlex.split(expanded)[1:])
    assert args.command == "run"
    return args


def _option(args: Any, name: str) -> Any:
    """An option's value, whatever its argparse destination is called."""
    (value,) = [v for k, v in vars(args).items() if k == name or k.endswith(f"_{name}")]
    return value


def test_github_actions_template(tmp_path: Path) -> None:
    workflow = yaml.safe_load((CI / "github-actions.yml").read_text(encoding="utf-8"))
    job = workflow["jobs"]["conformance"]
    assert job["timeout-minutes"] <= 60
    steps = job["steps"]
    run_step = next(s for s in steps if "conformance run" in s.get("run", ""))
    args = _parse_run(run_step["run"], job["env"])
    assert _option(args, "standard") == "gov.e-licence@1.1.0"
    assert _option(args, "seed") == 17
    assert _option(args, "reports_dir") == "reports"
    # the token comes from a secret, never from the file
    assert all(v.startswith("${{ secrets.") for v in run_step["env"].values())
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()"  # reports are kept when the gate fails
    assert upload["with"]["path"] == "reports/"
    assert any("pip install" in s.get("run", "") for s in steps)


def test_gitlab_template(tmp_path: Path) -> None:
    config = yaml.safe_load((CI / "gitlab-ci.yml").read_text(encoding="utf-8"))
    job = config["conformance"]
    script = "\n".join(job["script"])
    args = _parse_run(script.replace("\n", " "), job["variables"])
    assert _option(args, "candidate") == "conformance/candidate.yaml"
    assert _option(args, "run_id") == "gl-99"
    assert job["artifacts"]["when"] == "always"
    # GitLab shows JUnit from this glob: the suite writes reports/<run-id>/junit.xml
    assert job["artifacts"]["reports"]["junit"] == "reports/*/junit.xml"
    assert any("pip install" in line for line in job["before_script"])


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_templates_document_the_exit_codes(name: str) -> None:
    text = (CI / name).read_text(encoding="utf-8")
    assert "0 conforms | 1 does not conform | 2 usage or configuration error | 3 candidate" in text
    assert "report.html" in text
