"""From a sentence's entities to the view it opens and the instruction it gives.

The URL comes from the drill-down pages' own builders (dashboard/incident_query.py's
IncidentQuery.href for /incidents, layouts/links.py, the record's and the target's hrefs), so the
page reads every value back as given. What a URL can hold once (one region, one category …) takes
the sentence's first one, and a notice names the ones left out.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from dashboard.ask import vocabulary as vocab
from dashboard.ask.lexicon import Lexicon
from dashboard.ask.result import AskResult, Entity, Instruction, Span, View
from dashboard.incident_query import EARLIEST, IncidentQuery
from dashboard.incident_record import record_href
from dashboard.target_views import target_href
from layouts.links import department_href, wall_href

_QUERY_KINDS = ("category", "source", "status")


def _first(entities, kind: str, label: str, notices: list[str]) -> Entity | None:
    found = [e for e in entities if e.kind == kind]
    labels = list(dict.fromkeys(e.label for e in found))  # 噪音 … 扰民: one category named twice
    if len(labels) > 1:
        notices.append(f"句中有多个{label}（{'、'.join(labels)}），只用了 {labels[0]}")
    return found[0] if found else None


def _region(entities, lexicon: Lexicon, notices: list[str]) -> Entity | None:
    """The most specific region of the first lineage the sentence names (滨江区古城街道: the street)."""
    chosen = None
    for e in (e for e in entities if e.kind == "region"):
        if chosen is None or _ancestors(e.value, lexicon).count(chosen.value):
            chosen = e
        elif chosen.value not in _ancestors(e.value, lexicon) and e.value not in _ancestors(chosen.value, lexicon):
            notices.append(f"句中有多个区域（{chosen.label}、{e.label}），只用了 {chosen.label}")
    return chosen


def _ancestors(region_id: str, lexicon: Lexicon) -> list[str]:
    out, at = [], lexicon.regions.get(region_id)
    while at is not None and at.parent and len(out) < 6:
        out.append(at.parent)
        at = lexicon.regions.get(at.parent)
    return out


def _period_query(period: Entity | None, notices: list[str]) -> dict:
    """The /incidents query of a period entity (its value: a period key, or 'first/last')."""
    if period is None:
        return {}
    if "/" not in period.value:
        return {"period": period.value}
    first, last = (date.fromisoformat(d) for d in period.value.split("/"))
    if first < EARLIEST:
        notices.append(f"时段「{period.text}」早于 {EARLIEST.isoformat()}，已忽略")
        return {}
    return {"period": "range", "start": first, "end": last}


def _view(entities, region: Entity | None, lexicon: Lexicon, notices: list[str], instruction: bool) -> View:
    incident = _first(entities, "incident", "事件编号", notices)
    if incident is not None:
        return View("/incident", record_href(incident.value), "事件详情")
    target = _first(entities, "target", "目标", notices)
    indicator = next((e for e in entities if e.kind == "indicator"), None)
    if target is not None and not (indicator and indicator.label == target.label):
        return View("/target", target_href(target.value), "目标详情")
    picked = {k: _first(entities, k, label, notices) for k, label in
              (("category", "事件分类"), ("source", "事件来源"), ("status", "办理状态"), ("period", "时段"))}
    department = next((e for e in entities if e.kind == "department"), None)
    page = next((e.value for e in entities if e.kind == "page"), None)
    indicator_page = vocab.INDICATOR_PAGES.get(indicator.value) if indicator else None
    indicator_id = indicator.value if indicator else None
    incident_like = region or any(picked.values()) or instruction or (indicator and not indicator_page) \
        or page == "/incidents"
    if indicator_page and not any(picked[k] for k in _QUERY_KINDS) and not instruction:
        return _programme_view(indicator_page, department, region, lexicon, indicator_id)
    if incident_like:
        params = {k: picked[k].value for k in _QUERY_KINDS if picked[k]}
        query = replace(IncidentQuery(region=region.value if region else None),
                        **params, **_period_query(picked["period"], notices))
        filters = {k: v for k, v in (("region", query.region), ("period", query.period),
                                     ("from", query.start.isoformat() if query.start else None),
                                     ("to", query.end.isoformat() if query.end else None),
                                     *((k, getattr(query, k)) for k in _QUERY_KINDS)) if v is not None}
        return View("/incidents", query.href(), vocab.PAGE_TITLES["/incidents"], filters, indicator_id)
    if page is not None:
        return _programme_view(page, department, region, lexicon, indicator_id)
    if department is not None:
        return View("/department", department_href(department.value), "部门详情", {}, indicator_id)
    if not any(e.kind == "city" for e in entities):
        notices.append("未识别出要打开的视图，显示大屏（全市）")
    return View("/wall", wall_href(), vocab.PAGE_TITLES["/wall"], {}, indicator_id)


def _programme_view(path: str, department: Entity | None, region: Entity | None, lexicon: Lexicon,
                    indicator_id: str | None) -> View:
    title = vocab.PAGE_TITLES[path]
    if path == "/wall":
        district = lexicon.regions[region.value].district if region and region.value in lexicon.regions else None
        return View(path, wall_href(district), title, {"view": f"district:{district}"} if district else {},
                    indicator_id)
    if department is not None and path == "/sharing":
        return View("/department", department_href(department.value), "部门详情", {}, indicator_id)
    key = {"/cloud": "dept", "/exchange": "provider"}.get(path)
    if department is not None and key:
        return View(path, f"{path}?{key}={department.value}", title, {key: department.value}, indicator_id)
    return View(path, path, title, {}, indicator_id)


def _instruction_text(sentence: str, removed: list[Entity | Span]) -> str:
    """The sentence without its 请, receiving department and deadline: what is to be done."""
    keep = [True] * len(sentence)
    for part in removed:
        keep[part.start:part.end] = [False] * (part.end - part.start)
    text = "".join(ch for ch, k in zip(sentence, keep) if k)
    return " ".join(text.split()).strip(" ，,。.；;：:！!？?、")


def compose(sentence: str, now: datetime, entities: tuple[Entity, ...], ignored: tuple[Span, ...],
            unknown: tuple[Span, ...], notices: list[str], instruction: bool, receiver: Entity | None,
            lexicon: Lexicon) -> AskResult:
    region = _region(entities, lexicon, notices)
    if region is None and receiver is not None and receiver.via == "区县政府":  # 请滨江区核查: in 滨江区
        where = receiver.alternatives[0]
        region = replace(receiver, kind="region", value=where.value, label=where.label, level="区县")
    view = _view(entities, region, lexicon, notices, instruction)
    order = None
    if instruction:
        deadline = next((e for e in entities if e.kind == "deadline"), None)
        action = next(e for e in entities if e.kind == "action")
        category = next((e for e in entities if e.kind == "category"), None)
        incident = next((e for e in entities if e.kind == "incident"), None)
        please = [s for s in ignored if s.text in vocab.PLEASE]
        text = _instruction_text(sentence, [*please, *(e for e in (receiver, deadline) if e is not None)])
        if receiver is None:
            notices.append("指令未指明承办部门")
        others = [e.label for e in entities if e.kind == "department" and e is not receiver]
        if receiver is not None and others:
            notices.append(f"句中有多个部门（{'、'.join(others)}），指令只交给 {receiver.label}")
        if deadline is None:
            notices.append("指令未给出期限")
        order = Instruction(action.value, text, receiver.value if receiver else None,
                            receiver.label if receiver else None, region.value if region else None,
                            region.label if region else None, incident.value if incident else None,
                            category.value if category else None,
                            datetime.fromisoformat(deadline.value) if deadline else None)
    else:
        for e in entities:
            if e.kind == "deadline":
                notices.append(f"「{e.text}」是期限，只用于指令（句中没有「请 … 处置」等指令动词）")
    return AskResult(sentence, now, view, order, entities, ignored, unknown, tuple(dict.fromkeys(notices)))
