"""Messages a reviewer reads, by stable id, from one catalog in zh-CN and en.

A producer (a check, an export issue, the verdict) keeps writing its English text and puts a
:class:`Message` next to it: a stable id and the data values it names (pointers, field
names, values, counts), kept verbatim.  Reporters render the message in the language asked
for from the gettext catalogs ``conformance/locale/<lang>/LC_MESSAGES/conformance.po``, read
with Babel.  A message's text is a Python ``str.format`` template over its parameters
(``{name}``); a parameter may itself be a message (rendered in the same language).

Rendering never fails on a report: an id missing from a catalog falls back to the other
language, then to the id and its parameters.
"""

from __future__ import annotations

import html
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "Message",
    "catalog",
    "en",
    "message_from",
    "msg",
    "placeholders",
    "render",
    "render_html",
]

LANGS = ("zh-CN", "en")
DEFAULT_LANG = "zh-CN"
_FOLDERS = {"zh-CN": "zh_CN", "en": "en"}
_FORMATTER = string.Formatter()


@dataclass(frozen=True)
class Message:
    """A stable message id and its parameters (data values, kept verbatim)."""

    id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "params": {
                k: v.as_dict() if isinstance(v, Message) else v for k, v in self.params.items()
            },
        }


def msg(message_id: str, **params: Any) -> Message:
    """``Message(id, params)`` with the parameters as keywords."""
    return Message(message_id, params)


def message_from(data: Any) -> Message | None:
    """The message of a results.json ``{"id", "params"}`` object; None for anything else."""
    if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
        return None
    params = data.get("params")
    params = params if isinstance(params, Mapping) else {}
    return Message(
        data["id"],
        {k: message_from(v) or v if isinstance(v, Mapping) else v for k, v in params.items()},
    )


@cache
def catalog(lang: str) -> dict[str, str]:
    """Message id -> template of one language, read from its .po file with Babel."""
    from babel.messages.pofile import read_po

    folder = _FOLDERS[lang]
    source = resources.files("conformance").joinpath(f"locale/{folder}/LC_MESSAGES/conformance.po")
    with source.open("rb") as handle:
        parsed = read_po(handle, locale=folder)
    return {str(m.id): str(m.string) for m in parsed if m.id and isinstance(m.id, str)}


def placeholders(template: str) -> set[str]:
    """The parameter names a template uses."""
    return {name for _, name, _, _ in _FORMATTER.parse(template) if name}


def _template(message_id: str, lang: str) -> str | None:
    for candidate in (lang, *[other for other in LANGS if other != lang]):
        text = catalog(candidate).get(message_id)
        if text:
            return text
    return None


def _pieces(message: Message, lang: str) -> Iterable[tuple[str, Any]]:
    """("text", literal) and ("param", value) pieces of a rendered message."""
    template = _template(message.id, lang)
    if template is None:  # never raise on a report: show the id and its data
        yield ("text", message.id)
        for name, value in message.params.items():
            yield ("text", f" {name}=")
            yield ("param", value)
        return
    for literal, field_name, _, _ in _FORMATTER.parse(template):
        if literal:
            yield ("text", literal)
        if field_name is not None:
            yield ("param", message.params.get(field_name, "{" + field_name + "}"))


def _value(value: Any, lang: str) -> str:
    return render(value, lang) if isinstance(value, Message) else str(value)


def render(message: Message, lang: str = DEFAULT_LANG) -> str:
    """Plain text of ``message`` in ``lang``."""
    return "".join(
        part if kind == "text" else _value(part, lang) for kind, part in _pieces(message, lang)
    )


def render_html(message: Message, lang: str) -> str:
    """Escaped HTML of ``message``: data values in ``<code class="v">``, nested messages inline."""
    out = []
    for kind, part in _pieces(message, lang):
        if kind == "text":
            out.append(html.escape(part, quote=True))
        elif isinstance(part, Message):
            out.append(render_html(part, lang))
        else:
            out.append(f'<code class="v">{html.escape(str(part), quote=True)}</code>')
    return "".join(out)


def en(message: Message) -> str:
    """The English text of ``message`` (what results.json and JUnit keep as ``message``)."""
    return render(message, "en")
