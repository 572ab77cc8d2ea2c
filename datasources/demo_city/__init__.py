"""The built-in demo city 示范市: a deterministic, plausible city written to SQLite and GeoJSON.

Everything is derived from ``seed`` (geography, departments, catalog, systems, network) and from
``(seed, as_of)`` (the time series: exchange, incidents, indicator history), so the same seed and
the same ``as_of`` give byte-identical GeoJSON and identical table contents.

Geography: a hexagonal lattice (~0.008° cells) inside an irregular city outline. Districts grow
from seed cells inside the city, streets inside their district and grids inside their street (a
noisy, connected discrete Voronoi at each level), so the levels nest and tile exactly. Each
region's polygon is traced from the boundary edges of its cells; lattice corners are jittered
once for the whole city, so shared borders stay shared and nothing looks like a chessboard.

Incidents: ``incidents`` rows over the ~400 days before ``as_of``, with a daily and weekly rhythm
per source, a slow upward trend, hot-spot grids, category-dependent deadlines and handling times.
:func:`top_up_incidents` is the "live" feed: each hour's arrivals come from an RNG seeded by
``(seed, hour)``, so topping up in any chunking yields the same rows, and open incidents close at
the handling time fixed when they were generated (kept in the private table ``demo_pending``).

A few rows are deliberately broken so that the quarantine has something to show:
:data:`DELIBERATE_QUARANTINE` says how many per dataset.

The package's parts: :mod:`.common` (names, tables, time spans), :mod:`.geography`,
:mod:`.departments` (and the catalog, systems, exchange, network and history derived from them),
:mod:`.incidents` and :mod:`.database` (the SQLite file: seeding, top-up, reading).
"""
from __future__ import annotations

from datasources.demo_city.common import (CITY_NAME, DELIBERATE_QUARANTINE, EXCHANGE_DAYS, GEO_FILES, MAX_TOP_UP, TABLES,
                                          VERSION)
from datasources.demo_city.database import read_meta, read_table, seed_demo_city, top_up_incidents
from datasources.demo_city.departments import build_departments
from datasources.demo_city.geography import build_city, geojson_collections, region_rows, write_geojson
from datasources.demo_city.incidents import (CATEGORIES, SOURCES, _incident_ids, generated_incidents, incident_model,
                                             incident_status)

__all__ = ["CATEGORIES", "CITY_NAME", "DELIBERATE_QUARANTINE", "EXCHANGE_DAYS", "GEO_FILES", "MAX_TOP_UP", "SOURCES", "TABLES", "VERSION",
           "_incident_ids", "build_city", "build_departments", "generated_incidents", "geojson_collections",
           "incident_model", "incident_status", "read_meta", "read_table", "region_rows", "seed_demo_city",
           "top_up_incidents", "write_geojson"]
