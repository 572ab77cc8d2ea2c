"""What the placeholder drill-down pages (layouts/drill.py) show: the names behind the ids in their URL,
read from the running app's geography and frame store here, so the pages only build components."""
from __future__ import annotations

from dashboard import runtime


def region_name(region_id: str) -> str:
    """The region's name, or its id when it is unknown (or no geography could be read)."""
    try:
        regions = runtime.current().geography.regions
        hit = regions[regions["region_id"].astype(str) == region_id]
        return str(hit["name"].iloc[0]) if len(hit) else region_id
    except Exception:  # no runtime or no geography: show the id
        return region_id

