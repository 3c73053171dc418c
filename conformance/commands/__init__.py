"""Sub-commands contributed by feature modules.

Each module in ``COMMAND_MODULES`` has ``register(sub, standards_sub)``: ``sub`` is the
top-level sub-parser set, ``standards_sub`` the one under ``conformance standards``. A
registered parser sets ``func`` (taking the parsed namespace, returning an exit code).
"""

from __future__ import annotations

import argparse
import importlib

COMMAND_MODULES: list[str] = [
    "conformance.commands.certify",
    "conformance.commands.review",
    "conformance.commands.registry",
    "conformance.commands.standards_lifecycle",
    "conformance.commands.merge",
    "conformance.commands.transparency",
    "conformance.commands.report",
    "conformance.commands.standards_bundle",
]


def register_all(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    standards_sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub, standards_sub)
