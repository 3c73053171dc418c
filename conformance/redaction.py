"""Secrets never leave: one redactor, applied at every sink (issue 15 item 2).

A secret is registered once, when it is read (:func:`register`, called by
``candidate.Auth.secret`` and the key passphrase readers); every sink (the engine's evidence,
results.json, JUnit, report.html, certificates, curl lines, the terminal, error lines and
tracebacks) passes its text through :func:`redact` or :func:`redact_data`, or through a
:class:`Redactor` built for one run.  A value is replaced in every form a candidate or a
message can give it: as read and stripped, ``repr``'d, JSON-escaped (``\\/`` included),
HTML-escaped, percent-encoded in either case (``+`` for spaces too), and the part of its
base64 encodings (both alphabets) that it alone decides, whatever precedes it.  Matching
ignores case, so a header name that a server lowercased is found too.

The values layer: every layer may import it.
"""

from __future__ import annotations

import base64
import html
import json
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

__all__ = [
    "REDACTED",
    "Redactor",
    "Secret",
    "bad_secret_reason",
    "base_url_credentials",
    "redact",
    "redact_data",
    "register",
    "registered",
    "secret_forms",
]

REDACTED = "[REDACTED]"
MIN_BASE64_CORE = 8  # shorter base64 fragments would match unrelated text
# The process's sinks (results.json, the reports, the terminal) redact a registered secret of
# at least this many characters: a shorter one ("t", a test's token) would match words and
# digests everywhere.  A run's own redactor still replaces any secret in its evidence.
MIN_REGISTERED = 8

# A secret that is one of these is bad input: a header cannot carry it, and printing any
# part of it would put the secret on a terminal (C0 and C1 controls, DEL, line separators).
_BAD_IN_SECRET = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _percent_forms(value: str) -> set[str]:
    return {quote(value, safe=""), quote(value), quote_plus(value), quote_plus(value, safe="/")}


def _repr_forms(value: str) -> set[str]:
    """What ``repr`` and ``ascii`` show between the quotes, with either quote character."""
    forms = set()
    for show in (repr, ascii):
        quoted = show("'\"" + value)[4:-1]  # both quotes: repr picks ' and escapes it
        forms |= {quoted, quoted.replace("\\'", "'")}
    return forms


def _json_forms(value: str) -> set[str]:
    forms = {json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    return forms | {f.replace("/", "\\/") for f in forms}


def _base64_cores(value: str) -> set[str]:
    """The characters of base64 text that encode only the value's bytes, for each of the
    three alignments a prefix (``Bearer ``, ``user:``) can give it, in both alphabets."""
    raw = value.encode("utf-8")
    cores = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode("ascii")
        start = -(-offset * 4 // 3)  # characters touched by the offset's bytes
        end = (offset + len(raw)) // 3 * 4  # whole groups of the value only
        core = encoded[start:end]
        if len(core) >= MIN_BASE64_CORE:
            cores |= {core, core.replace("+", "-").replace("/", "_")}
    return cores


def secret_forms(secret: str) -> list[str]:
    """Every form of ``secret`` a redactor replaces, longest first."""
    forms: set[str] = set()
    for value in {secret, secret.strip()}:
        if not value:
            continue
        forms.add(value)
        forms |= _repr_forms(value)
        forms |= _json_forms(value)
        forms |= {html.escape(value), html.escape(value, quote=False)}
        forms |= {html.escape(value).replace("&#x27;", "&#39;")}
        forms |= _percent_forms(value)
        forms |= _base64_cores(value)
    return sorted((f for f in forms if f), key=lambda f: (-len(f), f))


class Secret(str):
    """A secret's value; its ``repr`` never shows it (a traceback's local variables)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Secret({REDACTED})"


class Redactor:
    """Replaces every form of some secret values in text shown to anyone."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.longest = 0
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        new = {str(s) for s in secrets if s and str(s).strip()} - self._values
        if not new:
            return
        self._values |= new
        forms = sorted(
            {f for s in self._values for f in secret_forms(s)}, key=lambda f: (-len(f), f)
        )
        self.secrets = forms
        self.longest = len(forms[0])
        self._pattern = re.compile("|".join(re.escape(f) for f in forms), re.IGNORECASE)

    def __bool__(self) -> bool:
        return self._pattern is not None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self._values)} secret(s))"

    def text(self, value: str) -> str:
        if self._pattern is None:
            return value
        return self._pattern.sub(REDACTED, value)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Header names and values, both redacted (a candidate may send the secret as a name)."""
        return {self.text(k): self.text(v) for k, v in headers.items()}

    def data(self, value: Any) -> Any:
        """A JSON-like value with every string in it (keys too) redacted."""
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.data(k): self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value


# The process's secrets: what every sink that has no run at hand redacts with.
_PROCESS = Redactor()
_LOCK = threading.Lock()


def register(secret: str) -> Secret:
    """Record a secret just read; every sink redacts it from now on.  Returns it wrapped."""
    if len(secret.strip()) >= MIN_REGISTERED:
        with _LOCK:
            _PROCESS.add(secret)
    return Secret(secret)


def registered() -> list[str]:
    """The secret values registered in this process (for a run's own redactor)."""
    return sorted(_PROCESS._values)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced, in every form."""
    return _PROCESS.text(text)


def redact_data(value: Any) -> Any:
    """A JSON-like value with every registered secret replaced in its strings."""
    return _PROCESS.data(value)


def bad_secret_reason(value: str) -> str | None:
    """Why a secret's value cannot be used, in words that show none of it; None if it can."""
    match = _BAD_IN_SECRET.search(value)
    if match is None:
        return None
    char = match.group()
    if char in "\r\n":
        where = "ends with" if value.rstrip("\r\n") != value and value.strip() else "holds"
        return f"{where} a line break (CR or LF)"
    return f"holds a control character (U+{ord(char):04X})"


def base_url_credentials(url: str) -> bool:
    """Whether a base URL carries user info (``user:password@host``): a secret in a URL
    would reach every report, so it is refused; the secret belongs in the environment."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "@" in url
    return "@" in parts.netloc
