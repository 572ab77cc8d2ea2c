"""The running app's 通报: the published frames and statuses it reads, picked from the frame store,
handed to the pure :func:`dashboard.briefing_view.briefing_view`."""
from __future__ import annotations

import time
from datetime import date

from dashboard import runtime
from dashboard.briefing_view import DATASETS, Briefing, briefing_view
from dashboard.wall_view import Frames, geography_of


def current_briefing() -> tuple[Briefing, object, date]:
    """(the view, the city's geography for the map, the day it is issued on)."""
    rt = runtime.current()
    today = date.today()
    view = briefing_view(Frames(rt.store, DATASETS), rt.store.statuses(), rt.settings, today, time.time())
    return view, geography_of(rt), today
