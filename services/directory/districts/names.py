"""How district and place names are compared, and how an address is read. Plain functions.

District names fold exactly as the directory's search folds area names (`shared.text.fold`: NFKC,
hiragana to katakana, lower case, no spaces), so a district found for an address is the same key the
`area` filter matches. Town names (町名・大字・字) fold further, because addresses are typed in many
ways: kanji numerals become digits (一丁目 = 1丁目 = １丁目), ヶ is ケ, dashes between digits are one
hyphen (1ー5, 1－5, 1の5 = 1-5), and a leading 大字 is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.text import fold as normalize

_KANJI_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_KANJI_NUMBER = re.compile(f"[{''.join(_KANJI_DIGITS)}{''.join(_KANJI_UNITS)}]+")
# Between digits, every dash people type (and the の of 1の5) is the hyphen of 1-5.
_DASH_BETWEEN_DIGITS = re.compile(r"(?<=\d)[-‐‑‒–—―−ーノ](?=\d)")
_POSTAL_CODE = re.compile(r"^〒?\d{3}-?\d{4}")
_PREFECTURE = re.compile(r"^(?:北海道|東京都|京都府|大阪府|[^\d]{2,3}県)")
_COUNTY = r"(?:[^\d]{1,5}?郡)?"
# Only when the municipality is not known: where a 〇〇市・〇〇町・〇〇村 at the start may end.
_MUNICIPALITY_END = re.compile(r"(?<=[^\d])[市町村]")
_LONGEST_MUNICIPALITY = 7
_CHOME_SUFFIX = re.compile(r"^(?P<town>.+?)(?P<chome>\d+)丁目$")
_PART_SUFFIXES = ("ノ一部", "(一部)", "一部")
MAX_ADDRESS_LENGTH = 200


def district_key(name: str) -> str:
    """The key of a district name: what search stores for an area name."""
    return normalize(name)


def part_of(name: str) -> str:
    """「下音更中学校区の一部」 -> 「下音更中学校区」: the district a partial area names (folded)."""
    key = district_key(name)
    for suffix in _PART_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


def kanji_to_int(numeral: str) -> int:
    """二十一 -> 21, 十二 -> 12, 百 -> 100, 二〇 -> 20 (written digit by digit)."""
    if not any(ch in _KANJI_UNITS for ch in numeral):
        return int("".join(str(_KANJI_DIGITS[ch]) for ch in numeral))
    total, digit = 0, 0
    for ch in numeral:
        if ch in _KANJI_DIGITS:
            digit = _KANJI_DIGITS[ch]
        else:
            total += (digit or 1) * _KANJI_UNITS[ch]
            digit = 0
    return total + digit


def _letters(text: str) -> str:
    return normalize(text).replace("ヶ", "ケ").replace("ヵ", "カ")


def fold_place(text: str) -> str:
    """The folded form of an address or a town name (see the module docstring)."""
    folded = _KANJI_NUMBER.sub(lambda m: str(kanji_to_int(m.group())), _letters(text))
    return _DASH_BETWEEN_DIGITS.sub("-", folded)


def town_key(town: str) -> str:
    """The key a town (町名・大字・字) is found by: folded, without a leading 大字."""
    return fold_place(town).removeprefix("大字")


@dataclass(frozen=True)
class TownSpelling:
    """A town as an editor wrote it, split: 「共栄台西12丁目」 is town 共栄台西, 丁目 12."""

    key: str
    chome: int | None


def split_town(town: str) -> TownSpelling:
    key = town_key(town)
    match = _CHOME_SUFFIX.match(key)
    if match is None:
        return TownSpelling(key, None)
    return TownSpelling(match["town"], int(match["chome"]))


def address_remainders(address: str, municipality: str | None) -> list[str]:
    """Where the town may begin in an address, most likely first.

    The postal code, the prefecture, the county (郡) and the municipality's own name are stripped when
    present. When the municipality is not known, a leading 〇〇市/町/村 is tried as well, after the
    address as given; when it is known, an address naming another municipality finds nothing.
    """
    # Names are stripped before numerals fold: 三重県, 千歳市 and 八戸市 hold kanji numerals.
    text = _PREFECTURE.sub("", _POSTAL_CODE.sub("", _letters(address[:MAX_ADDRESS_LENGTH])))
    if municipality:
        own = re.compile(f"^{_COUNTY}{re.escape(_letters(municipality))}")
        candidates = [own.sub("", text, count=1)]
    else:
        # As given, then after each 市・町・村 near the start (四日市市: after 四日市, then after 四日市市).
        county = re.sub(f"^{_COUNTY}", "", text, count=1)
        ends = _MUNICIPALITY_END.finditer(county[: _LONGEST_MUNICIPALITY + 1])
        candidates = [text, *(county[end.end() :] for end in ends)]
    remainders = [fold_place(c).removeprefix("大字") for c in candidates]
    return [r for r in dict.fromkeys(remainders) if r]


def prefixes(remainders: list[str], longest: int = 100) -> set[str]:
    """Every beginning of every remainder: the town keys worth asking the database about."""
    return {r[:n] for r in remainders for n in range(1, min(len(r), longest) + 1)}


def chome_in(rest: str) -> int | None:
    """The 丁目 an address gives after its town, if it says.

    「1丁目…」 says 1; 「1-5」「1-5-3」「1」 are read 丁目-番-号, as in towns with 丁目; 「1番地5」 is a
    番地 and says nothing about the 丁目.
    """
    match = re.match(r"^-?(\d+)丁目", rest) or re.match(r"^(\d+)(?=-|$)", rest)
    return int(match[1]) if match else None
