"""A wheel of this checkout, and fresh virtualenvs to install it in, as a vendor would.

The wheel is built from a copy of the checkout (the checkout gets no build/ folder) with
``pip wheel --no-deps``; a fresh virtualenv (no system site-packages) installs it and its
dependencies from the package index, like any vendor's CI. Every step is bounded in time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

BUILD_TIMEOUT_S = 600
INSTALL_TIMEOUT_S = 1200
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", "reports", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".venv*"
)


def _check(done: subprocess.CompletedProcess[str], what: str) -> None:
    assert done.returncode == 0, f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"


def build_wheel(workdir: Path) -> Path:
    """``pip wheel`` of a copy of this checkout; the path of the wheel."""
    source = workdir / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    out = workdir / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    _check(done, "pip wheel")
    (wheel,) = out.glob("gov_conformance-*.whl")
    return wheel


def clean_env(bin_dir: Path, **extra: str) -> dict[str, str]:
    """An environment with only the virtualenv's programs first on PATH: nothing of this
    checkout (no PYTHONPATH, no CONFORMANCE_* variable); pip's own settings are kept."""
    keep = {k: v for k, v in os.environ.items() if k.startswith(("PIP_", "LANG", "LC_"))}
    for name in ("HOME", "TMPDIR", "SSL_CERT_FILE", "CI"):
        if name in os.environ:
            keep[name] = os.environ[name]
    return {**keep, "PATH": f"{bin_dir}{os.pathsep}/usr/local/bin:/usr/bin:/bin", **extra}


@dataclass(frozen=True)
class Venv:
    folder: Path

    @property
    def bin(self) -> Path:
        return self.folder / "bin"

    def run(
        self, *args: str, cwd: Path, timeout: float = 600, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args),
            cwd=cwd,
            env=clean_env(self.bin, **env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def fresh_venv(folder: Path, wheel: Path | None = None) -> Venv:
    """A new virtualenv (of the Python running the tests); with ``wheel``, that installed."""
    done = subprocess.run(
        [sys.executable, "-m", "venv", str(folder)],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    _check(done, "python -m venv")
    venv = Venv(folder)
    if wheel is not None:
        install = venv.run(
            "python", "-m", "pip", "install", "--quiet", str(wheel),
            cwd=folder, timeout=INSTALL_TIMEOUT_S,
        )  # fmt: skip
        _check(install, f"pip install {wheel.name}")
    return venv


def vendor_profile(base_url: str, token_env: str, exports: Path | str) -> dict[str, Any]:
    """The README's candidate.yaml of a vendor's licence system; ``exports`` holds
    licences.jsonl and licences.xml (a path relative to the profile's folder, or absolute)."""
    return {
        "identity": {"vendor": "某某科技有限公司", "system": "licence-hub", "version": "2.3.1"},
        "base_url": base_url,
        "auth": {"scheme": "bearer", "token_env": token_env},
        "claims": [
            {
                "standard": "gov.e-licence@1.1.0",
                "implements": ["LIC-API-008"],
                "exports": {
                    "licences-jsonl": f"{exports}/licences.jsonl",
                    "licences-xml": f"{exports}/licences.xml",
                },
            }
        ],
    }
