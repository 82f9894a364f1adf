"""How an entry's text is posted for search, and how a query is ranked: plain functions, no database.

Stored text and query are folded by `shared.text.fold` (NFKC, hiragana to katakana, lower case, no
spaces). An entry's text has three kinds: its name, its reading (フリガナ), and the other text
(description, program, operator, section, address, opening hours as written, field words, areas,
who it is for), each part kept apart by a newline so that no match spans two parts.

The entry posts every distinct character (unigram) and every distinct pair of adjacent characters
(bigram) of its texts once, under the best `Part` it reaches there:

    EXACT   the folded name is this gram (a name of one or two characters)
    PREFIX  the folded name starts with it
    NAME    it occurs in the folded name or reading
    OTHER   it occurs in the other text only

The parts are the ranks of the result list, so for a query of one or two characters the entries of
one rank are exactly the postings (tenant, gram, part), and with the key (tenant, gram, part, sort
key, id) each rank is one index range already in result order: a page is an index walk that stops at
the page size. Longer queries walk the postings of their rarest gram, check a second gram's posting,
then confirm the folded substring on the entry (`rank` says which rank it gets).

Within a rank, entries are in reading order, then by id. `sort_key` writes the reading one ASCII
character per kana, in the same order as comparing the readings character by character, so the key
carried by every posting stays short.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from shared.text import fold

# What the field of an entry is also called, so 「介護」 finds the elderly-care windows.
FIELD_WORDS = {
    "elderly_care": "介護 高齢者",
    "disability": "障がい 障害",
    "children": "子ども 子育て",
    "hardship": "生活困窮",
    "other": "",
}
MAX_QUERY_LENGTH = 100
SEPARATOR = "\n"


class Part(IntEnum):
    """Where a gram occurs in an entry, best first; for a query, the rank of an entry."""

    EXACT = 0
    PREFIX = 1
    NAME = 2
    OTHER = 3


@dataclass(frozen=True)
class EntryText:
    """An entry's folded text: the name, the reading, and the other parts joined by newlines."""

    name: str
    reading: str
    other: str

    @classmethod
    def of(cls, name: str, reading: str, others: Iterable[str | None]) -> EntryText:
        folded = (fold(p) for p in others if p)
        return cls(fold(name), fold(reading), SEPARATOR.join(p for p in folded if p))


def grams(text: str) -> set[str]:
    """Every distinct character and pair of adjacent characters of the text, never across parts."""
    found: set[str] = set()
    for part in text.split(SEPARATOR):
        found.update(part)
        found.update(part[i : i + 2] for i in range(len(part) - 1))
    return found


def postings(text: EntryText) -> dict[str, Part]:
    """Each gram of the entry with the best part it reaches."""
    best = dict.fromkeys(grams(text.other), Part.OTHER)
    best.update(dict.fromkeys(grams(text.name) | grams(text.reading), Part.NAME))
    if text.name:
        best[text.name[:1]] = Part.PREFIX
        best[text.name[:2]] = Part.PREFIX
    if 0 < len(text.name) <= 2:
        best[text.name] = Part.EXACT
    return best


def rank(text: EntryText, query: str) -> Part | None:
    """The rank an entry gets for a folded query, or None when its text does not hold the query."""
    if text.name == query:
        return Part.EXACT
    if text.name.startswith(query):
        return Part.PREFIX
    if query in text.name or query in text.reading:
        return Part.NAME
    if query in text.other:
        return Part.OTHER
    return None


def folded_query(query: str) -> str | None:
    """The folded query, or None when nothing searchable is left (only spaces)."""
    return fold(query)[:MAX_QUERY_LENGTH] or None


def query_grams(query: str, most: int = 8) -> list[str]:
    """The grams a query is looked up by: itself when it is one or two characters, else up to
    `most` of its distinct bigrams, spread over the query (any of them finds every match)."""
    if len(query) <= 2:
        return [query]
    every = list(dict.fromkeys(query[i : i + 2] for i in range(len(query) - 1)))
    if len(every) <= most:
        return every
    step = (len(every) - 1) / (most - 1)
    return list(dict.fromkeys(every[round(i * step)] for i in range(most)))


_KANA_FIRST, _KANA_LAST = 0x30A1, 0x30FC  # ァ … ー (katakana, ・ and the prolonged sound mark)
_KEY_FIRST = 0x21  # '!': ァ → '!', ー → '|'; a space stays ' ', which sorts before every kana
_KEY_OTHER = "~"  # any other character: '~' then itself, after every kana


def sort_key(reading: str) -> str:
    """An entry's place in reading order, short: one ASCII character per kana of its reading."""
    out: list[str] = []
    for ch in reading:
        code = ord(ch)
        if _KANA_FIRST <= code <= _KANA_LAST:
            out.append(chr(code - _KANA_FIRST + _KEY_FIRST))
        elif ch == " ":
            out.append(" ")
        else:
            out.append(_KEY_OTHER + ch)
    return "".join(out)
