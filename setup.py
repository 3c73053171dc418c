"""Build step: the wheel carries the sample standards and the reference candidate.

The repository keeps them at its root (``standards/``, ``fixtures/reference_candidate/``), where
maintainers edit them; a wheel gets a copy under ``conformance/_samples/`` so that
``conformance standards list``, ``conformance demo`` and the README's examples work from a
wheel in an empty folder. The copy exists only in the built wheel, never in git; an editable
install reads the checkout's folders instead (``conformance/samples.py``). Everything else about
the package is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# what is copied, from the repository root, into conformance/_samples/
SAMPLES = ("standards", "fixtures/__init__.py", "fixtures/reference_candidate")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")


class BuildWithSamples(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "conformance" / "_samples"
        for name in SAMPLES:
            source, copy = ROOT / name, target / name
            copy.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, copy, ignore=SKIP, dirs_exist_ok=True)
            else:
                shutil.copyfile(source, copy)


setup(cmdclass={"build_py": BuildWithSamples})
