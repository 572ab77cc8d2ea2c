"""The dictionaries of 一句话响应, made from the city's own data and settings, once per data version.

Each word (a *term*) has one or more :class:`Reading`: what it names. The words are the names in
the published frames (regions at every level down to the grid, departments, incident categories,
sources and statuses, targets), the indicators of dashboard/indicators.py's registry with their
synonyms, their short forms (滨江区 → 滨江, 城管局 → 城管), the common words of
dashboard/ask/vocabulary.py and the city's ``[ask] aliases``. Districts, streets and departments
are also found by their pinyin initials (gxq → 高新区). A word with several readings (城管: the
department 城市管理局 and the category 城市管理) keeps them all; the parser picks one by context.

:func:`lexicon_for` builds a :class:`Lexicon` once per version of the datasets it reads (the
store's versions are its key), keeps it in the process and pickles it in the data folder, so a
fresh ``run.py ask`` process reads one file instead of the frames.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboard import indicators
from dashboard.ask import vocabulary as vocab
from dashboard.detail_file import DetailFile, IdLookup
from dashboard.incident_view import choices_of
from datasources.contracts import INCIDENT_STATUSES

log = logging.getLogger("citywall.ask")
FORMAT = 2  # bump when the Lexicon's fields change: older pickles are then rebuilt
DATASETS = ("regions", "departments", "incidents", "targets")
KIND_ORDER = ("city", "category", "source", "status", "indicator", "target", "region", "department", "page",
              "action", "please", "filler")
LEVEL_ORDER = ("区县", "镇街", "村社区", "网格")
_NUMBER = re.compile(r"\d+|[零〇一二两三四五六七八九十]+")
KEPT = 4  # lexicons kept in a process (one per data version; old ones are dropped)


@dataclass(frozen=True)
class Reading:
    """What a word names: ``kind`` (region, department, category, source, status, indicator,
    target, page, city, action, please, filler), ``value`` (an id, a category, a page's path),
    ``label`` (its name) and ``via`` (全称, 简称, 别名, 同义词, 拼音首字母)."""
    kind: str
    value: str
    label: str
    via: str = "全称"
    level: str = ""

    def rank(self) -> tuple:
        level = LEVEL_ORDER.index(self.level) if self.level in LEVEL_ORDER else len(LEVEL_ORDER)
        return KIND_ORDER.index(self.kind), level, self.via != "全称", self.value


@dataclass(frozen=True)
class Region:
    name: str
    level: str
    parent: str | None
    district: str | None


@dataclass
class Lexicon:
    key: str
    city: str
    terms: dict[str, tuple[Reading, ...]]
    initials: dict[str, tuple[Reading, ...]]
    regions: dict[str, Region]
    grids_by_number: dict[str, tuple[str, ...]]  # "网格#3" → the grids so numbered, in every street
    incidents: dict[str, str]  # lower-case id → id
    departments: dict[str, str]  # id → name
    statuses: tuple[str, ...]
    governments: dict[str, Reading] = field(default_factory=dict)  # district id → its 人民政府, a department
    lengths: tuple[int, ...] = ()
    problems: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.lengths = tuple(sorted({len(t) for t in self.terms}, reverse=True))


def grid_number_key(text: str) -> str | None:
    """'第01网格' / '3号网格' / '第三网格' → '网格#1' / '网格#3': how a grid is named within its street."""
    found = _NUMBER.search(text)
    if found is None or "网格" not in text:
        return None
    from dashboard.ask.times import number

    return f"网格#{number(found.group(0))}"


def _short_form(name: str, suffixes: tuple[str, ...]) -> str | None:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            short = name[: -len(suffix)]
            return None if short in vocab.TOO_GENERAL else short
    return None


def initials_of(text: str) -> str:
    """高新区 → gxq (pypinyin's reading of the phrase; digits and letters kept)."""
    from pypinyin import Style, lazy_pinyin

    letters = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")
    return re.sub(r"[^0-9a-z]", "", "".join(letters).lower())


class _Builder:
    def __init__(self):
        self.terms: dict[str, dict[Reading, None]] = {}
        self.initials: dict[str, dict[Reading, None]] = {}

    def add(self, word, reading: Reading) -> None:
        word = str(word).strip().lower()
        if word:
            self.terms.setdefault(word, {})[reading] = None

    def add_initials(self, text: str, reading: Reading) -> None:
        key = initials_of(text)
        if len(key) >= 2:
            self.initials.setdefault(key, {})[Reading(reading.kind, reading.value, reading.label, "拼音首字母",
                                                      reading.level)] = None

    @staticmethod
    def _ranked(table):
        return {w: tuple(sorted(rs, key=Reading.rank)) for w, rs in table.items()}

    def done(self):
        return self._ranked(self.terms), self._ranked(self.initials)


def _text_column(frame: pd.DataFrame | None, column: str) -> list[str]:
    if frame is None or column not in frame.columns:
        return []
    return [str(v) for v in frame[column] if v is not None and not pd.isna(v) and str(v).strip()]


def _regions(b: _Builder, frame: pd.DataFrame | None) -> dict[str, Region]:
    if frame is None or frame.empty:
        return {}
    out: dict[str, Region] = {}
    for row in frame.itertuples(index=False):
        parent = None if pd.isna(row.parent_id) else str(row.parent_id)
        district = getattr(row, "district_id", None)
        out[str(row.region_id)] = Region(str(row.name), str(row.level), parent,
                                         None if district is None or pd.isna(district) else str(district))
    for rid, region in out.items():
        full = Reading("region", rid, region.name, "全称", region.level)
        b.add(region.name, full)
        if region.level == "网格":
            if "-" in region.name:
                b.add(region.name.replace("-", ""), full)
            continue
        short = _short_form(region.name, vocab.REGION_SUFFIXES)
        if short:
            b.add(short, Reading("region", rid, region.name, "简称", region.level))
        if region.level in ("区县", "镇街"):
            b.add_initials(region.name, full)
            if short:
                b.add_initials(short, full)
    return out


def _grids_by_number(regions: dict[str, Region]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for rid, region in regions.items():
        if region.level != "网格":
            continue
        own = region.name.rsplit("-", 1)[-1]
        parent = regions.get(region.parent or "")
        if parent and own.startswith(parent.name):
            own = own[len(parent.name):]
        key = grid_number_key(own)
        if key:
            found.setdefault(key, []).append(rid)
    return {k: tuple(sorted(v)) for k, v in found.items()}


def _departments(b: _Builder, frame: pd.DataFrame | None, city: str) -> dict[str, str]:
    if frame is None or frame.empty:
        return {}
    names: dict[str, str] = {}
    shorts = frame["short_name"] if "short_name" in frame.columns else [None] * len(frame)
    for dept_id, name, short in zip(frame["dept_id"].astype(str), frame["name"].astype(str), shorts):
        names[dept_id] = name
        full = Reading("department", dept_id, name)
        b.add(name, full)
        own = name.split(city, 1)[1] if city and city in name and not name.endswith(city) else name
        forms = [own] + ([str(short)] if short is not None and not pd.isna(short) and str(short).strip() else [])
        forms += [s for s in (_short_form(f, vocab.DEPARTMENT_SUFFIXES) for f in forms) if s]
        for form in dict.fromkeys(forms):
            if form != name:
                b.add(form, Reading("department", dept_id, name, "简称"))
            b.add_initials(form, full)
    return names


def _named_values(b: _Builder, kind: str, values: list[str], aliases: dict[str, str]) -> None:
    for value in values:
        b.add(value, Reading(kind, value, value))
    for word, value in aliases.items():
        if value in values:
            b.add(word, Reading(kind, value, value, "别名"))


def _indicators(b: _Builder) -> None:
    for entry in indicators.REGISTRY.values():
        reading = Reading("indicator", entry.id, entry.name)
        b.add(entry.name, reading)
        plain = re.sub(r"（[^）]*）|\"", "", entry.name)
        if plain != entry.name and plain.lower() not in b.terms:
            b.add(plain, Reading("indicator", entry.id, entry.name, "简称"))
        for word in indicators.SYNONYMS.get(entry.id, ()):
            b.add(word, Reading("indicator", entry.id, entry.name, "同义词"))


def _fixed_words(b: _Builder, city: str) -> None:
    for word in (city, *vocab.CITY_WORDS):
        b.add(word, Reading("city", "", "全市", "词表"))
    for word, path in vocab.PAGES.items():
        b.add(word, Reading("page", path, vocab.PAGE_TITLES[path], "词表"))
    for kind, words in (("action", vocab.ACTIONS), ("please", vocab.PLEASE), ("filler", vocab.FILLERS)):
        for word in words:
            b.add(word, Reading(kind, word, word, "词表"))


def _aliases(b: _Builder, aliases: dict[str, str], problems: list[str]) -> None:
    """``[ask] aliases``: a word of the city's own that reads as a name the dictionaries have."""
    for word, name in aliases.items():
        readings = b.terms.get(str(name).strip().lower())
        if not readings:
            problems.append(f"[ask] aliases 中「{word}」指向的「{name}」不在本市的名称中，已忽略")
            continue
        for r in list(readings):
            b.add(word, Reading(r.kind, r.value, r.label, "别名", r.level))


def build_lexicon(frames: dict[str, pd.DataFrame | None], city: str, aliases: dict[str, str] | None = None,
                  key: str = "") -> Lexicon:
    """The dictionaries from ``frames``: regions, departments, cube_district (the incidents'
    categories, sources and statuses, as /incidents reads them), detail (the incidents' ids),
    targets (each may be None)."""
    b, problems = _Builder(), []
    _fixed_words(b, city)
    regions = _regions(b, frames.get("regions"))
    departments = _departments(b, frames.get("departments"), city)
    choices = choices_of({"cube_district": frames.get("cube_district")}, None)  # what /incidents accepts
    statuses = choices.statuses or INCIDENT_STATUSES
    _named_values(b, "category", list(choices.categories), vocab.CATEGORY_ALIASES)
    _named_values(b, "source", list(choices.sources), {**vocab.SOURCE_ALIASES, **{
        m.group(0): s for s in choices.sources if (m := re.match(r"\d{3,}", s)) and m.group(0) != s}})
    _named_values(b, "status", list(statuses), vocab.STATUS_ALIASES)
    _indicators(b)
    targets = frames.get("targets")
    if targets is not None and not targets.empty:
        for target_id, name in zip(targets["target_id"].astype(str), targets["name"].astype(str)):
            b.add(name, Reading("target", target_id, name))
    _aliases(b, aliases or {}, problems)
    terms, initials = b.done()
    detail = frames.get("detail")
    incidents = IdLookup(detail) if isinstance(detail, DetailFile) else \
        {i.lower(): i for i in _text_column(detail, "incident_id")}
    return Lexicon(key, city, terms, initials, regions, _grids_by_number(regions), incidents,
                   departments, statuses, _governments(terms, regions), problems=problems)


def _governments(terms: dict[str, tuple[Reading, ...]], regions: dict[str, Region]) -> dict[str, Reading]:
    """Each district whose government is a department (滨江区 → 滨江区人民政府): 请滨江区核查 gives it
    the instruction."""
    out = {}
    for rid, region in regions.items():
        if region.level != "区县":
            continue
        for word in (f"{region.name}人民政府", f"{region.name}政府"):
            found = next((r for r in terms.get(word.lower(), ()) if r.kind == "department"), None)
            if found is not None:
                out[rid] = Reading("department", found.value, found.label, "区县政府")
                break
    return out


# ---- once per data version ------------------------------------------------------------------------------

_LEXICONS: dict[str, Lexicon] = {}


@functools.cache
def _fixed_words_key() -> str:
    """The code's own words (vocabulary, indicator names and synonyms), hashed once per process."""
    words = [sorted(v) if isinstance(v, frozenset) else v  # a set's order differs between processes
             for name, v in sorted(vars(vocab).items()) if name.isupper()]
    parts = [FORMAT, [(i.id, i.name) for i in indicators.REGISTRY.values()], sorted(indicators.SYNONYMS.items()), words]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def lexicon_key(store, settings) -> str:
    """The data versions, settings and fixed words a lexicon is made from: a pickle made by older
    code or from other words is never read as this one."""
    parts = [_fixed_words_key(), settings.city.name, sorted(settings.ask.aliases.items()),
             [(d, store.status(d).version) for d in DATASETS]]  # the cheap poll, of these datasets only
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


def _frames_of(store, regions: pd.DataFrame | None) -> dict[str, pd.DataFrame | None]:
    return {"regions": store.frame("regions", "regions") if regions is None else regions,
            "departments": store.frame("departments", "departments"),
            "cube_district": store.frame("incidents", "cube_district"),
            "detail": store.frame("incidents", "detail"), "targets": store.frame("targets", "targets")}


def cache_dir(settings) -> Path:
    return settings.data_dir / "ask"


def lexicon_for(store, settings, regions: pd.DataFrame | None = None) -> Lexicon:
    """The lexicon of the store's current data: from this process's memory, else from the data
    folder's pickle of the same key, else built (and pickled). ``regions``: the geography's
    regions, for a city whose regions come from its GeoJSON rather than a regions dataset."""
    key = lexicon_key(store, settings)
    if regions is not None:
        key += f"-g{len(regions)}"
    found = _LEXICONS.get(key)
    if found is not None:
        return found
    path = cache_dir(settings) / f"lexicon-{key}.pickle"
    try:
        found = pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        found = None
    if not isinstance(found, Lexicon) or found.key != key:
        found = build_lexicon(_frames_of(store, regions), settings.city.name, settings.ask.aliases, key)
        for problem in found.problems:
            log.warning(problem)
        _save(path, found)
    if len(_LEXICONS) >= KEPT:
        _LEXICONS.clear()
    _LEXICONS[key] = found
    return found


def _save(path: Path, lexicon: Lexicon) -> None:
    """Pickle ``lexicon`` beside nothing else: the older versions' files are removed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")  # two processes building at once write apart
        tmp.write_bytes(pickle.dumps(lexicon, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(path)
        for old in path.parent.glob("lexicon-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as exc:  # a read-only data folder: the lexicon still works, built per process
        log.warning("一句话响应词典缓存无法写入 %s：%s", path.parent, exc)
