"""What a sentence resolved to: the view, the instruction, the entities with their spans, the
words understood but selecting nothing, the unknown words and the notices. Plain values, so the
command bar's chips, the wall control and the instructions read the same result the CLI prints."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from dashboard.errors import MessageError

KIND_LABELS = {"region": "区域", "city": "区域", "department": "部门", "category": "事件分类", "source": "事件来源",
               "status": "办理状态", "indicator": "指标", "target": "目标", "period": "时段", "deadline": "期限",
               "action": "指令动作", "page": "页面", "incident": "事件"}


class AskError(MessageError, ValueError):
    """A sentence that cannot be parsed at all (empty, too long); ``message`` says so in Chinese."""


@dataclass(frozen=True)
class Span:
    text: str
    start: int
    end: int

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Choice:
    """Another reading of an entity's words (a chip switches to it)."""
    kind: str
    value: str
    label: str

    def to_json(self) -> dict:
        return {"kind": self.kind, "kind_label": KIND_LABELS[self.kind], "value": self.value, "label": self.label}


@dataclass(frozen=True)
class Entity:
    """Words at [start, end) of the sentence and what they name. ``value``: a region, department,
    target or incident id, a category, source or status, an indicator id, a page's path, a
    period as 'first/last' (ISO days), a deadline as an ISO time; ``level``: a region's level."""
    kind: str
    text: str
    start: int
    end: int
    value: str
    label: str
    via: str = "全称"
    level: str = ""
    alternatives: tuple[Choice, ...] = ()

    @property
    def kind_label(self) -> str:
        return self.level or KIND_LABELS[self.kind]

    def to_json(self) -> dict:
        return {"kind": self.kind, "kind_label": self.kind_label, "text": self.text, "start": self.start,
                "end": self.end, "value": self.value, "label": self.label, "via": self.via, "level": self.level,
                "alternatives": [a.to_json() for a in self.alternatives]}


@dataclass(frozen=True)
class View:
    """The page the sentence opens: ``url`` from the drill-down pages' own URL builders;
    ``filters`` the /incidents query's values when it is that page (the chips edit them)."""
    path: str
    url: str
    title: str
    filters: dict = field(default_factory=dict)
    indicator: str | None = None

    def to_json(self) -> dict:
        return {"path": self.path, "url": self.url, "title": self.title, "filters": dict(self.filters),
                "indicator": self.indicator}


@dataclass(frozen=True)
class Instruction:
    """A 指令 the sentence gives: what to do (``text``, its ``action`` verb), where (region,
    incident), which department, by when (``deadline``), and the category it concerns."""
    action: str
    text: str
    department_id: str | None = None
    department: str | None = None
    region_id: str | None = None
    region: str | None = None
    incident_id: str | None = None
    category: str | None = None
    deadline: datetime | None = None

    def to_json(self) -> dict:
        return {"action": self.action, "text": self.text, "department_id": self.department_id,
                "department": self.department, "region_id": self.region_id, "region": self.region,
                "incident_id": self.incident_id, "category": self.category,
                "deadline": self.deadline.isoformat() if self.deadline else None}


@dataclass(frozen=True)
class AskResult:
    sentence: str
    now: datetime
    view: View
    instruction: Instruction | None
    entities: tuple[Entity, ...]
    ignored: tuple[Span, ...]
    unknown: tuple[Span, ...]
    notices: tuple[str, ...]

    def to_json(self) -> dict:
        return {"sentence": self.sentence, "now": self.now.isoformat(), "view": self.view.to_json(),
                "instruction": self.instruction.to_json() if self.instruction else None,
                "entities": [e.to_json() for e in self.entities], "ignored": [s.to_json() for s in self.ignored],
                "unknown": [s.to_json() for s in self.unknown], "notices": list(self.notices)}
