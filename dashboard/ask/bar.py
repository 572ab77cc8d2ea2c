"""What the command bar shows for a sentence and its chip edits: one plain view model, made by the
parser (:func:`dashboard.ask.ask`), the chips (dashboard/ask/chips.py) and the suggestion index
(dashboard/ask/suggest.py). The bar's callback (callbacks/command_bar.py) calls :func:`bar_view`
and renders it with layouts/command_bar.py; tests call it without a browser."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from dashboard.ask.chips import Chip, chips_of, edited
from dashboard.ask.result import AskError, Instruction
from dashboard.ask.suggest import Suggestion, index_for, suggest


@dataclass(frozen=True)
class BarView:
    sentence: str
    suggestions: tuple[Suggestion, ...] = ()
    chips: tuple[Chip, ...] = ()
    url: str = ""
    title: str = ""
    instruction: Instruction | None = None
    notices: tuple[str, ...] = ()
    error: str = ""
    edits: dict = field(default_factory=dict)

    def view_json(self) -> dict:
        """What the page keeps to open the view on Enter: the sentence it belongs to, the URL."""
        return {"sentence": self.sentence, "url": self.url, "title": self.title}


def bar_view(sentence: str | None, edits: dict | None, store, settings, now: datetime | None = None) -> BarView:
    """The bar for ``sentence`` (the chips' ``edits`` applied); an empty sentence shows nothing, a
    sentence the parser refuses (too long) its Chinese message."""
    from dashboard.ask import ask
    from dashboard.ask.lexicon import lexicon_for

    sentence = sentence if isinstance(sentence, str) else ""
    if not sentence.strip():
        return BarView(sentence)
    try:
        parsed = ask(sentence, store, settings, now=now)
    except AskError as exc:
        return BarView(sentence, error=exc.message)
    lexicon = lexicon_for(store, settings)
    result = edited(parsed, lexicon, edits)
    return BarView(sentence, tuple(suggest(sentence, index_for(lexicon))), tuple(chips_of(parsed, lexicon, edits)),
                   result.view.url, result.view.title, result.instruction, result.notices,
                   edits=edits if isinstance(edits, dict) else {})
