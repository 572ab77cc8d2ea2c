"""一句话响应: one Chinese sentence → the view it opens and the instruction it gives (issue 15).

    from dashboard.ask import ask
    result = ask("请城管局今天18点前处置滨江区的占道经营", store, settings, now=now)
    result.view.url, result.instruction, result.entities, result.unknown

:func:`ask` is what ``python run.py ask`` and the pages call: the lexicon of the store's current
data (dashboard/ask/lexicon.py) and the parser (dashboard/ask/parser.py). Offline and
deterministic: no network, no language model; ``now`` pins the time words, read in the city's zone (``city.timezone``).
"""
from __future__ import annotations

from datetime import datetime

from dashboard.ask.result import AskError, AskResult, Choice, Entity, Instruction, Span, View

__all__ = ["ask", "AskError", "AskResult", "Choice", "Entity", "Instruction", "Span", "View"]


def ask(sentence: str, store, settings, now: datetime | None = None, regions=None) -> AskResult:
    """What ``sentence`` resolves to against the city's current data (``regions``: the geography's
    regions, for a city without a regions dataset). Raises :class:`AskError` for an empty or too
    long sentence."""
    from dashboard.ask import segmenter
    from dashboard.ask.lexicon import cache_dir, lexicon_for
    from dashboard.ask.parser import parse

    segmenter.use_folder(cache_dir(settings))
    return parse(sentence, lexicon_for(store, settings, regions), now, settings.city.timezone)
