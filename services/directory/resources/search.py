"""How Japanese text is matched: plain functions, no database.

People type names in any mix of kanji, hiragana, katakana, full and half width. Both the stored
text and the query are folded the same way (NFKC, hiragana to katakana, lower case, no spaces), and
every character of the stored text is posted, so one- and two-character words (介護, 子ども, B型)
are found by their rarest character and then confirmed by a substring match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from shared.text import to_katakana

FIELD_WORDS = {
    "elderly_care": "介護 高齢者",
    "disability": "障がい 障害",
    "children": "子ども 子育て",
    "hardship": "生活困窮",
    "other": "",
}
MAX_QUERY_LENGTH = 100
_SPACE = re.compile(r"[\s\u3000]+")


def normalize(text: str) -> str:
    return _SPACE.sub("", to_katakana(text)).lower()


def search_text(parts: Iterable[str | None]) -> str:
    """The folded text of a resource: its parts joined by a newline so no match spans two parts."""
    return "\n".join(normalize(p) for p in parts if p)


def grams(text: str) -> set[str]:
    return {ch for ch in text if ch != "\n"}


def query_terms(query: str) -> str | None:
    """The folded query, or None when nothing searchable is left (only spaces or punctuation)."""
    folded = normalize(query)[:MAX_QUERY_LENGTH]
    return folded or None
