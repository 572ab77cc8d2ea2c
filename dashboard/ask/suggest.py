"""Suggestions as the command bar is typed in: the words of the lexicon that complete the sentence's end.

The index is made once per lexicon (once per data version, like the lexicon itself): the lexicon's
words and the common time words in one sorted list, the pinyin initials in another. A suggestion is
then a binary search for the sentence's last characters, so typing costs a few microseconds per
keystroke whatever the size of the city (benchmarks/ask.py times it).

- Chinese: the longest end of the sentence (up to :data:`LONGEST` characters) that begins some word:
  本周城 → 城管, 城市管理, 城市管理局 …; a short form suggests its full name (滨江 → 滨江区).
- Letters: a run of letters at the end is pinyin initials: gxq → 高新区; where initials collide
  (hb → 湖滨镇, 湖北路街道) every candidate is listed.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

from dashboard.ask.lexicon import KIND_ORDER, Lexicon, Reading
from dashboard.ask.result import KIND_LABELS

LONGEST = 8  # characters of the sentence's end looked up (the longest name typed in part)
SHOWN = 8  # suggestions listed
SCANNED = 200  # words of a prefix's range ranked (a prefix shared by thousands of grids stays fast)
#: time words the parser reads (dashboard/ask/times.py), offered like the lexicon's words
TIME_WORDS = ("今天", "昨天", "本周", "上周", "本月", "上月", "今年", "近7天", "近30天", "近一个月", "近三个月",
              "今天18点前", "明天中午前", "本周内", "三天内")
_SILENT = frozenset({"filler", "please"})  # words that select nothing: never suggested
_KEPT = 4


@dataclass(frozen=True)
class Entry:
    word: str  # what is typed (lower case): the key
    insert: str  # what replaces the typed part: the full name
    kind_label: str
    via: str
    rank: tuple


@dataclass(frozen=True)
class Suggestion:
    """Replace the sentence's last ``replaces`` characters with ``insert``: ``sentence`` is the result."""
    insert: str
    kind_label: str
    via: str
    typed: str
    replaces: int
    sentence: str


@dataclass(frozen=True)
class SuggestIndex:
    words: tuple[str, ...]  # sorted
    entries: tuple[Entry, ...]  # in the order of ``words``
    initials: tuple[str, ...]  # sorted
    initial_entries: tuple[tuple[Entry, ...], ...]


def _kind_label(r: Reading) -> str:
    return r.level or KIND_LABELS.get("region" if r.kind == "city" else r.kind, r.kind)


def _entry(word: str, r: Reading, terms) -> Entry:
    # a short form or alias suggests its full name when the full name is itself a word (滨江 → 滨江区)
    insert = r.label if r.kind in ("region", "department") and r.label.lower() in terms else word
    return Entry(word, insert, _kind_label(r), r.via, (len(word), *r.rank()))


def build_index(lexicon: Lexicon) -> SuggestIndex:
    pairs: dict[tuple[str, str], Entry] = {}
    for word, readings in lexicon.terms.items():
        for r in readings:
            if r.kind not in _SILENT:
                entry = _entry(word, r, lexicon.terms)
                pairs.setdefault((word, entry.insert), entry)
    for word in TIME_WORDS:
        pairs.setdefault((word, word), Entry(word, word, KIND_LABELS["period" if "前" not in word and "内" not in word
                                                                      else "deadline"], "时间",
                                             (len(word), len(KIND_ORDER))))
    ordered = sorted(pairs.values(), key=lambda e: (e.word, e.rank))
    initials = sorted(lexicon.initials)
    return SuggestIndex(tuple(e.word for e in ordered), tuple(ordered), tuple(initials),
                        tuple(tuple(_entry(key, r, lexicon.terms) for r in lexicon.initials[key]) for key in initials))


_INDEXES: dict[str, SuggestIndex] = {}


def index_for(lexicon: Lexicon) -> SuggestIndex:
    """The lexicon's index, made at its first use (the lexicon's key names its data version)."""
    found = _INDEXES.get(lexicon.key)
    if found is None:
        found = build_index(lexicon)
        if len(_INDEXES) >= _KEPT:
            _INDEXES.clear()
        _INDEXES[lexicon.key] = found
    return found


def _prefixed(keys: tuple[str, ...], prefix: str) -> range:
    start = bisect.bisect_left(keys, prefix)
    end = bisect.bisect_left(keys, prefix + "\uffff", start, min(len(keys), start + SCANNED))
    return range(start, end)


def _letters_at_end(text: str) -> str:
    i = len(text)
    while i > 0 and text[i - 1].isascii() and text[i - 1].isalpha():
        i -= 1
    return text[i:]


def suggest(sentence: str, index: SuggestIndex, shown: int = SHOWN) -> list[Suggestion]:
    """What may complete ``sentence``'s last word, best first (a full match before a longer word)."""
    from dashboard.ask.parser import normalise

    text = normalise(sentence or "")
    letters = _letters_at_end(text)
    found: list[tuple[str, Entry]] = []
    if len(letters) >= 2:
        for i in _prefixed(index.initials, letters):
            found += [(letters, e) for e in index.initial_entries[i]]
        found.sort(key=lambda pair: (pair[1].word != letters, pair[1].rank))  # gxq's own names first
    else:
        for length in range(min(LONGEST, len(text)), 0, -1):
            typed = text[-length:]
            if typed[0].isspace() or (length < len(text) and typed[0].isascii() and text[-length - 1].isascii()):
                continue
            hits = _prefixed(index.words, typed)
            if hits:
                found = sorted(((typed, index.entries[i]) for i in hits), key=lambda pair: pair[1].rank)
                break
    out, seen = [], set()
    for typed, entry in found:
        if entry.insert in seen or entry.insert == sentence[len(sentence) - len(typed):]:
            continue  # once each, and never what is typed already
        seen.add(entry.insert)
        head = sentence[:len(sentence) - len(typed)]
        out.append(Suggestion(entry.insert, entry.kind_label, entry.via, typed, len(typed), head + entry.insert))
        if len(out) >= shown:
            break
    return out
