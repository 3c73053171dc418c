"""The candidate profile (candidate.yaml): who the system is and what it claims.

The secret itself never appears in the profile: it names an environment variable.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from jsonschema import Draft202012Validator

from conformance.controls import control_in
from conformance.errors import CandidateError, ConformanceError, Location
from conformance.redaction import Secret, bad_secret_reason, base_url_credentials, register
from conformance.standards._documents import join_pointer, load_document

__all__ = ["Auth", "Candidate", "Claim", "load_candidate"]


@cache
def _validator() -> Draft202012Validator:
    text = resources.files("conformance").joinpath("schemas/candidate.schema.json").read_text()
    return Draft202012Validator(json.loads(text))


@dataclass(frozen=True)
class Auth:
    scheme: str  # bearer | api-key
    token_env: str
    header: str | None = None

    def secret(self) -> Secret:
        """The secret, read from its variable and registered for redaction at every sink; a
        value no header can carry (a line break, a control character) is bad input, and
        no part of it is shown."""
        value = os.environ.get(self.token_env)
        what = "bearer token" if self.scheme == "bearer" else "API key"
        if not value:
            raise CandidateError(
                f"environment variable {self.token_env} is not set; expected it to hold the "
                f"candidate's {what}"
            )
        secret = register(value)  # registered first: nothing after this can print it
        reason = bad_secret_reason(value)
        if reason is not None:
            raise CandidateError(
                f"environment variable {self.token_env} {reason}; expected the candidate's "
                f"{what} on one line (its value is not shown)"
            )
        return secret

    def headers(self, secret: str) -> dict[str, str]:
        if self.scheme == "bearer":
            return {"Authorization": f"Bearer {secret}"}
        return {self.header or "X-API-Key": secret}

    def shell_headers(self) -> dict[str, str]:
        """The same headers, with the secret as a shell variable reference (for curl lines)."""
        return self.headers(f"${{{self.token_env}}}")


@dataclass(frozen=True)
class Claim:
    standard: str
    implements: frozenset[str] = frozenset()
    exports: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    vendor: str
    system: str
    version: str
    base_url: str | None
    auth: Auth | None
    claims: tuple[Claim, ...]
    path: Path
    ca_bundle: Path | None = None  # CAs trusted for an https base_url (relative to the file)

    def claim(self, ref: str) -> Claim:
        for claim in self.claims:
            if claim.standard == ref:
                return claim
        claimed = ", ".join(c.standard for c in self.claims)
        raise CandidateError(
            f"candidate does not claim standard={ref!r}; it claims: {claimed}",
            self.location("/claims"),
        )

    def location(self, pointer: str) -> Location:
        """Where ``pointer`` is in the profile file: the file, its line when found, the
        pointer (the file is read again: only when a problem is to be named)."""
        try:
            return load_document(self.path).location(pointer)
        except ConformanceError:  # changed since it was read: the pointer still says where
            return Location(self.path, None, pointer)

    def identity(self) -> dict[str, str]:
        return {"vendor": self.vendor, "system": self.system, "version": self.version}


def _refuse_controls(text: str, where: Location, field: str) -> None:
    """An identity that gets signed (run attestations, certificates) holds no control or
    bidirectional character: it would show one thing and sign another (issue 15 item 7)."""
    found = control_in(text)
    if found is not None:
        raise CandidateError(
            f"{field} holds the control character {found}; a signed identity must be plain text",
            where,
        )


def refuse_base_url_credentials(name: str) -> str:
    """The one line refusing user info in a base URL (none of the URL is shown)."""
    return (
        f"{name} holds credentials (user:password@); a secret in a URL would reach every "
        "report: remove them and put the secret in the environment variable named by "
        "auth.token_env"
    )


def load_candidate(path: Path) -> Candidate:
    try:
        doc = load_document(path)
    except ConformanceError as exc:
        raise CandidateError(exc.message, exc.location) from None
    if not isinstance(doc.data, dict):
        raise CandidateError("expected a mapping at the top of the file", doc.location(""))
    base_url = doc.data.get("base_url")
    if isinstance(base_url, str) and base_url_credentials(base_url):  # before any message shows it
        raise CandidateError(refuse_base_url_credentials("base_url"), doc.location("/base_url"))
    for error in sorted(_validator().iter_errors(doc.data), key=lambda e: list(e.path)):
        pointer = join_pointer("", *error.absolute_path)
        raise CandidateError(f"{error.message} (rule {error.validator})", doc.location(pointer))
    data = doc.data
    base = path.resolve().parent
    auth = None
    if "auth" in data:
        raw = data["auth"]
        auth = Auth(raw["scheme"], raw["token_env"], raw.get("header"))
    claims = tuple(
        Claim(
            standard=raw["standard"],
            implements=frozenset(raw.get("implements", ())),
            exports={name: base / rel for name, rel in (raw.get("exports") or {}).items()},
        )
        for raw in data["claims"]
    )
    identity = data["identity"]
    for name in ("vendor", "system", "version"):
        _refuse_controls(identity[name], doc.location(f"/identity/{name}"), f"identity.{name}")
    return Candidate(
        vendor=identity["vendor"],
        system=identity["system"],
        version=identity["version"],
        base_url=data.get("base_url", "").rstrip("/") or None,
        auth=auth,
        claims=claims,
        path=path.resolve(),
        ca_bundle=base / data["ca_bundle"] if "ca_bundle" in data else None,
    )
