"""Japanese text helpers: NFKC and kana folding, the way people at a window type names."""

from __future__ import annotations

import re
import unicodedata

_HIRAGANA_START, _HIRAGANA_END = 0x3041, 0x3096
_KATAKANA_OFFSET = 0x60
_KANA_READING = re.compile(r"^[\u30A1-\u30FA\u30FC\u30FB\u3000 ]+$")


def to_katakana(value: str) -> str:
    """NFKC (half-width ｶﾅ to full width), then hiragana to katakana."""
    normalized = unicodedata.normalize("NFKC", value)
    return "".join(
        chr(ord(ch) + _KATAKANA_OFFSET) if _HIRAGANA_START <= ord(ch) <= _HIRAGANA_END else ch
        for ch in normalized
    )


_SPACE = re.compile(r"\s+")


def fold(value: str) -> str:
    """How search compares text: NFKC, hiragana to katakana, lower case, no spaces at all. Stored
    text and queries are folded by this one function, so 「子ども」 finds 子ども and ｺﾄﾞﾓ finds こども."""
    return _SPACE.sub("", to_katakana(value)).lower()


def normalize_kana_reading(value: str) -> str | None:
    """A フリガナ in full-width katakana with single spaces, or None if it is not a kana reading."""
    folded = re.sub(r"[\s\u3000]+", " ", to_katakana(value)).strip()
    if not folded or not _KANA_READING.match(folded):
        return None
    return folded


def fold_kana_query(value: str) -> str:
    """What a person typed to find a reading: folded like stored readings, spaces collapsed."""
    return re.sub(r"[\s\u3000]+", " ", to_katakana(value)).strip()


_POSTAL_CODE = re.compile(r"^\d{3}-\d{4}$")


def normalize_postal_code(value: str) -> str | None:
    """A 郵便番号 as ###-####, accepting full-width digits and the seven digits without hyphen."""
    normalized = unicodedata.normalize("NFKC", value).strip()
    if re.fullmatch(r"\d{7}", normalized):
        normalized = f"{normalized[:3]}-{normalized[3:]}"
    return normalized if _POSTAL_CODE.match(normalized) else None
