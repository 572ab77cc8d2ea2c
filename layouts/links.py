"""The drill-down URLs the wall's panels, rows and points open (the drill-down pages registered
through dashboard/pages.py)."""
from __future__ import annotations

from urllib.parse import quote, urlencode

def _href(path: str, **params) -> str:
    params = {k: v for k, v in params.items() if v is not None and v != ""}
    return path + ("?" + urlencode(params) if params else "")


def district_href(region_id: str, **params) -> str:
    return _href(f"/district/{quote(str(region_id), safe='')}", **params)


def department_href(dept_id: str) -> str:
    return f"/department/{quote(str(dept_id), safe='')}"
