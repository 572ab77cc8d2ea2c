"""Masking personal data (脱敏) wherever raw rows are shown or downloaded.

Hotline exports carry callers' names, phone numbers and ID numbers; the contract columns never need
them, but a quarantined row or a check-source sample shows the whole raw row. Two rules, both on by
default (``app.mask_personal``):

- a column the source marks personal (``personal = ["来电人", "联系电话"]``) is masked whatever it holds;
- in every other column, text that looks like a mainland mobile number (1[3-9] and 9 more digits) or an
  18-digit 身份证 number is masked where it stands, also inside free text.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

# not inside a longer run of digits: an order number 20240726133812345678 is not a phone
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_ID_CARD = re.compile(r"(?<![\dXx])(\d{6})(\d{8})(\d{3})([\dXx])(?![\dXx])")


def mask_text(text: str) -> str:
    """Mobile numbers → 138****1234, 身份证 numbers → 110101********123X, inside any text."""
    text = _ID_CARD.sub(lambda m: f"{m.group(1)}{'*' * 8}{m.group(3)}{m.group(4)}", text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


def mask_personal_value(value: Any) -> str:
    """A value from a column marked personal: only its shape survives (张三丰 → 张**, 13812341234 →
    138****1234, anything short → ***)."""
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    if _MOBILE.fullmatch(text) or _ID_CARD.fullmatch(text):
        return mask_text(text)
    if len(text) >= 7:  # phone with area code, address, …: keep the ends
        return text[:3] + "*" * (len(text) - 5) + text[-2:]
    return text[0] + "*" * max(len(text) - 1, 2) if len(text) > 1 else "***"


def mask_row(row: Mapping[str, Any], personal: Iterable[str] = (), enabled: bool = True) -> dict[str, Any]:
    """A raw row (column → value) with its personal data masked; values come back as text."""
    if not enabled:
        return {k: "" if v is None else str(v) for k, v in row.items()}
    marked = {str(p).strip() for p in personal}
    return {k: mask_personal_value(v) if str(k).strip() in marked
            else ("" if v is None else mask_text(str(v))) for k, v in row.items()}


def mask_rows(rows: Iterable[Mapping[str, Any]], personal: Iterable[str] = (), enabled: bool = True) -> list[dict]:
    personal = tuple(personal)
    return [mask_row(r, personal, enabled) for r in rows]
