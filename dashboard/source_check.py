"""What a source's mapping does, in a minute: the integrator's report (``run.py check-source``, /status).

:func:`build_report` is a pure function from one read of a source (its own frame, the mapped frame and
the validation result) to a :class:`SourceReport` view model; the CLI renders it as text
(:func:`render_text`) and /status as HTML. Every raw value in it is masked (dashboard/masking.py)
unless ``app.mask_personal = false``. The puller builds one per pull and keeps it in ``source_checks``,
so /status shows it without reading the source again; ``check-source`` reads the source (or ``--file``)
and publishes nothing.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import orjson
import pandas as pd
from sqlalchemy import delete, insert, select

from dashboard import db, formatting as fmt
from dashboard.freshness import DATASET_LABELS, DATE_RANGE_COLUMNS
from dashboard.masking import mask_rows
from dashboard.publish_guard import Verdict, judge
from dashboard.region_match import describe as describe_regions, geography_ids, region_match
from dashboard.settings import Settings, SourceSettings
from dashboard.store import open_store
from datasources.adapters import SourceError, map_raw, read_raw
from datasources.contracts import CONTRACTS, RAW, REASON, ROW, ContractError, validate

SAMPLE_ROWS = 5
EXAMPLES_PER_REASON = 3


@dataclass(frozen=True)
class HeaderUse:
    header: str
    feeds: list[str]  # contract columns this header feeds; empty: not used


@dataclass(frozen=True)
class ReasonGroup:
    reason: str  # the reason without its value ("reported_at 无法解析为日期时间")
    count: int
    examples: list[dict]  # masked whole raw rows, with 源行号


@dataclass(frozen=True)
class SourceReport:
    source: str
    dataset: str
    kind: str
    checked_at: float
    error: str = ""  # the source could not be read or mapped: nothing else is filled
    headers: list[HeaderUse] = field(default_factory=list)
    constants: list[str] = field(default_factory=list)  # contract columns filled by constants
    missing: list[str] = field(default_factory=list)  # required contract columns nothing feeds
    sample_columns: list[str] = field(default_factory=list)
    sample_rows: list[dict] = field(default_factory=list)  # the first rows as mapped (masked)
    rows_read: int = 0
    rows_ok: int = 0
    rows_quarantined: int = 0
    reasons: list[ReasonGroup] = field(default_factory=list)
    regions: str = ""  # "N 条事件（x%）的区域编码不在地图中，例: …" or "" (all match / no map)
    region_match_rate: float | None = None
    date_column: str = ""
    date_first: str = ""
    date_last: str = ""
    rows_before: int | None = None
    held: bool = False
    hold_reason: str = ""

    @property
    def publish_change(self) -> str:
        before = "首次发布" if self.rows_before is None else f"{fmt.count(self.rows_before)} 行"
        verdict = f"发布保护将暂缓: {self.hold_reason}" if self.held else "可发布"
        return f"{before} → {fmt.count(self.rows_ok)} 行（{verdict}）"

    def to_json(self) -> str:
        return orjson.dumps(asdict(self), default=str).decode()

    @classmethod
    def from_json(cls, text: str) -> "SourceReport":
        data = orjson.loads(text)
        data["headers"] = [HeaderUse(**h) for h in data.get("headers", [])]
        data["reasons"] = [ReasonGroup(**r) for r in data.get("reasons", [])]
        return cls(**data)


def reason_kind(reason: str) -> str:
    """A reason without the value it quotes, so rows group by what is wrong, not by their values."""
    return reason.split(": ", 1)[0].split(":", 1)[0].strip()


def _feeds(source: SourceSettings, header: str, contract_names: list[str]) -> list[str]:
    targets = []
    for src, dst in source.columns.items():
        if src.strip() == header:
            targets.extend(dst if isinstance(dst, (list, tuple)) else [dst])
    if not targets and header in contract_names:
        targets.append(header)  # an export already using the contract's names
    return [t for t in targets if t in contract_names]


RAW_LINE = "原始行"  # the whole text of a line the reader set aside


def raw_rows_of(quarantined: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
    """Quarantined rows with the source's whole raw row (every column of the export, not only the
    contract's) in place of the mapped values; _row is the 1-based row of the mapped frame."""
    if not len(quarantined) or len(raw) == 0 or quarantined[ROW].max() > len(raw):
        return quarantined
    positions = quarantined[ROW].astype("int64").to_numpy() - 1
    whole = raw.iloc[positions].reset_index(drop=True)
    whole = whole.rename(columns=str).astype(object).where(whole.notna(), "")
    whole.insert(0, REASON, quarantined[REASON].to_numpy())
    whole.insert(0, ROW, quarantined[ROW].to_numpy())
    if RAW in quarantined.columns:  # a line the reader could not split has no columns: show the line itself
        lines = quarantined[RAW].fillna("").astype(str).to_numpy()
        if any(lines):
            whole.insert(2, RAW_LINE, lines)
    return whole


def _reason_groups(quarantined: pd.DataFrame, personal, mask: bool) -> list[ReasonGroup]:
    if not len(quarantined):
        return []
    kinds = quarantined[REASON].str.split("；").explode().map(reason_kind)
    groups = []
    for kind, count in kinds.value_counts().items():
        rows = quarantined.loc[kinds.index[kinds == kind].unique()[:EXAMPLES_PER_REASON]]
        examples = [{"源行号": int(r[ROW]), "原因": r[REASON],
                     **{k: v for k, v in r.items() if k not in (ROW, REASON)}} for _, r in rows.iterrows()]
        groups.append(ReasonGroup(kind, int(count), mask_rows(examples, personal, mask)))
    return groups


def _date_range(dataset: str, good: pd.DataFrame) -> tuple[str, str, str]:
    column = DATE_RANGE_COLUMNS.get(dataset, "")
    if not column or column not in good.columns or not good[column].notna().any():
        return column, "", ""
    values = pd.to_datetime(good[column])
    return column, f"{values.min():%Y-%m-%d %H:%M}", f"{values.max():%Y-%m-%d %H:%M}"


def build_report(source: SourceSettings, raw: pd.DataFrame, mapped: pd.DataFrame, good: pd.DataFrame,
                 quarantined: pd.DataFrame, *, region_match: pd.DataFrame | None, rows_before: int | None,
                 verdict: Verdict, mask: bool = True, checked_at: float | None = None) -> SourceReport:
    """The report of one read of ``source``: ``quarantined`` carries whole raw rows (:func:`raw_rows_of`)."""
    contract = CONTRACTS[source.dataset]
    names = contract.names
    headers = [HeaderUse(str(h), _feeds(source, str(h).strip(), names)) for h in raw.columns]
    fed = {c for h in headers for c in h.feeds} | set(source.constants)
    missing = [c.name for c in contract.columns if c.required and c.name not in fed and c.name not in mapped.columns]
    sample = mapped.head(SAMPLE_ROWS).astype(object).where(mapped.head(SAMPLE_ROWS).notna(), "")
    column, first, last = _date_range(source.dataset, good)
    rate = None
    if region_match is not None and len(region_match) and region_match["rows"].iloc[0]:
        rate = 1 - float(region_match["share"].iloc[0])
    return SourceReport(
        source=source.name, dataset=source.dataset, kind=source.kind,
        checked_at=checked_at if checked_at is not None else time.time(),
        headers=headers, constants=sorted(source.constants), missing=missing,
        sample_columns=[str(c) for c in sample.columns],
        sample_rows=mask_rows(sample.to_dict("records"), source.personal, mask),
        rows_read=len(mapped), rows_ok=len(good), rows_quarantined=len(quarantined),
        reasons=_reason_groups(quarantined, source.personal, mask),
        regions=describe_regions(region_match), region_match_rate=rate,
        date_column=column, date_first=first, date_last=last,
        rows_before=rows_before, held=verdict.held, hold_reason=verdict.reason)


def failed_report(source: SourceSettings, error: str) -> SourceReport:
    return SourceReport(source.name, source.dataset, source.kind, time.time(), error=error)


# ---- kept per source -------------------------------------------------------------------------------

def save_report(engine, report: SourceReport) -> None:
    """Keep a source's latest report (the puller writes one per pull) for /status."""
    with engine.begin() as conn:
        conn.execute(delete(db.source_checks).where(db.source_checks.c.source == report.source))
        conn.execute(insert(db.source_checks).values(source=report.source, checked_at=report.checked_at,
                                                     report_json=report.to_json()))


def load_reports(engine) -> dict[str, SourceReport]:
    with engine.connect() as conn:
        rows = conn.execute(select(db.source_checks.c.source, db.source_checks.c.report_json)).all()
    return {source: SourceReport.from_json(text) for source, text in rows}


# ---- text for the command line ---------------------------------------------------------------------

def render_text(report: SourceReport) -> str:
    label = DATASET_LABELS.get(report.dataset, report.dataset)
    lines = [f"数据源「{report.source}」→ {label}（{report.dataset}） · 检查于 {fmt.moment(report.checked_at)} · 未发布"]
    if report.error:
        return "\n".join([*lines, f"读取失败: {report.error}"])
    lines.append("\n文件自带的列 → 合约列:")
    for h in report.headers:
        lines.append(f"  {h.header} → {'、'.join(h.feeds) if h.feeds else '（未使用）'}")
    if report.constants:
        lines.append(f"  （常量）→ {'、'.join(report.constants)}")
    if report.missing:
        lines.append(f"  缺少必需列: {'、'.join(report.missing)}（请在 columns 中映射）")
    lines.append(f"\n前 {len(report.sample_rows)} 行（映射后）:")
    lines.append("  " + " | ".join(report.sample_columns))
    lines.extend("  " + " | ".join(str(r.get(c, "")) for c in report.sample_columns) for r in report.sample_rows)
    lines.append(f"\n读取 {fmt.count(report.rows_read)} 行: 合格 {fmt.count(report.rows_ok)} 行，"
                 f"隔离 {fmt.count(report.rows_quarantined)} 行")
    for group in report.reasons:
        lines.append(f"  · {group.reason}: {fmt.count(group.count)} 行")
        for example in group.examples:
            lines.append("      " + "，".join(f"{k}={v}" for k, v in example.items()))
    if report.region_match_rate is not None:
        lines.append(f"\n区域编码匹配率: {fmt.percent(report.region_match_rate)}"
                     + (f"；{report.regions}" if report.regions else ""))
    if report.date_column:
        span = f"{report.date_first} 至 {report.date_last}" if report.date_first else "（无）"
        lines.append(f"数据时间范围（{report.date_column}）: {span}")
    lines.append(f"发布变化: {report.publish_change}")
    return "\n".join(lines)


# ---- running a check -------------------------------------------------------------------------------

def check_source(settings: Settings, name: str, *, file: str | None = None, engine=None) -> SourceReport:
    """Read one source (or ``file`` in its place) through mapping and validation; publish nothing."""
    source = settings.source(name)
    if file:
        # relative to where the command runs, not to the config file as configured paths are
        source = source.model_copy(update={"kind": "files", "path": str(Path(file).resolve())})
    engine = engine if engine is not None else db.connect(settings.database_url)
    try:
        raw = read_raw(source, settings)
        mapped = map_raw(raw, source)
        result = validate(source.dataset, mapped, date_format=source.date_format,
                          bbox=settings.city.bbox if source.dataset == "incidents" else None)
    except (SourceError, ContractError) as exc:
        return failed_report(source, str(exc))
    rows_before = db.last_published_rows(engine, source.name)
    verdict = judge(source, rows_before=rows_before, rows_read=len(mapped), rows_ok=result.rows_ok)
    matched = None
    if source.dataset == "incidents":
        regions = open_store(settings.app.store, settings.data_dir).frame("regions", "regions")
        matched = region_match(result.good, geography_ids(settings), regions)
    return build_report(source, raw, mapped, result.good, raw_rows_of(result.quarantined, raw),
                        region_match=matched, rows_before=rows_before, verdict=verdict,
                        mask=settings.app.mask_personal)
