"""The parser of 一句话响应: a Chinese sentence → an :class:`~dashboard.ask.result.AskResult`.

Offline and deterministic: dictionaries (dashboard/ask/lexicon.py), time rules
(dashboard/ask/times.py) and jieba for the words left over (dashboard/ask/segmenter.py).

1. The sentence is normalised character by character (full-width → half-width, lower case), so a
   span in the normalised text is the same span in the sentence.
2. Every candidate is collected: each dictionary word at each position, each time expression, a
   grid's number (第3网格), a run of letters (pinyin initials) or of letters and digits (an
   incident's id). The cover of the sentence is the one with the most characters in candidates,
   then the fewest pieces (滨江区 over 滨江 + 区), found by dynamic programming.
3. Each piece gets one reading; a word with several (城管: department or category) is read by its
   context: the department that receives an instruction is the first department-capable word
   before the instruction's verb (after it, when none is before), or a district right after 请 whose
   government is a department (请高新区核查 → 高新区人民政府); anywhere else the category, source,
   status, indicator, region or page reading wins, in that order. The other readings are kept as the
   entity's alternatives.
4. What no candidate covers is cut into words by jieba and reported as unknown, never dropped.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from dashboard.ask import segmenter, times
from dashboard.ask.lexicon import Lexicon, Reading, grid_number_key
from dashboard.ask.result import AskError, AskResult, Choice, Entity, Span

MAX_CHARS = 200
_GRID_NUMBER = re.compile(r"第?(?:\d{1,4}|[零〇一二两三四五六七八九十]{1,3})号?网格")
_ASCII_RUN = re.compile(r"[0-9a-z][0-9a-z\-_]*")
SHOWN_ALTERNATIVES = 10
_PRIORITY = {"time": 0, "term": 1, "grid": 2, "incident": 3, "initials": 4}


@dataclass(frozen=True)
class Piece:
    """One candidate of the cover: [start, end) and what it is."""
    start: int
    end: int
    kind: str  # time | term | grid | incident | initials
    readings: tuple[Reading, ...] = ()
    time: times.TimeMatch | None = None
    value: str = ""


def normalise(sentence: str) -> str:
    """Full-width letters, digits and signs → ASCII, lower case; one character for one, so spans keep."""
    out = []
    for ch in sentence:
        folded = unicodedata.normalize("NFKC", ch)
        out.append((folded if len(folded) == 1 else ch).lower())
    return "".join(out)


def is_separator(ch: str) -> bool:
    """Spaces and punctuation; a symbol (😀, <) is not one: it is reported as unknown."""
    return ch.isspace() or unicodedata.category(ch)[0] in "PZ"


def _ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _bounded(text: str, start: int, end: int) -> bool:
    """A candidate does not cut a run of ASCII letters and digits (110 inside rx2611011000)."""
    return not ((start > 0 and _ascii_alnum(text[start]) and _ascii_alnum(text[start - 1]))
                or (end < len(text) and _ascii_alnum(text[end - 1]) and _ascii_alnum(text[end])))


def candidates(text: str, lexicon: Lexicon, now: datetime) -> list[list[Piece]]:
    """The candidates starting at each position, longest first."""
    at: list[list[Piece]] = [[] for _ in text]
    for match in times.scan(text, now):
        at[match.start].append(Piece(match.start, match.end, "time", time=match))
    n = len(text)
    for i in range(n):
        for length in lexicon.lengths:
            if i + length <= n and (readings := lexicon.terms.get(text[i:i + length])):
                at[i].append(Piece(i, i + length, "term", readings))
        if text[i] in "第0123456789零〇一二两三四五六七八九十" and (m := _GRID_NUMBER.match(text, i)):
            at[i].append(Piece(i, m.end(), "grid", value=grid_number_key(m.group(0)) or ""))
        if _ascii_alnum(text[i]) and (i == 0 or not _ascii_alnum(text[i - 1])):
            run = _ASCII_RUN.match(text, i).group(0).rstrip("-_")
            end = i + len(run)
            if run in lexicon.incidents:
                at[i].append(Piece(i, end, "incident", value=lexicon.incidents[run]))
            elif run.isalpha() and run in lexicon.initials:
                at[i].append(Piece(i, end, "initials", lexicon.initials[run]))
    for i, pieces in enumerate(at):
        at[i] = sorted((p for p in pieces if _bounded(text, p.start, p.end)),
                       key=lambda p: (p.start - p.end, _PRIORITY[p.kind]))
    return at


def cover(text: str, at: list[list[Piece]]) -> list[Piece]:
    """The pieces covering the most characters, then the fewest pieces (ties: longest first)."""
    n = len(text)
    best: list[tuple[int, int]] = [(0, 0)] * (n + 1)
    choice: list[Piece | None] = [None] * (n + 1)
    for i in range(n - 1, -1, -1):
        best[i], choice[i] = best[i + 1], None
        for piece in at[i]:
            covered, count = best[piece.end]
            score = (covered + piece.end - piece.start, count - 1)
            if score > best[i]:
                best[i], choice[i] = score, piece
    pieces, i = [], 0
    while i < n:
        if choice[i] is None:
            i += 1
        else:
            pieces.append(choice[i])
            i = choice[i].end
    return pieces


def leftovers(sentence: str, text: str, pieces: list[Piece]) -> list[Span]:
    """The words no piece covers (separators aside), cut by jieba."""
    covered = [False] * len(text)
    for p in pieces:
        covered[p.start:p.end] = [True] * (p.end - p.start)
    out: list[Span] = []
    i = 0
    while i < len(text):
        if covered[i] or is_separator(text[i]):
            i += 1
            continue
        j = i
        while j < len(text) and not covered[j] and not is_separator(text[j]):
            j += 1
        out += [Span(sentence[i + a:i + b], i + a, i + b) for _, a, b in segmenter.words(text[i:j])]
        i = j
    return out


def _choice(r: Reading) -> Choice:
    return Choice("region" if r.kind == "city" else r.kind, r.value, r.label)


def _entity(sentence: str, piece: Piece, reading: Reading, others, via: str | None = None) -> Entity:
    return Entity(reading.kind, sentence[piece.start:piece.end], piece.start, piece.end, reading.value,
                  reading.label, via or reading.via, reading.level,
                  tuple(_choice(o) for o in others if o != reading)[:SHOWN_ALTERNATIVES])


def _time_entity(sentence: str, piece: Piece) -> Entity | None:
    match = piece.time
    words = sentence[piece.start:piece.end]
    if match.period is not None:
        p = match.period
        span = p.first.isoformat() if p.first == p.last else f"{p.first.isoformat()} 至 {p.last.isoformat()}"
        value = p.key if p.key != "range" else f"{p.first.isoformat()}/{p.last.isoformat()}"
        return Entity("period", words, piece.start, piece.end, value, f"{words}（{span}）", "时间")
    if match.deadline is not None:
        return Entity("deadline", words, piece.start, piece.end, match.deadline.isoformat(),
                      match.deadline.strftime("%Y-%m-%d %H:%M"), "时间")
    return None


def _department_of(piece: Piece, lexicon: Lexicon) -> Reading | None:
    """The department a piece can name: a department reading, or a district's government."""
    if piece.kind not in ("term", "initials"):
        return None
    found = next((r for r in piece.readings if r.kind == "department"), None)
    return found or next((lexicon.governments[r.value] for r in piece.readings
                          if r.kind == "region" and r.value in lexicon.governments), None)


def _receiver(pieces: list[Piece], instruction: bool, lexicon: Lexicon) -> Piece | None:
    """The piece whose department reading receives the instruction (None: no instruction); a
    district's government receives it only right after 请 (请滨江区核查, not 请城管局核查滨江区)."""
    if not instruction:
        return None
    capable = [p for i, p in enumerate(pieces) if any(r.kind == "department" for r in p.readings)
               or (_department_of(p, lexicon) and i > 0 and pieces[i - 1].readings[:1]
                   and pieces[i - 1].readings[0].kind == "please")]
    action = next((p for p in pieces if p.kind == "term" and p.readings[0].kind == "action"), None)
    before = [p for p in capable if action is None or p.start < action.start]
    return (before or capable or [None])[0]


def _is_instruction(pieces: list[Piece]) -> bool:
    kinds = {p.readings[0].kind for p in pieces if p.kind == "term"}
    deadline = any(p.kind == "time" and p.time.deadline is not None for p in pieces)
    return "action" in kinds and ("please" in kinds or deadline)


def _grid_entity(sentence: str, piece: Piece, lexicon: Lexicon, regions: list[Entity],
                 notices: list[str]) -> Entity | None:
    words = sentence[piece.start:piece.end]
    grids = lexicon.grids_by_number.get(piece.value, ())
    within = regions[-1] if regions and regions[-1].end <= piece.start else None
    if within is not None:
        grids = tuple(g for g in grids if within.value in (lexicon.regions[g].parent, lexicon.regions[g].district))
    if not grids:
        where = within.label if within else "本市"
        notices.append(f"「{words}」在{where}中不存在")
        return None
    names = [Reading("region", g, lexicon.regions[g].name, "编号", "网格") for g in grids]
    if len(grids) > 1:
        shown = "、".join(r.label for r in names[:3])
        notices.append(f"「{words}」有 {len(grids)} 个候选（{shown}…），已取第一个；请带上镇街名")
    return _entity(sentence, piece, names[0], names)


def read_pieces(sentence: str, pieces: list[Piece], lexicon: Lexicon, notices: list[str]):
    """(entities, ignored spans, unresolved spans, whether the sentence is an instruction, the
    receiving entity). Unresolved: a grid number no grid has, a month not yet come."""
    instruction = _is_instruction(pieces)
    receiver_piece = _receiver(pieces, instruction, lexicon)
    entities: list[Entity] = []
    ignored: list[Span] = []
    unresolved: list[Span] = []
    receiver = None
    for piece in pieces:
        words = sentence[piece.start:piece.end]
        if piece.kind == "time":
            entity = _time_entity(sentence, piece)
            if piece.time.notice:
                notices.append(piece.time.notice)
        elif piece.kind == "incident":
            entity = Entity("incident", words, piece.start, piece.end, piece.value, piece.value, "编号")
        elif piece.kind == "grid":
            entity = _grid_entity(sentence, piece, lexicon, [e for e in entities if e.kind == "region"], notices)
        else:
            readings = piece.readings
            chosen = readings[0]
            if piece is receiver_piece:
                chosen = _department_of(piece, lexicon)
            if chosen.kind in ("filler", "please"):
                ignored.append(Span(words, piece.start, piece.end))
                continue
            entity = _entity(sentence, piece, chosen, readings)
            if piece.kind == "initials" and len(readings) > 1:
                notices.append(f"拼音首字母「{words}」有 {len(readings)} 个候选："
                               f"{'、'.join(r.label for r in readings)}，已取 {chosen.label}")
            if piece is receiver_piece:
                receiver = entity
        if entity is None:
            unresolved.append(Span(words, piece.start, piece.end))
        else:
            entities.append(entity)
    return entities, ignored, unresolved, instruction, receiver


def parse(sentence: str, lexicon: Lexicon, now: datetime | None = None,
          timezone: str = times.TIMEZONE.key) -> AskResult:
    """What ``sentence`` resolves to at ``now`` (None: the clock's now), its days and deadlines in the
    city's ``timezone`` (city.timezone)."""
    from dashboard.ask.compose import compose

    if not isinstance(sentence, str) or not sentence.strip():
        raise AskError("句子为空：请输入一句话，如「看看高新区本周城管的超期件」")
    if len(sentence) > MAX_CHARS:
        raise AskError(f"句子过长（{len(sentence)} 字）：最多 {MAX_CHARS} 字，请拆成几句")
    now = times.local_now(now, timezone)
    text = normalise(sentence)
    pieces = cover(text, candidates(text, lexicon, now))
    notices: list[str] = []
    entities, ignored, unresolved, instruction, receiver = read_pieces(sentence, pieces, lexicon, notices)
    unknown = sorted(unresolved + leftovers(sentence, text, pieces), key=lambda s: s.start)
    return compose(sentence, now, tuple(entities), tuple(ignored), tuple(unknown), notices, instruction, receiver,
                   lexicon)
