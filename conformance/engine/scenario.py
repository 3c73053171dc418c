"""What a scenario check may do: send bounded requests to operations and read the answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.engine.exchange import Exchange, RequestCase
from conformance.engine.openapi import Operation
from conformance.standards.model import ExportSpec

MAX_SCENARIO_REQUESTS = 60


class ScenarioBudgetExceeded(Exception):
    """A scenario tried to send more requests than it may."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} requests")
        self.limit = limit


@dataclass
class ScenarioContext:
    operation: Operation
    operations: list[Operation]
    example: RequestCase | None
    _send: Callable[[Operation, RequestCase, str | None], Exchange | None]
    sent: int = 0
    # A scenario that needs a longer conversation (a state machine) raises its own limit.
    limit: int = MAX_SCENARIO_REQUESTS
    seed: int = 0  # the task's seed for this scenario: same seed, same requests
    max_examples: int = 25
    # The steps that reproduce what the scenario found, in order (one curl each in the report).
    steps: list[Exchange] = field(default_factory=list)
    base_url: str = ""
    # The candidate's export files, by export name (for views shared by an export and the API).
    exports: dict[str, tuple[ExportSpec, Path]] = field(default_factory=dict)

    def send(
        self, case: RequestCase, operation: Operation | None = None, *, method: str | None = None
    ) -> Exchange | None:
        """Send one request (None when the candidate gave no response: timeout, refused)."""
        if self.sent >= self.limit:
            raise ScenarioBudgetExceeded(self.limit)
        self.sent += 1
        return self._send(operation or self.operation, case, method)

    def operation_by_id(self, operation_id: str) -> Operation | None:
        return next((op for op in self.operations if op.operation_id == operation_id), None)

    def base_case(self) -> RequestCase:
        """The documented example's required parts (optional filters would narrow results)."""
        if self.example is None:
            return RequestCase(source="scenario")
        required = {p.name for p in self.operation.parameters if p.required}
        return RequestCase(
            self.example.path_params,
            {k: v for k, v in self.example.query.items() if k in required},
            {k: v for k, v in self.example.headers.items() if k in required},
            self.example.body,
            source="scenario",
        )


def pointer_get(document: Any, pointer: str) -> Any:
    """The value at a JSON pointer, or raise LookupError."""
    if pointer in ("", "/"):
        return document
    for token in pointer.lstrip("/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(document, dict) and token in document:
            document = document[token]
        elif isinstance(document, list) and token.isdigit() and int(token) < len(document):
            document = document[int(token)]
        else:
            raise LookupError(pointer)
    return document
