"""The 通报's print font: Noto Sans CJK SC (Debian fonts-noto-cjk) with TrueType outlines.

Chromium's print-to-PDF embeds a TrueType font as a named, subset CID font, but turns a CFF-outline
font, which is what fonts-noto-cjk ships, into unnamed Type 3 glyph procedures: pdffonts cannot tell
them from any other font, and some readers draw them poorly. So the setup (scripts/setup.sh) converts
the SC face of Noto Sans CJK Regular and Bold once to TrueType outlines (fontTools, cubic → quadratic
within 1 font unit), keeping Latin, punctuation, symbols and the 6,763 汉字 of GB 2312 (what
administrative Chinese writes: every character of the 通报's own text, of the demo city and of the
shared real data is among them), and installs them for fontconfig as the family :data:`FAMILY`.
assets/briefing.css, the print figures and the PDF footer name that family first and fall back to
Noto Sans CJK SC, so a rarer character in a city's data still prints (as that font's glyph). A third
of the ideographs, and the CFF hints left alone (the outlines are redrawn anyway), make the
conversion several times faster than of all 20,992 unified ideographs.

The result is the same font under the SIL Open Font License 1.1 (its name table keeps the copyright
and licence; Noto has no reserved font name). ``python -m dashboard.print_fonts`` installs what is
missing; the web server never runs it.
"""
from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

FAMILY = "Noto Sans CJK SC Print"
SOURCE_FACE = "Noto Sans CJK SC"
SOURCES = {"Regular": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
           "Bold": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")}


def gb2312_hanzi() -> list[int]:
    """The 6,763 汉字 of GB 2312 (rows 16–87 of its 94×94 table), as code points."""
    found = []
    for row in range(0xB0, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                found.append(ord(bytes((row, cell)).decode("gb2312")))
            except UnicodeDecodeError:  # the empty cells at the end of row 55
                pass
    return found


#: what the 通报 prints: Latin, punctuation, symbols, CJK punctuation, the 汉字 of GB 2312, full-width forms
CODE_POINTS = [*range(0x20, 0x7F), *range(0xA0, 0x250), *range(0x2000, 0x2BFF), *range(0x3000, 0x3040),
               *gb2312_hanzi(), *range(0xFF00, 0xFFF0)]
CSS_FAMILY = f"'{FAMILY}', 'Noto Sans CJK SC', 'Noto Sans SC', sans-serif"


def font_dir() -> Path:
    """Where fontconfig finds the user's fonts (Chromium reads them through fontconfig)."""
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "fonts" / "citywall"


def font_path(style: str) -> Path:
    return font_dir() / f"NotoSansCJKscPrint-{style}.ttf"


def installed() -> bool:
    return all(font_path(style).is_file() for style in SOURCES)


def _rename(font, style: str) -> None:
    """The family :data:`FAMILY`, so fontconfig never confuses it with the CFF original."""
    postscript = f"NotoSansCJKscPrint-{style}"
    names = {1: FAMILY, 2: style, 3: f"{postscript};citywall", 4: f"{FAMILY} {style}", 6: postscript,
             16: FAMILY, 17: style}
    table = font["name"]
    table.names = [n for n in table.names if n.nameID not in names]
    for name_id, text in names.items():
        table.setName(text, name_id, 3, 1, 0x409)


def convert(style: str, out: Path, code_points: list[int] = CODE_POINTS) -> Path:
    """The SC face of ``SOURCES[style]``, subset to ``code_points``, with TrueType outlines."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.subset import Options, Subsetter
    from fontTools.ttLib import TTCollection, newTable

    collection = TTCollection(str(SOURCES[style]))
    font = next(f for f in collection.fonts if f["name"].getDebugName(1) == SOURCE_FACE)
    options = Options()
    options.layout_features = ["kern", "liga", "ccmp"]  # no vertical or locale forms: the SC face, horizontal
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = True  # removing the CFF hints costs a third of the subsetting: the outlines are redrawn
    subsetter = Subsetter(options)
    subsetter.populate(unicodes=code_points)
    subsetter.subset(font)
    glyphs, order = font.getGlyphSet(), font.getGlyphOrder()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))  # CFF winds the other way
        glyf.glyphs[name] = pen.glyph()
    font["glyf"], font["loca"] = glyf, newTable("loca")
    for table in ("CFF ", "VORG"):
        if table in font:
            del font[table]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
                  "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["post"].formatType = 3.0  # no glyph names: 20 000 of them would only add bytes
    font.sfntVersion = "\x00\x01\x00\x00"
    _rename(font, style)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".part")
    font.save(str(partial))
    partial.replace(out)  # never a half-written font where fontconfig looks
    return out


def install() -> list[Path]:
    """Convert and install the styles that are missing (both at once, one process each), then refresh
    fontconfig's cache. Returns the fonts written."""
    missing = [style for style in SOURCES if not font_path(style).is_file()]
    absent = [str(SOURCES[s]) for s in missing if not SOURCES[s].is_file()]
    if absent:
        raise FileNotFoundError(f"未找到 {'、'.join(absent)}：请先安装 Debian 软件包 fonts-noto-cjk")
    if not missing:
        return []
    with ProcessPoolExecutor(max_workers=len(missing)) as pool:
        written = list(pool.map(convert, missing, [font_path(s) for s in missing]))
    subprocess.run(["fc-cache", "-f", str(font_dir())], check=False, capture_output=True)
    return written


def main() -> int:
    if installed():
        return 0
    print(f"正在生成通报打印字体 {FAMILY}（Noto Sans CJK SC 转为 TrueType 轮廓，仅首次，约需一分钟）…", flush=True)
    try:
        written = install()
    except (FileNotFoundError, ImportError) as exc:
        print(f"未能生成通报打印字体：{exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"已安装：{path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
