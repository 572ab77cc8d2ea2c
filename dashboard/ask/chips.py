"""The command bar's chips: what a sentence resolved to, one chip per entity, and the result of editing them.

A chip can be removed, or switched to another reading of its words (城管: the category 城市管理 or the
department 城市管理局, the entity's alternatives). The edits are plain values the page keeps
(``{"removed": [i, …], "switched": {i: j}}``, i the entity's index in the parsed result, j the
alternative's): :func:`edited` applies them to the parsed entities and recomposes the view and
the instruction with the parser's own composition (dashboard/ask/compose.py), so a chip edit
opens exactly what the edited sentence would. Words the parser did not understand are chips too,
marked so, and cannot be edited away: nothing typed is silently dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from dashboard.ask.lexicon import Lexicon
from dashboard.ask.result import KIND_LABELS, AskResult, Choice, Entity

@dataclass(frozen=True)
class Alternative:
    index: int
    kind_label: str
    label: str


@dataclass(frozen=True)
class Chip:
    """``index``: the entity's index in the parsed result (None: an unknown word)."""
    index: int | None
    kind_label: str
    label: str
    text: str
    alternatives: tuple[Alternative, ...] = ()
    unknown: bool = False
    edited: bool = False

    @property
    def removable(self) -> bool:
        return self.index is not None


def _as_choice(entity: Entity) -> Choice:
    return Choice(entity.kind, entity.value, entity.label)


def _level(choice: Choice, lexicon: Lexicon | None) -> str:
    regions = lexicon.regions if lexicon is not None else {}
    return regions[choice.value].level if choice.kind == "region" and choice.value in regions else ""


def _switched(entity: Entity, choice: Choice, lexicon: Lexicon) -> Entity:
    """The entity read as ``choice``; its own reading becomes an alternative (to switch back)."""
    others = tuple(a for a in entity.alternatives if a != choice)
    return replace(entity, kind=choice.kind, value=choice.value, label=choice.label, level=_level(choice, lexicon),
                   via="用户选择", alternatives=(_as_choice(entity), *others))


def normal_edits(edits: dict | None, count: int) -> tuple[frozenset[int], dict[int, int]]:
    """The page's edits as (removed indices, {index: alternative}), values out of range left out
    (the page sends them back as JSON: string keys, any type)."""
    edits = edits if isinstance(edits, dict) else {}
    removed = frozenset(i for i in edits.get("removed") or () if isinstance(i, int) and 0 <= i < count)
    switched = {}
    for key, value in (edits.get("switched") or {}).items():
        if str(key).isdigit() and int(key) < count and isinstance(value, int) and value >= 0:
            switched[int(key)] = value
    return removed, switched


def _entries(result: AskResult, lexicon: Lexicon, edits: dict | None):
    """(index, the parsed entity, the alternative switched to or None) for each entity kept."""
    removed, switched = normal_edits(edits, len(result.entities))
    for i, entity in enumerate(result.entities):
        if i not in removed:
            j = switched.get(i)
            yield i, entity, (j if j is not None and j < len(entity.alternatives) else None)


def edited(result: AskResult, lexicon: Lexicon, edits: dict | None) -> AskResult:
    """``result`` with the chips' edits applied: the view and the instruction composed anew (the
    notices are the composition's: the parser's notices were about the sentence as typed)."""
    from dashboard.ask.compose import compose

    if normal_edits(edits, len(result.entities)) == (frozenset(), {}):
        return result
    kept = [e if j is None else _switched(e, e.alternatives[j], lexicon) for _, e, j in _entries(result, lexicon, edits)]
    action = next((e for e in kept if e.kind == "action"), None)
    instruction = result.instruction is not None and action is not None
    receiver = None
    if instruction:  # as the parser reads it: the first department before the verb, else the first one
        departments = [e for e in kept if e.kind == "department"]
        receiver = next((e for e in departments if e.start < action.start), departments[0] if departments else None)
    return compose(result.sentence, result.now, tuple(kept), result.ignored, result.unknown, [], instruction,
                   receiver, lexicon)


def _alternative(index: int, choice: Choice, lexicon: Lexicon | None) -> Alternative:
    return Alternative(index, _level(choice, lexicon) or KIND_LABELS[choice.kind], choice.label)


def chips_of(result: AskResult, lexicon: Lexicon | None = None, edits: dict | None = None) -> list[Chip]:
    """The chips of a parsed result with the page's edits, in the sentence's order: each entity
    kept, and each unknown word. A switched chip offers its parsed reading back (index -1)."""
    chips = []
    for i, entity, j in _entries(result, lexicon, edits):
        shown = entity if j is None else _switched(entity, entity.alternatives[j], lexicon)
        others = [_alternative(k, a, lexicon) for k, a in enumerate(entity.alternatives) if k != j]
        if j is not None:
            others.insert(0, _alternative(-1, _as_choice(entity), lexicon))
        chips.append((entity.start, Chip(i, shown.kind_label, shown.label, entity.text, tuple(others),
                                         edited=j is not None)))
    chips += [(s.start, Chip(None, "未识别", s.text, s.text, unknown=True)) for s in result.unknown]
    return [chip for _, chip in sorted(chips, key=lambda pair: pair[0])]
