"""Find troubleshooting entries and FAQ items from whatever a seller types.

Ranking is SQLite's full-text search (FTS5, stdlib :mod:`sqlite3`) with the Porter stemmer, so
"permission" finds "permissions" and "refreshed" finds "refresh"; documents are ranked by BM25 over their
fields. A symptom, title or code hit says more than a hit deep in the steps, so those fields weigh more (see
:data:`_ENTRY_COLUMNS`). FAQ items that match lend part of their score to the entries they name. A query that
is exactly a reason code puts that entry first.

The index is built once, in memory, on first use; searches may come from several threads (the Voila kernel's
background tasks), so they share one connection under a lock.

Example:
    >>> search("signed in with the wrong tiktok account")[0].code
    'wrong_account'
    >>> search_faq("does linking cost money")[0].question
    'Does linking cost anything?'
"""

from __future__ import annotations

import re
import sqlite3
import threading

from linkkit.troubleshoot.catalogue import CATALOGUE, Entry
from linkkit.troubleshoot.faq import FAQ, FaqItem

__all__ = ["fts5_available", "search", "search_faq"]

# (column, BM25 weight): the fields of an entry in the index.
_ENTRY_COLUMNS: tuple[tuple[str, float], ...] = (("meaning", 2.0), ("causes", 1.5), ("steps", 1.0))
_PHRASE_COLUMNS: tuple[tuple[str, float], ...] = (("phrase", 1.0),)
#: How much more the best matching short phrase (a symptom, the title, the code) counts than the body.
_PHRASE_WEIGHT = 2.0
_FAQ_COLUMNS: tuple[tuple[str, float], ...] = (("question", 4.0), ("answer", 1.0))
#: The part of a matching FAQ item's score lent to each entry it names.
_FAQ_SHARE = 1.0

_WORD = re.compile(r"[a-z0-9]+")
# Words that say nothing about the problem; FTS5 has no stop list of its own.
_STOP = frozenset(
    "a an and are as at be but by can do does for from had has have how i if in into is it its me my no not "
    "of on or our so that the their then there this to too was we were what when where which who why will "
    "with you your after get got just".split()
)

_lock = threading.Lock()
_db: sqlite3.Connection | None = None


def fts5_available() -> bool:
    """Whether this Python's SQLite has FTS5 compiled in (CPython's builds do)."""
    try:
        sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter')")
    except sqlite3.OperationalError:
        return False
    return True


def _index() -> sqlite3.Connection:
    """The in-memory index (built on first use; the caller holds ``_lock``)."""
    global _db
    if _db is None:
        db = sqlite3.connect(":memory:", check_same_thread=False)
        tokenize = "tokenize='porter unicode61'"
        db.execute(f"CREATE VIRTUAL TABLE entries USING fts5({', '.join(c for c, _ in _ENTRY_COLUMNS)}, {tokenize})")
        db.execute(f"CREATE VIRTUAL TABLE phrases USING fts5(entry UNINDEXED, phrase, {tokenize})")
        db.execute(f"CREATE VIRTUAL TABLE faq USING fts5({', '.join(c for c, _ in _FAQ_COLUMNS)}, {tokenize})")
        db.executemany(
            "INSERT INTO entries(rowid, meaning, causes, steps) VALUES (?, ?, ?, ?)",
            [(i, e.meaning, " | ".join(e.causes), " | ".join(e.steps)) for i, e in enumerate(CATALOGUE.values())],
        )
        db.executemany(
            "INSERT INTO phrases(entry, phrase) VALUES (?, ?)",
            [(i, phrase) for i, e in enumerate(CATALOGUE.values())
             for phrase in (e.code.replace("_", " "), e.title, *e.symptoms)],
        )
        db.executemany("INSERT INTO faq(rowid, question, answer) VALUES (?, ?, ?)",
                       [(i, item.question, item.answer) for i, item in enumerate(FAQ)])
        _db = db
    return _db


def _match(text: str) -> str:
    """An FTS5 query matching any of the meaningful words in ``text`` (each quoted: no operators)."""
    words = dict.fromkeys(w for w in _WORD.findall(text.lower()) if w not in _STOP)
    return " OR ".join(f'"{w}"' for w in words)


def _phrase(text: str) -> str:
    """An FTS5 query matching every word of ``text`` as one phrase (adjacent, in order)."""
    words = _WORD.findall(text.lower())
    return '"' + " ".join(words) + '"' if words else '""'


def _ranked(table: str, columns: tuple[tuple[str, float], ...], query: str, key: str = "rowid",
            ) -> list[tuple[int, float]]:
    """``(key, score)`` of the rows matching ``query``, best first (score > 0, higher is better)."""
    weights = ", ".join(str(w) for _, w in columns)
    sql = (f"SELECT {key}, -bm25({table}, {weights}) AS score FROM {table} WHERE {table} MATCH ? "  # noqa: S608
           "ORDER BY score DESC, rowid")  # table, key and weights are this module's constants
    with _lock:
        return [(int(r), float(s)) for r, s in _index().execute(sql, (query,))]


def search_faq(text: str) -> list[FaqItem]:
    """Find FAQ items matching what a seller typed.

    Args:
        text: Free text, e.g. ``"does linking cost money"``.

    Returns:
        Matching items, best first (empty when nothing matches).
    """
    query = _match(text)
    if not query:
        return []
    return [FAQ[rowid] for rowid, _ in _ranked("faq", _FAQ_COLUMNS, query)]


def search(text: str) -> list[Entry]:
    """Find troubleshooting entries matching what a seller typed.

    Matching is case-insensitive over each entry's code, title, meaning, causes, steps and symptoms, by word
    stem; FAQ items that match lend part of their score to the entries they name.

    Args:
        text: Free text, e.g. ``"nothing happens after authorize"``, or a reason code.

    Returns:
        Matching entries, best first (empty when nothing matches).
    """
    query = _match(text)
    if not query:
        return []
    entries = list(CATALOGUE.values())
    scores: dict[int, float] = dict(_ranked("entries", _ENTRY_COLUMNS, query))
    best_phrase: dict[int, float] = {}
    for entry_row, score in _ranked("phrases", _PHRASE_COLUMNS, query, key="entry"):
        best_phrase[entry_row] = max(best_phrase.get(entry_row, 0.0), score)
    for i, score in best_phrase.items():
        scores[i] = scores.get(i, 0.0) + score * _PHRASE_WEIGHT
    rows = {e.code: i for i, e in enumerate(entries)}
    for rowid, score in _ranked("faq", _FAQ_COLUMNS, query):
        for code in FAQ[rowid].codes:
            if code in rows:
                scores[rows[code]] = scores.get(rows[code], 0.0) + score * _FAQ_SHARE
    exact = rows.get(text.strip().lower())
    phrase = _phrase(text)
    whole = {int(r) for r, _ in _ranked("phrases", _PHRASE_COLUMNS, phrase, key="entry")}
    whole |= {rows[c] for r, _ in _ranked("faq", _FAQ_COLUMNS, f"question : {phrase}") for c in FAQ[r].codes
              if c in rows}
    # Tiers before scores: the reason code itself, then entries with a symptom or title (or an FAQ question
    # naming them) holding every word typed, in order; BM25 orders within a tier.
    ranked = sorted(scores, key=lambda i: (i != exact, i not in whole, -scores[i], i))
    return [entries[i] for i in ranked]
