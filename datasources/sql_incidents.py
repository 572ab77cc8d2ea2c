"""Incidents aggregated where they lie: an ``sql`` source with ``push_down = true`` (PostgreSQL).

Instead of ``SELECT *`` (20,000,000 rows would need gigabytes in pandas), one REPEATABLE READ
transaction (one snapshot for every query) runs:

1. the contract in SQL: a predicate true for every row the contract could refuse. Those rows, few,
   are fetched whole and judged by the contract validator itself (datasources/validation.py), which
   gives the quarantine its exact reasons; the rare ones it accepts are aggregated by their ``ctid``;
2. the aggregates of the good rows, with ``GROUP BY``: in one scan, per day × region and per hour ×
   区县, each × category × source × status (the incidents cube's grains: incidents, closed, on time,
   handling seconds, overdue), the last 30 days per region (coordinates summed for the map's grid
   means), the density bins, the closed per day, and the newest incidents (per district for the
   ticker, and the table's rows).

The big aggregate travels packed by the server into one text value per day, read by Arrow (strings
dictionary-encoded), not as one Python tuple per row. dashboard/aggregate_frames.py builds the wall's frames from them.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from datasources.adapters import SourceError
from datasources.contracts import CLOSED, INCIDENT_STATUSES, PAST_SKEW, PLAN_HORIZON

NAMES = ("incident_id", "source", "category", "region_id", "lon", "lat", "reported_at", "deadline_at",
         "closed_at", "status")
TEXT = ("incident_id", "source", "category", "region_id", "status")
TIMES = ("reported_at", "deadline_at", "closed_at")
MEASURES = ("incidents", "closed", "ontime", "handling_seconds", "overdue")
DENSITY_BIN_DEGREES = 0.005  # as dashboard/incident_frames.py
DAILY_DAYS = 90
RECENT_DAYS = 30
CUBE_KEYS = ("category", "source", "status")
UNKNOWN_REGION = "未知区域"  # as dashboard/incident_frames.py
#: the cube query's grains (its ``grain`` column) and their keys
GRAINS = ((1, ("day_at", "region_id", *CUBE_KEYS)), (2, ("hour_at", "district_id", *CUBE_KEYS)))


@dataclass
class IncidentAggregates:
    """What a pushed-down pull brings back: aggregates of the good rows, and the doubtful rows judged."""
    days: pd.DataFrame  # day_at, region_id, category, source, status + MEASURES
    hours: pd.DataFrame  # hour_at, district_id, category, source, status + MEASURES
    grid_recent: pd.DataFrame  # region_id, incidents_30d, lon_sum, lat_sum, located
    density: pd.DataFrame  # bx, by, incidents (bins of DENSITY_BIN_DEGREES, last 30 days)
    closed_daily: pd.DataFrame  # day, closed (last 90 days, by closed_at)
    newest: pd.DataFrame  # contract columns: the newest rows of the city and of each district (the ticker)
    detail: object  # every good row, newest first, as ``detail_to`` kept it (contract columns in memory)
    rows_read: int
    quarantined: pd.DataFrame  # the validator's quarantined rows (original values, _row, _reason)
    newest_reported: pd.Timestamp | None

    @property
    def rows_ok(self) -> int:
        return self.rows_read - len(self.quarantined)


def libpq_url(url) -> str:
    """The libpq form (postgresql://…) of an SQLAlchemy URL of any PostgreSQL driver."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _ident(name: str):
    from psycopg import sql

    schema, _, table = name.strip().rpartition(".")
    return sql.Identifier(schema, table) if schema else sql.Identifier(table)


def column_names(source) -> dict[str, str]:
    """Contract column → the table's column (``columns`` maps source names onto contract names)."""
    named = {c: c for c in NAMES}
    for src, target in source.columns.items():
        for t in [target] if isinstance(target, str) else target:
            named[t] = src
    return named


class _Query:
    """The SQL of one pull: the table, its columns and the moments its predicates compare with."""

    def __init__(self, source, now: datetime, bbox):
        from psycopg import sql

        self.sql = sql
        self.table = _ident(source.table)
        self.col = {k: sql.Identifier(v) for k, v in column_names(source).items()}
        self.now = pd.Timestamp(now).to_pydatetime()
        self.bbox = bbox

    def lit(self, value):
        return self.sql.Literal(value)

    def doubtful(self):
        """True for every row the contract might refuse (nulls, blanks, codes, ranges, times, rules)."""
        c, L, SQL = self.col, self.lit, self.sql.SQL
        terms = []
        for name in ("incident_id", "source", "category", "status"):
            terms.append(SQL("{0} IS NULL OR btrim({0}) = '' OR {0} <> btrim({0})").format(c[name]))
        for name in ("source", "category", "status", "region_id"):  # the packed transfer's separators
            terms.append(SQL("strpos({0}, E'\\n') > 0 OR strpos({0}, E'\\x1f') > 0").format(c[name]))
        terms.append(SQL("btrim({0}) = '' OR {0} <> btrim({0})").format(c["region_id"]))
        terms.append(SQL("{} NOT IN ({})").format(c["status"], SQL(", ").join(map(L, INCIDENT_STATUSES))))
        terms.append(SQL("{} IS NULL").format(c["reported_at"]))
        past, plan = self.now + PAST_SKEW, self.now + PLAN_HORIZON
        for name, limit in (("reported_at", past), ("closed_at", past), ("deadline_at", plan)):
            terms.append(SQL("{} > {}").format(c[name], L(limit)))
        terms.append(SQL("{0} < -180 OR {0} > 180 OR {1} < -90 OR {1} > 90 OR {0} = 'NaN' OR {1} = 'NaN'")
                     .format(c["lon"], c["lat"]))
        terms.append(SQL("({} IS NULL) <> ({} IS NULL)").format(c["lon"], c["lat"]))
        terms.append(SQL("{} = 0 AND {} = 0").format(c["lon"], c["lat"]))
        terms.append(SQL("{0} < {1} OR {2} < {1}").format(c["closed_at"], c["reported_at"], c["deadline_at"]))
        terms.append(SQL("{} = {} AND {} IS NULL").format(c["status"], L(CLOSED), c["closed_at"]))
        if self.bbox is not None:
            lo_lon, lo_lat, hi_lon, hi_lat = self.bbox
            terms.append(SQL("{} NOT BETWEEN {} AND {} OR {} NOT BETWEEN {} AND {}").format(
                c["lon"], L(lo_lon), L(hi_lon), c["lat"], L(lo_lat), L(hi_lat)))
        return SQL("coalesce(({}), false)").format(SQL(") OR (").join(terms))

    def columns(self):
        return self.sql.SQL(", ").join(self.sql.SQL("{} AS {}").format(self.col[n], self.sql.Identifier(n))
                                       for n in NAMES)

    def cube(self, where, district_of: dict[str, str] | None):
        """The cube's two grains in one scan (GROUPING SETS): day × region × category × source × status
        (``grain`` 1) and hour × district × the same (``grain`` 2), each with the MEASURES. A region's
        district comes from ``district_of`` (the regions frame's lineage; 未知区域 where it has none);
        None: the region is its own district (dashboard/incident_frames.py region_of)."""
        c, L, SQL = self.col, self.lit, self.sql.SQL
        closed = SQL("{} = {}").format(c["status"], L(CLOSED))
        day, hour = SQL("date_trunc('day', {})").format(c["reported_at"]), \
            SQL("date_trunc('hour', {})").format(c["reported_at"])
        if district_of is None:
            district, joined = SQL("coalesce({}, {})").format(c["region_id"], L(UNKNOWN_REGION)), SQL("")
        else:
            district = SQL("coalesce(_cw_lineage._cw_district, {})").format(L(UNKNOWN_REGION))
            joined = SQL(" LEFT JOIN unnest({}::text[], {}::text[]) AS _cw_lineage(_cw_region, _cw_district) "
                         "ON _cw_lineage._cw_region = {}").format(L(list(district_of)), L(list(district_of.values())),
                                                                  c["region_id"])
        keys = SQL("{}, {}, {}").format(c["category"], c["source"], c["status"])
        return SQL("""SELECT GROUPING({day}, {hour}) AS grain, {day} AS day_at, {hour} AS hour_at,
            {region} AS region_id, {district} AS district_id, {cat} AS category, {src} AS source, {st} AS status,
            count(*) AS incidents, count(*) FILTER (WHERE {closed}) AS closed,
            count(*) FILTER (WHERE {closed} AND ({d} IS NULL OR {cl} <= {d})) AS ontime,
            coalesce(sum(extract(epoch FROM {cl} - {r})) FILTER (WHERE {closed}), 0)::float8 AS handling_seconds,
            count(*) FILTER (WHERE NOT {closed} AND {d} < {now}) AS overdue
            FROM {t}{joined} WHERE {where}
            GROUP BY GROUPING SETS (({day}, {region}, {keys}), ({hour}, {district}, {keys}))""").format(
            day=day, hour=hour, r=c["reported_at"], region=c["region_id"], district=district, cat=c["category"],
            src=c["source"], st=c["status"], keys=keys, closed=closed, d=c["deadline_at"], cl=c["closed_at"],
            now=L(self.now), t=self.table, joined=joined, where=where)

    def recent(self, where, start):
        return self.sql.SQL("({}) AND {} >= {}").format(where, self.col["reported_at"], self.lit(start))

    def grid_recent(self, where, start, end):
        c, SQL = self.col, self.sql.SQL
        return SQL("""SELECT {region} AS region_id, count(*) AS incidents_30d, sum({lon}) AS lon_sum,
            sum({lat}) AS lat_sum, count({lon}) AS located FROM {t}
            WHERE ({w}) AND {region} IS NOT NULL AND {r} < {end} GROUP BY 1""").format(
            region=c["region_id"], lon=c["lon"], lat=c["lat"], t=self.table, w=self.recent(where, start),
            r=c["reported_at"], end=self.lit(end))

    def density(self, where, start, end):
        c, SQL, L = self.col, self.sql.SQL, self.lit
        return SQL("""SELECT floor({lon} / {b})::bigint AS bx, floor({lat} / {b})::bigint AS by, count(*) AS incidents
            FROM {t} WHERE ({w}) AND {lon} IS NOT NULL AND {r} < {end} GROUP BY 1, 2""").format(
            lon=c["lon"], lat=c["lat"], b=L(DENSITY_BIN_DEGREES), t=self.table, w=self.recent(where, start),
            r=c["reported_at"], end=L(end))

    def closed_daily(self, where, start, end):
        c, SQL, L = self.col, self.sql.SQL, self.lit
        return SQL("""SELECT date_trunc('day', {cl}) AS day, count(*) AS closed FROM {t}
            WHERE ({w}) AND {st} = {closed} AND {cl} >= {start} AND {cl} < {end} GROUP BY 1""").format(
            cl=c["closed_at"], t=self.table, w=where, st=c["status"], closed=L(CLOSED), start=L(start), end=L(end))

    def newest(self, where, limit: int):
        return self.sql.SQL("SELECT {} FROM {} WHERE {} ORDER BY {} DESC LIMIT {}").format(
            self.columns(), self.table, where, self.col["reported_at"], self.lit(limit))


def _frame(cur, query) -> pd.DataFrame:
    cur.execute(query)
    names = [d.name for d in cur.description]
    return pd.DataFrame(cur.fetchall(), columns=names)


def _packed(conn, query, types: dict[str, pa.DataType]) -> list[pd.DataFrame]:
    """The cube query's result, packed by the server into one text value per day of its ``day_at`` or
    ``hour_at`` (fields split by \\x1f, rows by newlines: the predicate doubts any text holding either),
    streamed through a server-side cursor and read by Arrow's CSV reader, strings dictionary-encoded: no
    Python object per row on the way; each day split at once into :data:`GRAINS` (a frame each), so the
    two grains are never one frame in memory."""
    from psycopg import sql

    fields = sql.SQL(", ").join(sql.SQL("coalesce({}::text, '')").format(sql.Identifier(n)) for n in types)
    packed = sql.SQL("SELECT string_agg(concat_ws(E'\\x1f', {}), E'\\n') FROM ({}) p "
                     "GROUP BY date_trunc('day', coalesce(day_at, hour_at))").format(fields, query)
    options = (pacsv.ReadOptions(column_names=list(types)), pacsv.ParseOptions(delimiter="\x1f", quote_char=False),
               pacsv.ConvertOptions(column_types=types, strings_can_be_null=True))
    parts: dict[int, list[pa.Table]] = {grain: [] for grain, _ in GRAINS}
    with conn.cursor(name="citywall_packed") as cur:
        cur.itersize = 8
        cur.execute(packed)
        for (text,) in cur:
            day = pacsv.read_csv(io.BytesIO(text.encode()), *options)
            for grain, keys in GRAINS:
                parts[grain].append(day.filter(pc.equal(day["grain"], grain)).select([*keys, *MEASURES]))
    return [pa.concat_tables(parts[grain]).to_pandas() if parts[grain] else
            pd.DataFrame({n: pd.Series(dtype=object) for n in (*keys, *MEASURES)}) for grain, keys in GRAINS]


def _grains(packed: list[pd.DataFrame], rescued: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """Each grain's rows (:func:`_packed`'s, and the rescued rows' of the cube query), one row per key."""
    out = []
    for (grain, keys), part in zip(GRAINS, packed):
        more = [r.loc[r["grain"] == grain, [*keys, *MEASURES]] for r in rescued]
        out.append(_summed(pd.concat([part, *more], ignore_index=True) if more else part, list(keys))
                   .reset_index(drop=True))
    return out


class _CopyStream(io.RawIOBase):
    """The bytes of a ``COPY … TO STDOUT`` as a readable file (what Arrow's streaming CSV reader reads)."""

    def __init__(self, copy):
        self._blocks, self._left = iter(copy), b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._left:
            block = next(self._blocks, None)
            if block is None:
                return 0
            self._left = bytes(block)
        n = min(len(buffer), len(self._left))
        buffer[:n], self._left = self._left[:n], self._left[n:]
        return n


def _copied(cur, q: "_Query", where, block_bytes: int = 16 << 20):
    """Every row ``where`` holds, newest first, in chunks of typed contract rows: ``COPY`` in CSV,
    read by Arrow a block at a time (no Python object per row, never all rows at once)."""
    copy_sql = q.sql.SQL("COPY (SELECT {} FROM {} WHERE {} ORDER BY {} DESC, {}) TO STDOUT (FORMAT csv)").format(
        q.columns(), q.table, where, q.col["reported_at"], q.col["incident_id"])
    types = {**{n: pa.string() for n in TEXT}, **{n: pa.timestamp("us") for n in TIMES},
             "lon": pa.float64(), "lat": pa.float64()}
    with cur.copy(copy_sql) as copy:
        reader = pacsv.open_csv(io.BufferedReader(_CopyStream(copy), 1 << 20),
                                read_options=pacsv.ReadOptions(column_names=list(NAMES), block_size=block_bytes),
                                convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True))
        for batch in reader:
            yield batch.to_pandas()


def _in_memory(chunks) -> pd.DataFrame:
    parts = list(chunks)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({n: pd.Series(dtype=object) for n in NAMES})


def _typed(rows: pd.DataFrame) -> pd.DataFrame:
    """Contract-typed columns (datetime64, float) of fetched rows, as the validator and frames read them."""
    out = rows.copy()
    for name in TIMES:
        out[name] = pd.to_datetime(out[name]).astype("datetime64[us]")
    for name in ("lon", "lat"):
        out[name] = pd.to_numeric(out[name]).astype(float)
    return out


def _doubtful_rows(cur, q: _Query, unique_ids: bool) -> pd.DataFrame:
    """The rows the predicate doubts, with any repeated incident_id, in table order, with their ctid."""
    SQL = q.sql.SQL
    where = q.doubtful()
    if not unique_ids:  # no key guarding incident_id: its repeats are doubtful too
        where = SQL("{} OR {} IN (SELECT {} FROM {} GROUP BY 1 HAVING count(*) > 1)").format(
            where, q.col["incident_id"], q.col["incident_id"], q.table)
    return _frame(cur, SQL("SELECT ctid::text AS _ctid, {} FROM {} WHERE {} ORDER BY ctid").format(
        q.columns(), q.table, where))


def _ids_unique(cur, table: str, id_column: str) -> bool:
    """Whether a primary key or unique index of exactly ``id_column`` guards the table."""
    cur.execute("""SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                   WHERE i.indrelid = %s::regclass AND i.indisunique AND i.indnkeyatts = 1 AND a.attname = %s""",
                (table, id_column))
    return cur.fetchone() is not None


def read_incident_aggregates(source, settings, now: datetime, newest_per_district,
                             district_of: dict[str, str] | None = None, detail_to=None) -> IncidentAggregates:
    """Aggregate the source's table in PostgreSQL (see the module's docstring). ``newest_per_district``
    (region ids of each district) picks the ticker's newest rows district by district; ``district_of``
    (region id → its 区县, None: each region is its own) keys the hour grain. Every good row, newest
    first, goes through ``detail_to`` (chunks of typed contract rows in → the detail kept, e.g. a
    file written chunk by chunk; None: the rows, in memory)."""
    import psycopg

    from datasources.sql import _connect_args, _url
    from datasources.validation import validate

    url = _url(source, settings)
    timeout = source.timeout_seconds or settings.app.http_timeout_seconds
    args = _connect_args(url, timeout)
    bbox = settings.city.bbox
    q = _Query(source, now, bbox)
    today = pd.Timestamp(now).normalize()
    end = (today + timedelta(days=1)).to_pydatetime()
    recent_start = (today - timedelta(days=RECENT_DAYS - 1)).to_pydatetime()
    daily_start = (today - timedelta(days=DAILY_DAYS - 1)).to_pydatetime()
    try:
        conn = psycopg.connect(libpq_url(url), **args)
    except psycopg.OperationalError as exc:
        raise SourceError(source.name, f"无法连接数据库: {exc}") from exc
    try:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cur:
            unique_ids = _ids_unique(cur, q.table.as_string(cur), column_names(source)["incident_id"])
            doubtful = _doubtful_rows(cur, q, unique_ids)
            judged = validate("incidents", _typed(doubtful.drop(columns="_ctid")), now=now, bbox=bbox)
            rescued = doubtful["_ctid"].iloc[judged.good.index].tolist() if len(judged.good) else []
            good = q.sql.SQL("NOT {}").format(q.doubtful())
            filters = [good]
            if rescued:
                filters.append(q.sql.SQL("ctid = ANY({}::tid[])").format(q.lit(rescued)))
            # first the detail, a chunk at a time: its passing memory is given back before the cube comes
            detail = (detail_to or _in_memory)(_copied(cur, q, q.sql.SQL(" OR ").join(filters)))
            cur.execute("SET LOCAL work_mem = '256MB'")  # the cube's hash aggregate in memory, not sorted on disk
            days, hours = _grains(_packed(conn, q.cube(good, district_of), CUBE_TYPES),
                                  [_frame(cur, q.cube(f, district_of)) for f in filters[1:]])
            grid = pd.concat([_frame(cur, q.grid_recent(f, recent_start, end)) for f in filters], ignore_index=True)
            density = pd.concat([_frame(cur, q.density(f, recent_start, end)) for f in filters], ignore_index=True)
            closed = pd.concat([_frame(cur, q.closed_daily(f, daily_start, end)) for f in filters],
                               ignore_index=True)
            newest = [_frame(cur, q.newest(f, LATEST_PER_DISTRICT)) for f in filters]
            for f in filters:
                for region_filter in _district_filters(q, newest_per_district):
                    newest.append(_frame(cur, q.newest(q.sql.SQL("({}) AND {}").format(f, region_filter),
                                                       LATEST_PER_DISTRICT)))
    except psycopg.errors.QueryCanceled as exc:
        raise SourceError(source.name, f"查询超时（超过 {timeout:g} 秒），已中止") from exc
    except psycopg.Error as exc:
        raise SourceError(source.name, f"数据库汇总查询失败: {exc}") from exc
    finally:
        conn.close()
    # every row is either undoubted (counted in the cube) or doubted (fetched, some rescued into it)
    rows_read = int(days["incidents"].sum()) - len(judged.good) + len(doubtful)
    newest = _typed(pd.concat(newest, ignore_index=True)).drop_duplicates("incident_id")
    return IncidentAggregates(
        days=days, hours=hours,
        grid_recent=_summed(grid, ["region_id"]), density=_summed(density, ["bx", "by"]),
        closed_daily=_summed(closed, ["day"]), newest=newest.reset_index(drop=True),
        detail=detail, rows_read=rows_read,
        quarantined=judged.quarantined,
        newest_reported=pd.Timestamp(newest["reported_at"].max()) if len(newest) else None)


LATEST_PER_DISTRICT = 60  # as dashboard/incident_frames.py's LATEST_INCIDENTS
_TEXT = pa.dictionary(pa.int32(), pa.string())
CUBE_TYPES = {"grain": pa.int8(), "day_at": pa.timestamp("us"), "hour_at": pa.timestamp("us"), "region_id": _TEXT,
              "district_id": _TEXT, "category": _TEXT, "source": _TEXT, "status": _TEXT, "incidents": pa.int64(),
              "closed": pa.int64(), "ontime": pa.int64(), "handling_seconds": pa.float64(), "overdue": pa.int64()}


def _district_filters(q: _Query, districts: list[list[str]]):
    """One predicate per district (its region ids), then one for the rows of no district (未知区域)."""
    known = sorted({r for ids in districts for r in ids})
    for ids in districts:
        yield q.sql.SQL("{} = ANY({})").format(q.col["region_id"], q.lit(list(ids)))
    yield q.sql.SQL("coalesce(NOT ({} = ANY({})), true)").format(q.col["region_id"], q.lit(known))


def _summed(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per key: the good rows' and the rescued rows' aggregates added up."""
    if frame.empty or not frame.duplicated(keys).any():
        return frame
    return frame.groupby(keys, as_index=False, observed=True, dropna=False).sum()
