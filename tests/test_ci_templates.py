"""The vendor CI templates in docs/ci work as written (issue 13, item 5).

The fast tests check their shape: the command lines this suite's CLI accepts, secrets from
the CI system, reports kept always. The slow one runs each template's shell steps as the CI
system would: in a fresh virtualenv, from a freshly built wheel, in an empty folder holding
only the vendor's files (no clone of this repository), with the province's signed standards
bundle served over HTTP on 127.0.0.1; against the reference candidate, conforming (exit 0)
and with a fault switched on (exit 1, the job fails, the reports and JUnit are still kept).
"""

from __future__ import annotations

import functools
import http.server
import re
import shlex
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import etree

from conformance.cli import build_parser
from tests.conftest import FIXTURE, ROOT, run_cli
from tests.packaging import Venv, clean_env, fresh_venv, vendor_profile

CI = ROOT / "docs" / "ci"
TOKEN_VARIABLE = "LICENCE_HUB_TOKEN"  # the templates' secret, named in the candidate.yaml
GITHUB_EXPRESSIONS = {
    "${{ github.run_number }}": "17",
    "${{ github.run_id }}": "99",
    "${{ github.run_attempt }}": "1",
}
GITLAB_VARIABLES = {"CI_PIPELINE_IID": "17", "CI_JOB_ID": "99"}
STEP_TIMEOUT_S = 900


def _github() -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load((CI / "github-actions.yml").read_text("utf-8"))
    job: dict[str, Any] = workflow["jobs"]["conformance"]
    return job


def _gitlab() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((CI / "gitlab-ci.yml").read_text("utf-8"))
    job: dict[str, Any] = config["conformance"]
    return job


# -- shape ----------------------------------------------------------------------------------


def _parse_run(command: str, env: dict[str, str]) -> Any:
    expanded = command
    for old, new in {**GITHUB_EXPRESSIONS, **GITLAB_VARIABLES}.items():
        expanded = expanded.replace(old if old.startswith("$") else f"${old}", new)
    for name in sorted(env, key=len, reverse=True):  # $STANDARDS_TRUST_KEY before $STANDARD
        expanded = expanded.replace(f"${name}", env[name])
    assert "$" not in expanded, expanded
    args = build_parser().parse_args(shlex.split(expanded)[1:])
    assert args.command == "run"
    return args


def _option(args: Any, name: str) -> Any:
    """An option's value, whatever its argparse destination is called."""
    (value,) = [v for k, v in vars(args).items() if k == name or k.endswith(f"_{name}")]
    return value


def test_github_actions_template() -> None:
    job = _github()
    assert job["timeout-minutes"] <= 60
    steps = job["steps"]
    run_step = next(s for s in steps if "conformance run" in s.get("run", ""))
    args = _parse_run(run_step["run"], job["env"])
    assert _option(args, "standard") == "gov.e-licence@1.1.0"
    assert _option(args, "seed") == 17
    assert _option(args, "reports_dir") == "reports"
    assert _option(args, "standards_dirs") == ["standards.bundle"]
    assert _option(args, "standards_trust") == [job["env"]["STANDARDS_TRUST_KEY"]]
    # the token comes from a secret, never from the file
    assert all(v.startswith("${{ secrets.") for v in run_step["env"].values())
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()"  # reports are kept when the gate fails
    assert upload["with"]["path"] == "reports/"
    summary = next(s for s in steps if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert summary["if"] == "always()"


def test_gitlab_template() -> None:
    job = _gitlab()
    script = " ".join(job["script"])
    args = _parse_run(script, job["variables"])
    assert _option(args, "candidate") == "conformance/candidate.yaml"
    assert _option(args, "run_id") == "gl-99"
    assert _option(args, "standards_dirs") == ["standards.bundle"]
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["paths"] == ["reports/"]
    # GitLab shows JUnit from this glob: the suite writes reports/<run-id>/junit.xml
    assert job["artifacts"]["reports"]["junit"] == "reports/*/junit.xml"


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml", "standards-repo-ci.yml"])
def test_templates_install_a_pinned_suite_never_an_index_name(name: str) -> None:
    text = (CI / name).read_text(encoding="utf-8")
    installs = re.findall(r"pip install (.*)", text)
    assert installs == ['"$CONFORMANCE_PACKAGE"'], installs
    (package,) = re.findall(r'CONFORMANCE_PACKAGE: "(.*)"', text)
    # a git URL at a tag (or a wheel's URL): nothing an index would have to resolve
    assert re.fullmatch(r"gov-conformance @ git\+https://\S+\.git@v\d+\.\d+\.\d+", package)


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_templates_document_the_exit_codes(name: str) -> None:
    text = (CI / name).read_text(encoding="utf-8")
    assert "0 conforms | 1 does not conform | 2 usage or configuration error | 3 candidate" in text
    assert "report.html" in text


# -- the steps, run ---------------------------------------------------------------------------


@dataclass
class Job:
    """What a CI system would show for one job."""

    codes: dict[str, int] = field(default_factory=dict)  # step -> exit code
    output: str = ""

    @property
    def passed(self) -> bool:
        return all(code == 0 for code in self.codes.values())


def _bash(script: str, cwd: Path, venv: Venv, env: dict[str, str]) -> tuple[int, str]:
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env={**_venv_env(venv), **env},
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT_S,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def _venv_env(venv: Venv) -> dict[str, str]:
    return clean_env(venv.bin)


def run_github_job(
    job: dict[str, Any], repo: Path, venv: Venv, variables: dict[str, str], token: str
) -> Job:
    """The job's steps in order, as GitHub runs them: a failed step skips the later ones
    except those marked ``if: always()``; ``uses:`` steps are what the test set up."""
    result = Job()
    summary = repo.parent / "step-summary.md"
    env = {**job["env"], **variables, "GITHUB_STEP_SUMMARY": str(summary)}
    for step in job["steps"]:
        if "uses" in step:  # checkout: the repo folder; setup-python: the venv; upload: checked
            continue
        name = step["name"]
        if "(your system)" in name:  # the test started the reference candidate itself
            continue
        if not result.passed and step.get("if") != "always()":
            continue
        expressions = {**GITHUB_EXPRESSIONS, f"${{{{ secrets.{TOKEN_VARIABLE} }}}}": token}
        script = step["run"]
        step_env = dict(step.get("env", {}))
        for old, new in expressions.items():
            script = script.replace(old, new)
            step_env = {k: v.replace(old, new) for k, v in step_env.items()}
        assert "${{" not in script + "".join(step_env.values()), script
        code, output = _bash(script, repo, venv, {**env, **step_env})
        result.codes[name] = code
        result.output += f"--- {name}: exit {code}\n{output}"
    result.output += summary.read_text(encoding="utf-8") if summary.exists() else ""
    return result


def run_gitlab_job(job: dict[str, Any], repo: Path, venv: Venv, variables: dict[str, str]) -> Job:
    """before_script then script, as one shell that stops at the first failing command."""
    result = Job()
    env = {**job["variables"], **GITLAB_VARIABLES, **variables}
    for part in ("before_script", "script"):
        if not result.passed:
            break
        code, output = _bash("\n".join(job[part]), repo, venv, env)
        result.codes[part] = code
        result.output += f"--- {part}: exit {code}\n{output}"
    return result


@pytest.fixture
def bundle_url(tmp_path: Path) -> Iterator[Callable[[Path], str]]:
    """Serve files over HTTP on 127.0.0.1 (an ephemeral port); the URL of one."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def url(path: Path) -> str:
        shutil.copyfile(path, served / path.name)
        return f"http://127.0.0.1:{server.server_address[1]}/{path.name}"

    yield url
    server.shutdown()
    server.server_close()


def vendor_repo(folder: Path, base_url: str, public_key: Path) -> Path:
    """What a vendor's repository holds: candidate.yaml, its exports, the province's key."""
    (folder / "conformance").mkdir(parents=True)
    exports = folder / "out"
    shutil.copytree(FIXTURE / "exports" / "gov.e-licence", exports)
    profile = vendor_profile(base_url, TOKEN_VARIABLE, "../out")
    candidate = folder / "conformance" / "candidate.yaml"
    candidate.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    shutil.copyfile(public_key, folder / "conformance" / "province.pub.pem")
    return folder


def _junit(repo: Path) -> etree._Element:
    (path,) = repo.glob("reports/*/junit.xml")  # the glob GitLab's artifacts:reports:junit uses
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.parse(str(path), parser).getroot()


@pytest.mark.slow
@pytest.mark.packaging
@pytest.mark.parametrize("template", ["github-actions", "gitlab-ci"])
def test_template_steps_gate_on_the_exit_code_from_a_wheel(
    template: str,
    wheel: Path,
    tmp_path: Path,
    reference_url: str,
    faulty_server: Callable[..., str],
    token: str,
    bundle_url: Callable[[Path], str],
) -> None:
    keys = tmp_path / "keys"
    assert run_cli("keygen", "--out", str(keys), "--name", "province").code == 0
    bundle = tmp_path / "gov-standards.bundle"
    packed = run_cli(
        "standards", "pack", "gov.e-licence@1.1.0", "--out", str(bundle),
        "--key", str(keys / "province.key.pem"), "--standards", str(ROOT / "standards"),
    )  # fmt: skip
    assert packed.code == 0, packed.err
    venv = fresh_venv(tmp_path / "venv")  # the CI image's Python, with nothing installed
    # what the vendor sets: the wheel the province publishes, the bundle's URL
    variables = {"CONFORMANCE_PACKAGE": str(wheel), "STANDARDS_BUNDLE_URL": bundle_url(bundle)}

    def job(name: str, base_url: str) -> tuple[Job, Path]:
        repo = vendor_repo(tmp_path / name / "repo", base_url, keys / "province.pub.pem")
        if template == "github-actions":
            done = run_github_job(_github(), repo, venv, variables, token)
        else:
            done = run_gitlab_job(_gitlab(), repo, venv, {**variables, TOKEN_VARIABLE: token})
        assert token not in done.output
        return done, repo

    conforming, repo = job("conforming", reference_url)
    assert conforming.passed, conforming.output[-6000:]
    assert "conformance: seed=17" in conforming.output
    suite = _junit(repo)
    assert int(suite.get("tests") or next(suite.iter("testsuite")).get("tests", "0")) > 10
    if template == "github-actions":
        assert "| suite | tests | failures | errors | skipped |" in conforming.output
        assert "failed: `" not in conforming.output

    failing, repo = job("failing", faulty_server("wrong-date-format"))
    assert not failing.passed
    run_step = "Run the conformance suite" if template == "github-actions" else "script"
    assert failing.codes[run_step] == 1, failing.output[-6000:]  # does not conform
    assert (repo / "reports").is_dir()  # kept as artifacts: `when: always` / `if: always()`
    failures = [c for c in _junit(repo).iter("testcase") if c.find("failure") is not None]
    assert failures
    if template == "github-actions":
        assert failing.codes["Test summary"] == 0
        assert "failed: `" in failing.output
