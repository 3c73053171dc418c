"""The embedded CJK font: a subset of exactly the characters a page shows, licence kept.

The package's own subset covers the whole catalog; characters beyond it (a candidate's data)
come from the machine's full Noto Sans CJK at report time, or are named in the footer.
"""

from __future__ import annotations

import base64
import io
import os
import re
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from conformance.i18n import LANGS, catalog
from conformance.reporting import fonts
from conformance.reporting.fonts import embedded_font, find_full_font, font_characters

ROOT = Path(__file__).resolve().parents[1]
RARE = "䶮鿕龘"  # an Extension A character (a name: 刘䶮), a late URO one, a rare one
NONE = "𠀀"  # Extension B: Noto Sans CJK SC has no glyph for it


def _woffs(css: str) -> list[TTFont]:
    found = re.findall(r"data:font/woff;base64,([A-Za-z0-9+/=]+)", css)
    return [TTFont(io.BytesIO(base64.b64decode(data))) for data in found]


def _cmap(css: str) -> set[str]:
    """The characters of every face embedded (the package's subset, the full font's)."""
    return {chr(c) for font in _woffs(css) for c in font.getBestCmap()}


def test_the_bundled_subset_covers_every_character_of_the_catalog() -> None:
    text = "".join(t for lang in LANGS for t in catalog(lang).values())
    bundled = fonts._bundled_characters()
    missing = font_characters(text) - bundled
    assert not missing, "".join(sorted(missing))
    size = (ROOT / "conformance" / fonts.BUNDLED).stat().st_size
    assert size < 300_000, size  # kept small: it ships in the wheel


def test_the_licence_ships_beside_the_font_and_inside_it() -> None:
    licence = (ROOT / "conformance/reporting/assets/fonts/OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    assert "Adobe" in licence
    font = embedded_font("中文报告" + RARE)
    for face in _woffs(font.css):
        names = face["name"]
        assert "Open Font License" in names.getDebugName(13)
        assert "Adobe" in names.getDebugName(0)
    assert font.note.count("SIL") == 2  # both languages name the licence


def test_a_page_embeds_exactly_its_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "SYSTEM_FONTS", ())
    monkeypatch.delenv(fonts.FONT_ENV, raising=False)
    small = embedded_font("符合标准 ABC")
    big = embedded_font("符合标准 ABC " + "".join(catalog("zh-CN").values()))
    assert set("符合标准") <= _cmap(small.css)
    assert "A" not in _cmap(small.css)  # Latin letters come from the reader's fonts
    assert small.size < big.size
    assert f"{small.size:,}" in small.note
    assert not small.missing


def test_characters_beyond_the_bundled_subset_are_named_without_a_full_font(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fonts, "SYSTEM_FONTS", ())
    monkeypatch.delenv(fonts.FONT_ENV, raising=False)
    font = embedded_font("报告" + RARE)
    assert set(RARE) <= font.missing
    assert set("报告") <= font.characters
    for char in RARE:
        assert char in font.note


@pytest.mark.skipif(find_full_font() is None, reason="no full Noto Sans CJK on this machine")
def test_a_full_font_at_report_time_covers_the_candidates_characters() -> None:
    if os.environ.get("CI"):
        assert find_full_font() is not None  # .ci/run installs fonts-noto-cjk
    font = embedded_font("报告" + RARE)
    assert font.source != "bundled"
    assert set(RARE) <= _cmap(font.css)
    assert not font.missing
    # the full font serves only what the package's subset lacks, in a face limited to it
    bundled, extra = _woffs(font.css)
    assert {chr(c) for c in extra.getBestCmap()} == set(RARE)
    assert set("报告") <= {chr(c) for c in bundled.getBestCmap()}
    assert "unicode-range: U+4DAE, U+9F98, U+9FD5;" in font.css
    beyond = embedded_font("报告" + NONE)  # not even the full font has it: named
    assert beyond.missing == {NONE}
    assert NONE in beyond.note


def test_ci_has_the_full_font() -> None:
    if not os.environ.get("CI"):
        pytest.skip("only CI must have fonts-noto-cjk")
    assert find_full_font() is not None
