"""What every linkkit failure means to a seller, what to do about it, and how a seller finds it.

Three parts: :mod:`~linkkit.troubleshoot.catalogue` (one entry per reason code: title, meaning, causes,
steps, whether retrying helps, whether the seller must authorize again), :mod:`~linkkit.troubleshoot.faq`
(the sellers' common questions) and :mod:`~linkkit.troubleshoot.search` (full-text search over both,
SQLite FTS5 with the Porter stemmer). Everything is importable from here as before.

Example:
    >>> from linkkit import troubleshoot
    >>> troubleshoot.entry("token_revoked").needs_reauthorization
    True
    >>> troubleshoot.search("signed in with the wrong tiktok account")[0].code
    'wrong_account'
"""

from __future__ import annotations

from linkkit.troubleshoot.catalogue import (
    CATALOGUE,
    CATEGORIES,
    GENERIC_CODE,
    LINKED_ACCOUNTS_PAGE,
    Category,
    Entry,
    entry,
    explain,
    needs_reauthorization,
)
from linkkit.troubleshoot.faq import FAQ, FaqItem
from linkkit.troubleshoot.search import search, search_faq

__all__ = [
    "CATALOGUE",
    "CATEGORIES",
    "FAQ",
    "GENERIC_CODE",
    "LINKED_ACCOUNTS_PAGE",
    "Category",
    "Entry",
    "FaqItem",
    "entry",
    "explain",
    "needs_reauthorization",
    "search",
    "search_faq",
]
