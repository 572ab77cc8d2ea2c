"""Casts done by Arrow on Arrow-backed text, without one Python object per cell.

pandas turns Arrow-backed text into Python strings to parse it (``pd.to_numeric``, ``pd.to_datetime``),
which for a column of 1.8M cells costs about 140 MB at its peak. Arrow's own cast parses in C with
no such copy, but fails as a whole on one bad cell, so it is a fast path: None means "use pandas".
"""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def already_stripped(text: pd.Series) -> bool:
    """No cell of Arrow-backed ``text`` starts or ends with whitespace: stripping it would only copy it
    (a second copy of every text column of a large file, held as long as the typed rows)."""
    if getattr(text.dtype, "storage", None) != "pyarrow":
        return False
    padded = pc.match_substring_regex(pa.array(text), r"^\s|\s$")
    return not pc.any(padded).as_py()


def arrow_cast(text: pd.Series, to: pa.DataType) -> pd.Series | None:
    """``text`` cast to ``to`` by Arrow, or None when it is not Arrow-backed or a cell does not parse."""
    if getattr(text.dtype, "storage", None) != "pyarrow":
        return None
    try:
        cast = pc.cast(pa.array(text), to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return pd.Series(cast.to_numpy(zero_copy_only=False), index=text.index)
