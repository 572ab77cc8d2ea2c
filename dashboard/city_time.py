"""The city's time zone is the process's local time.

Every period (今日, 近30日, 本月, 本周), every 数据截至 and the sources' naive timestamps are read in
local time (``date.today()``, ``datetime.now()``). A Chinese city's exports and its command room are
on Beijing time, but its servers are often not (a container or CI host runs in UTC, where 今日 was
still yesterday until 08:00). Loading the settings sets the process's zone to ``city.timezone``, so
local time is the city's whatever the host's zone; child processes inherit it through ``TZ``.
"""
from __future__ import annotations

import os
import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT = "Asia/Shanghai"


def checked(name: str) -> str:
    """``name`` if it is an IANA zone this host knows, else a ValueError in Chinese."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"未知时区，应为 IANA 时区名（如 {DEFAULT}）") from None
    return name


def use(name: str) -> None:
    """Make ``name`` the process's local time zone (and its children's)."""
    if os.environ.get("TZ") != name:
        os.environ["TZ"] = name
        time.tzset()
