"""Splitting the parts of a sentence the dictionaries do not know into words, with jieba.

The parser finds the city's names itself (dashboard/ask/parser.py); what is left over is cut into
words here, so an unknown word is reported whole (占道经营) rather than as single characters.
jieba runs with its own small user dictionary (the command room's words of
dashboard/ask/vocabulary.py) instead of its 350,000-word default one: it loads in milliseconds,
needs no network, and its HMM still cuts words it has never seen. The tokenizer is made on first
use, never at import; its cache file goes to the folder :func:`use_folder` names (the data
folder's ask/), else the system's temporary folder.
"""
from __future__ import annotations

import hashlib
import logging
import tempfile
import threading
from pathlib import Path

from dashboard.ask import vocabulary as vocab

_LOCK = threading.Lock()
_STATE: dict = {"folder": None, "tokenizer": None}


def use_folder(folder: Path) -> None:
    """Where the user dictionary and jieba's cache file live (before the first cut)."""
    _STATE["folder"] = Path(folder)


def _words() -> str:
    words = dict.fromkeys((*vocab.OBJECT_WORDS, *vocab.ACTIONS, *vocab.FILLERS))
    return "".join(f"{w} 1000\n" for w in words)


def _tokenizer():
    with _LOCK:
        if _STATE["tokenizer"] is None:
            import jieba

            logging.getLogger("jieba").setLevel(logging.WARNING)  # its "Building prefix dict" lines
            jieba.setLogLevel(logging.WARNING)
            folder = _STATE["folder"] or Path(tempfile.gettempdir()) / "citywall-ask"
            folder.mkdir(parents=True, exist_ok=True)
            text = _words()
            path = folder / f"jieba-words-{hashlib.sha256(text.encode()).hexdigest()[:12]}.txt"
            if not path.exists():
                tmp = path.with_suffix(".tmp")
                tmp.write_text(text, encoding="utf-8")
                tmp.replace(path)
            tokenizer = jieba.Tokenizer(dictionary=str(path))
            tokenizer.tmp_dir = str(folder)
            tokenizer.initialize()
            _STATE["tokenizer"] = tokenizer
        return _STATE["tokenizer"]


def words(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) of each word of ``text`` (no separators in it)."""
    out, at = [], 0
    for word in _tokenizer().cut(text, HMM=True):
        out.append((word, at, at + len(word)))
        at += len(word)
    return out
