"""A streaming XLSX writer whose per-cell work is Arrow's, not Python's: each batch's sheet rows are
built column by column with Arrow's string kernels and written into the zip as they come.

Why not a library: xlsxwriter (and openpyxl) spend Python work on every cell, about 13 µs each, so a
100,000-row download of 12 columns took 18 s of CPU (benchmarks/README.md), against a 10 s goal.

The file holds one worksheet: inline strings (no shared-string table to keep in memory), numbers
with their number format, a bold frozen header row with an auto-filter, column widths, and an
optional last line (the truncation notice). Cells carry no reference (``r``): the OOXML schema makes
it optional, and Excel, LibreOffice and openpyxl place a cell after the one before it.
"""
from __future__ import annotations

import zipfile
from typing import Iterable
from xml.sax.saxutils import escape, quoteattr

import pyarrow as pa
import pyarrow.compute as pc

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ILLEGAL_XML = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"  # control characters XML 1.0 cannot hold
_EMPTY = "<c/>"


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text_cell(text: str, style: int | None = None) -> str:
    attribute = f' s="{style}"' if style is not None else ""
    return f'<c t="inlineStr"{attribute}><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def text_cells(values: pa.Array, missing: str) -> pa.Array:
    """Each value as an inline-string cell; empty and null ones as ``missing`` (or an empty cell)."""
    text = pc.replace_substring_regex(pc.cast(values, pa.string()), _ILLEGAL_XML, "")
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = pc.replace_substring(text, char, entity)
    cells = pc.binary_join_element_wise('<c t="inlineStr"><is><t xml:space="preserve">', text, "</t></is></c>", "")
    empty = pc.or_(pc.is_null(text), pc.equal(pc.fill_null(text, ""), ""))
    return pc.if_else(empty, _text_cell(missing) if missing else _EMPTY, cells)


def number_cells(values: pa.Array, style: int, missing: str) -> pa.Array:
    """Each float (a serial day for dates) as a number cell in ``style``; NaN and null as ``missing``."""
    numbers = pc.cast(values, pa.float64())
    empty = pc.fill_null(pc.is_nan(numbers), True)
    cells = pc.binary_join_element_wise(f'<c s="{style}"><v>', pc.cast(numbers, pa.string()), "</v></c>", "")
    return pc.if_else(empty, _text_cell(missing) if missing else _EMPTY, cells)


class SheetWriter:
    """``with SheetWriter(target, title, headers, widths, number_formats) as sheet: sheet.rows(cells)``;
    ``number_formats[i]`` is column i's Excel format ("" for text): :meth:`style` gives its cell style."""

    def __init__(self, target, title: str, headers: list[str], widths: list[float], number_formats: list[str]):
        self.title = title[:31]
        self.headers, self.widths = headers, widths
        self.formats = sorted({f for f in number_formats if f})
        self.zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self.sheet = self.zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self.row = 1  # the header's
        self._begin()

    def style(self, number_format: str) -> int:
        """The cellXfs index of a number format: 0 plain, 1 the header, 2… the formats."""
        return 2 + self.formats.index(number_format)

    def _begin(self) -> None:
        cols = "".join(f'<col min="{i}" max="{i}" width="{w:.1f}" customWidth="1"/>'
                       for i, w in enumerate(self.widths, start=1))
        header = "".join(_text_cell(h, 1) for h in self.headers)
        self._write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}" '
                    f'xmlns:r="{RELS}"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                    f'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>'
                    f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData><row r="1">{header}</row>')

    def _write(self, text: str) -> None:
        self.sheet.write(text.encode("utf-8"))

    def rows(self, columns: list[pa.Array]) -> None:
        """One batch: a cell array per column (from :func:`text_cells` / :func:`number_cells`), equal lengths."""
        count = len(columns[0]) if columns else 0
        if not count:
            return
        numbers = pc.cast(pa.array(range(self.row + 1, self.row + 1 + count), pa.int64()), pa.string())
        rows = pc.binary_join_element_wise('<row r="', numbers, '">', *columns, "</row>", "")
        self._write("".join(rows.to_pylist()))
        self.row += count

    def close(self, notice: str | None = None) -> int:
        """Ends the file (the notice one line below the data); returns the data rows written."""
        data_rows = self.row - 1
        if notice:
            self._write(f'<row r="{self.row + 2}">{_text_cell(notice, 2 + len(self.formats))}</row>')
        last_column = _column_letters(len(self.headers) - 1)
        self._write("</sheetData>" + (f'<autoFilter ref="A1:{last_column}{self.row}"/>' if data_rows else "")
                    + "</worksheet>")
        self.sheet.close()
        self._package(f"$A$1:${last_column}${self.row}" if data_rows else None)
        self.zip.close()
        return data_rows

    def _package(self, filter_range: str | None) -> None:
        name = quoteattr(self.title)
        quoted = "'" + self.title.replace("'", "''") + "'"
        defined = (f'<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
                   f"{escape(quoted)}!{filter_range}</definedName></definedNames>") if filter_range else ""
        parts = {
            "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            "</Types>",
            "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
            "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{RELS}/styles" Target="styles.xml"/></Relationships>',
            "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets><sheet name={name} sheetId="1" '
            f'r:id="rId1"/></sheets>{defined}</workbook>',
            "xl/styles.xml": self._styles(),
        }
        for path, xml in parts.items():
            self.zip.writestr(path, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + xml)

    def _styles(self) -> str:
        formats = "".join(f'<numFmt numFmtId="{164 + i}" formatCode={quoteattr(f)}/>' for i, f in enumerate(self.formats))
        number_xfs = "".join(f'<xf numFmtId="{164 + i}" fontId="0" fillId="0" borderId="0" applyNumberFormat="1"/>'
                             for i in range(len(self.formats)))
        return (f'<styleSheet xmlns="{MAIN}"><numFmts count="{len(self.formats)}">{formats}</numFmts>'
                '<fonts count="3"><font><sz val="11"/><name val="Calibri"/></font>'
                '<font><b/><sz val="11"/><color rgb="FFFFFFFF"/><name val="Calibri"/></font>'
                '<font><b/><sz val="11"/><color rgb="FFC00000"/><name val="Calibri"/></font></fonts>'
                '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
                '<fill><patternFill patternType="solid"><fgColor rgb="FF1F3A5F"/><bgColor indexed="64"/></patternFill></fill></fills>'
                '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
                '<border><left style="thin"/><right style="thin"/><top style="thin"/><bottom style="thin"/><diagonal/></border></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                f'<cellXfs count="{3 + len(self.formats)}"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1"/>'
                f'{number_xfs}<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def write(target, title: str, headers: list[str], widths: list[float], number_formats: list[str],
          batches: Iterable[list[pa.Array]], notice: str | None = None) -> int:
    """The whole file: ``batches`` yields a list of cell arrays per batch; returns the data rows."""
    sheet = SheetWriter(target, title, headers, widths, number_formats)
    for columns in batches:
        sheet.rows(columns)
    return sheet.close(notice)
