"""The CJK font a report embeds: a subset of exactly the characters it shows.

Without a CJK font on the reader's machine, Chinese text shows as boxes.  Every report
(report.html, certificate.html) therefore embeds, as a ``data:`` URL in its inline style,
a WOFF subset of Noto Sans CJK SC Regular (SIL Open Font License 1.1, see
``assets/fonts/OFL.txt``) holding the glyphs of the non-ASCII characters the page uses,
made with fontTools when the report is written.

Where the glyphs come from:

1. the package's own subset (``assets/fonts/report-cjk.woff``, about 700 characters:
   every character of the message catalog and of the sample standards; a test keeps it
   covering the catalog) serves every character it has;
2. the rest (a candidate's names, say) come from the full font when the machine has it:
   ``CONFORMANCE_CJK_FONT`` (a file), else Debian's and other distributions' Noto Sans CJK
   (``apt-get install fonts-noto-cjk``), in a second face limited to them;
3. characters neither has are named in the report's footer (the reader's fonts may have
   them).

``python -m conformance.reporting.fonts FONT`` rebuilds the package's subset from a full
Noto Sans CJK file (a .ttc or the SC .otf).
"""

from __future__ import annotations

import base64
import io
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from conformance.i18n import LANGS, Message, catalog, render_html

__all__ = ["FAMILY", "EmbeddedFont", "embedded_font", "find_full_font", "font_characters"]

FAMILY = "Report CJK"
BUNDLED = "reporting/assets/fonts/report-cjk.woff"
FONT_ENV = "CONFORMANCE_CJK_FONT"
# Noto Sans CJK as distributions install it (Debian and Ubuntu's fonts-noto-cjk first).
SYSTEM_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
)
FACE = "Noto Sans CJK SC"
# name records kept in a subset: copyright, names, version, licence and its URL
NAME_IDS = (0, 1, 2, 3, 4, 5, 6, 7, 13, 14)


@dataclass(frozen=True)
class EmbeddedFont:
    """What a page embeds: the CSS (an @font-face with a data: URL), a footer note."""

    css: str
    note: str
    size: int  # bytes of the WOFF file
    characters: frozenset[str]  # the characters it has glyphs for
    missing: frozenset[str]  # characters of the page no embedded glyph covers
    source: str  # "bundled" or the full font's path


def font_characters(text: str) -> frozenset[str]:
    """The characters of ``text`` a report embeds glyphs for: every non-ASCII one that is
    not a control, a surrogate or a variation selector."""
    return frozenset(
        c
        for c in text
        if ord(c) > 0x7F
        and not 0x80 <= ord(c) < 0xA0
        and not 0xD800 <= ord(c) < 0xE000
        and not 0xFE00 <= ord(c) <= 0xFE0F
    )


def find_full_font() -> Path | None:
    """The full Noto Sans CJK on this machine, if any (``CONFORMANCE_CJK_FONT`` first)."""
    named = os.environ.get(FONT_ENV)
    candidates = [Path(named)] if named else []
    candidates += [Path(p) for p in SYSTEM_FONTS]
    return next((p for p in candidates if p.is_file()), None)


def _open(source: Path | bytes) -> Any:
    from fontTools.ttLib import TTCollection, TTFont

    if isinstance(source, bytes):  # the package's subset: already flat, bounds kept
        return TTFont(io.BytesIO(source), lazy=True, recalcBBoxes=False)
    if source.suffix.lower() in (".ttc", ".otc"):
        collection = TTCollection(str(source), lazy=True)
        try:
            names = [font["name"].getDebugName(1) for font in collection.fonts]
        finally:
            collection.close()
        index = names.index(FACE) if FACE in names else 0
        return TTFont(str(source), fontNumber=index, lazy=True)
    return TTFont(str(source), lazy=True)


def _cmap(source: Path | bytes) -> frozenset[str]:
    font = _open(source)
    try:
        return frozenset(chr(code) for code in font.getBestCmap())
    finally:
        font.close()


def subset(source: Path | bytes, characters: Iterable[str]) -> bytes:
    """A WOFF font with the glyphs of ``characters`` that ``source`` has, nothing else."""
    from fontTools import subset as ft_subset

    font = _open(source)
    options = ft_subset.Options()
    # The package's subset is already flat and unhinted: leaving it so skips running every
    # charstring.  A full font loses its hints and subroutines (smaller, compresses better).
    bundled = isinstance(source, bytes)
    options.hinting = bundled
    options.desubroutinize = not bundled
    options.recalc_bounds = False  # the source's bounds still hold; recomputing costs half
    options.name_IDs = list(NAME_IDS)  # the copyright and licence records stay
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.flavor = "woff"
    # Chinese text needs no shaping: the layout and vertical tables go (a third of the size)
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx"]
    try:
        subsetter = ft_subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(ord(c) for c in characters))
        subsetter.subset(font)
        out = io.BytesIO()
        font.flavor = "woff"
        font.save(out)
    finally:
        font.close()
    return out.getvalue()


@lru_cache(maxsize=4)
def _bundled() -> bytes:
    return resources.files("conformance").joinpath(BUNDLED).read_bytes()


@lru_cache(maxsize=4)
def _bundled_characters() -> frozenset[str]:
    return _cmap(_bundled())


@lru_cache(maxsize=2)
def _full_characters(path: Path) -> frozenset[str]:
    return _cmap(path)


def _ranges(characters: Iterable[str]) -> str:
    """A CSS unicode-range listing exactly ``characters`` (runs merged)."""
    codes = sorted(ord(c) for c in characters)
    runs: list[list[int]] = []
    for code in codes:
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in runs)


def _face(data: bytes, characters: Iterable[str] | None = None) -> str:
    url = "data:font/woff;base64," + base64.b64encode(data).decode("ascii")
    scope = f" unicode-range: {_ranges(characters)};" if characters is not None else ""
    return (
        f'\n@font-face {{ font-family: "{FAMILY}"; font-style: normal; font-weight: 400; '
        f'src: url("{url}") format("woff");{scope} }}'
    )


@lru_cache(maxsize=64)
def _embedded(needed: frozenset[str], full: Path | None) -> EmbeddedFont:
    """The package's subset serves what it has; the full font, when there is one, only the
    rest (subsetting a few characters of it costs about a second, all of them several), in a
    second face of the same family limited to those characters by its unicode-range."""
    from_bundled = needed & _bundled_characters()
    rest = needed - from_bundled
    extra = rest & _full_characters(full) if rest and full is not None else frozenset()
    missing = frozenset(rest - extra)
    css, size = "", 0
    if from_bundled:
        data = subset(_bundled(), from_bundled)
        css, size = css + _face(data), size + len(data)
    if extra:
        assert full is not None
        data = subset(full, extra)
        css, size = css + _face(data, extra), size + len(data)
    source = str(full) if extra else "bundled"
    covered = frozenset(from_bundled | extra)
    return EmbeddedFont(
        css + "\n" if css else "", _note(size, missing), size, covered, missing, source
    )


def _note(size: int, missing: frozenset[str]) -> str:
    parts = []
    if size:
        parts.append(Message("font.embedded", {"size": f"{size:,}"}))
    if missing:
        shown = "".join(sorted(missing)[:40]) + ("…" if len(missing) > 40 else "")
        parts.append(Message("font.missing", {"count": len(missing), "characters": shown}))
    spans = "".join(
        f'<span class="{"zh" if lang == "zh-CN" else "en"}" lang="{lang}">'
        + " ".join(render_html(m, lang) for m in parts)
        + "</span>"
        for lang in LANGS
    )
    return f' <span class="font-note">{spans}</span>' if parts else ""


def embedded_font(text: str) -> EmbeddedFont:
    """The font a page showing ``text`` embeds (its note names the font's licence and size,
    and any character left to the reader's fonts)."""
    needed = font_characters(text + "".join(catalog_characters()))
    return _embedded(needed, find_full_font())


@lru_cache(maxsize=1)
def catalog_characters() -> frozenset[str]:
    """The characters of the font note itself (it is part of the page)."""
    notes = ("font.embedded", "font.missing")
    return font_characters("".join(catalog(lang)[n] for lang in LANGS for n in notes))


def bundled_source_text() -> str:
    """What the package's subset must cover: the whole catalog and the sample standards."""
    texts = [text for lang in LANGS for text in catalog(lang).values()]
    root = Path(__file__).resolve().parents[2] / "standards"
    for path in sorted(root.glob("*/*/standard.yaml")):
        texts.append(path.read_text(encoding="utf-8"))
    # the punctuation and digits of Chinese text, full width
    texts.append("".join(chr(c) for c in range(0x3000, 0x3040)))
    texts.append("".join(chr(c) for c in range(0xFF01, 0xFF5F)))
    texts.append("“”‘’…—–·×÷±≤≥→←↑↓•")
    return "".join(texts)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_file():
        print(
            "usage: python -m conformance.reporting.fonts NotoSansCJK-Regular.ttc", file=sys.stderr
        )
        return 2
    characters = font_characters(bundled_source_text())
    data = subset(Path(args[0]), characters)
    target = Path(__file__).resolve().parent / "assets" / "fonts" / "report-cjk.woff"
    target.write_bytes(data)
    print(f"{target}: {len(data):,} bytes, {len(_cmap(data))} characters")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
