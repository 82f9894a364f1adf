"""Kana readings (フリガナ) the way people at a window type them."""

from __future__ import annotations

import pytest

from shared.text import normalize_kana_reading, to_katakana


def test_hiragana_becomes_katakana() -> None:
    assert to_katakana("おとふけ はなこ") == "オトフケ ハナコ"


def test_half_width_katakana_becomes_full_width() -> None:
    assert to_katakana("ｵﾄﾌｹ") == "オトフケ"


def test_half_width_voiced_marks_combine() -> None:
    assert to_katakana("ｶﾞﾝﾊﾞﾙ") == "ガンバル"


def test_kanji_and_latin_are_left_alone_by_to_katakana() -> None:
    assert to_katakana("音更abc") == "音更abc"


@pytest.mark.parametrize(
    ("typed", "reading"),
    [
        ("オトフケ ハナコ", "オトフケ ハナコ"),
        ("おとふけ はなこ", "オトフケ ハナコ"),
        ("ｵﾄﾌｹ ﾊﾅｺ", "オトフケ ハナコ"),
        ("オトフケ\u3000ハナコ", "オトフケ ハナコ"),  # full-width space
        ("  おとふけ   はなこ  ", "オトフケ ハナコ"),
        ("ヨーコ", "ヨーコ"),
        ("ヴィ", "ヴィ"),
    ],
)
def test_a_reading_is_full_width_katakana_with_single_spaces(typed: str, reading: str) -> None:
    assert normalize_kana_reading(typed) == reading


@pytest.mark.parametrize("typed", ["音更 花子", "オトフケ 花子", "Otofuke Hanako", "オトフケ1", "", "   "])
def test_anything_but_kana_is_not_a_reading(typed: str) -> None:
    assert normalize_kana_reading(typed) is None
