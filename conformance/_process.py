"""Settings of the ``conformance`` program's own process, made before numpy loads."""

from __future__ import annotations

import os
import sys

BLAS_THREADS = "OPENBLAS_NUM_THREADS"


def single_threaded_blas() -> bool:
    """Ask numpy's OpenBLAS for one thread, unless the user chose a number or numpy is
    already loaded; whether it asked.

    The suite's numpy work is small arrays (check characters, key hashes), where BLAS
    threads gain nothing; yet OpenBLAS starts a worker per core when numpy loads, and the
    workers spin before they sleep, CPU time the run pays for nothing
    (bench/blas_workers.py). Only the program does this: an embedding process keeps its
    own numpy settings."""
    if "numpy" in sys.modules or BLAS_THREADS in os.environ:
        return False
    os.environ[BLAS_THREADS] = "1"
    return True
