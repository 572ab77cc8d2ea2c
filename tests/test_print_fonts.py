"""The 通报's print font (dashboard/print_fonts.py): what it keeps covers every 汉字 the 通报 can print
from this code, the demo city and the shared real data; a conversion (of a few characters here: the
whole font is scripts/setup.sh's) gives a named TrueType-outline font that maps them."""
from __future__ import annotations

import re
from pathlib import Path

from dashboard import print_fonts

ROOT = Path(__file__).resolve().parents[1]
HANZI = re.compile(r"[\u4e00-\u9fff]")


def test_the_kept_characters_are_gb2312_and_cover_the_briefing_and_the_data():
    kept = set(print_fonts.CODE_POINTS)
    hanzi = {c for c in kept if 0x4E00 <= c <= 0x9FFF}
    assert len(hanzi) == 6763  # GB 2312's 汉字: a third of the unified ideographs
    texts = [p.read_text(encoding="utf-8") for folder in ("dashboard", "layouts", "datasources", "config")
             for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".toml", ".csv", ".json")]
    texts += [p.read_text(encoding="utf-8", errors="ignore") for p in (ROOT.parent / "shared" / "data").rglob("*")
              if p.is_file() and p.suffix in (".geojson", ".json", ".csv")]
    used = {ord(ch) for text in texts for ch in HANZI.findall(text)}
    assert len(used) > 1000 and sorted(chr(c) for c in used - kept) == []
    assert {ord(c) for c in "第页共—，。、（）：；“”《》％"} <= kept  # the 通报's punctuation and footer


def test_a_conversion_gives_a_named_truetype_font_mapping_its_characters(tmp_path):
    from fontTools.ttLib import TTFont

    text = "示范市智慧城市建设运行情况通报第页共"
    out = print_fonts.convert("Regular", tmp_path / "print.ttf", [ord(c) for c in text] + [0x20, 0x31])
    font = TTFont(str(out))
    assert "glyf" in font and "CFF " not in font and font.sfntVersion == "\x00\x01\x00\x00"
    assert font["name"].getDebugName(1) == print_fonts.FAMILY
    cmap = font.getBestCmap()
    assert all(ord(c) in cmap for c in text)
    glyph = font["glyf"][cmap[ord("通")]]
    assert glyph.numberOfContours > 0  # an outline, not an empty glyph
