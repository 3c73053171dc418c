"""The ``conformance`` program's own process: numpy's OpenBLAS asked for one thread.

Each case is a fresh interpreter: whether numpy is loaded, and what its environment says,
decide the outcome, and this test process has numpy loaded already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conformance._process import BLAS_THREADS

pytestmark = pytest.mark.skipif(
    not os.path.isdir("/proc/self/task"), reason="threads are counted in /proc"
)

# ``setup`` runs first; then numpy loads and the process reports its threads and setting
PROBE = """
import json, os, sys
{setup}
import numpy
print(json.dumps({{"asked": asked, "threads": len(os.listdir("/proc/self/task")),
                   "setting": os.environ.get("OPENBLAS_NUM_THREADS")}}))
"""


def _probe(setup: str, blas: str | None = None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != BLAS_THREADS}
    if blas is not None:
        env[BLAS_THREADS] = blas
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(setup=setup)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    found: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


ASK = "from conformance._process import single_threaded_blas\nasked = single_threaded_blas()"


def test_asks_for_one_thread_before_numpy_loads() -> None:
    found = _probe(ASK)
    assert found == {"asked": True, "threads": 1, "setting": "1"}


def test_a_users_setting_is_kept() -> None:
    found = _probe(ASK, blas="2")
    assert found["asked"] is False
    assert found["setting"] == "2"


def test_numpy_already_loaded_is_left_alone() -> None:
    found = _probe("import numpy\n" + ASK)
    assert found["asked"] is False
    assert found["setting"] is None


PROGRAM = """
from conformance.cli import main
sys.argv = ["conformance", "--version"]
try:
    main({argv})
except SystemExit:
    pass
asked = None
"""


def test_the_program_asks_and_a_call_with_arguments_does_not() -> None:
    assert _probe(PROGRAM.format(argv=""))["setting"] == "1"
    assert _probe(PROGRAM.format(argv='["--version"]'))["setting"] is None
