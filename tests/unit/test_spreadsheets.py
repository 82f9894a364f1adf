"""CSV cells a spreadsheet would run as formulas are written as text and read back unchanged."""

from __future__ import annotations

import pytest

from shared.spreadsheets import defuse, undefuse


@pytest.mark.parametrize("cell", ["=1+1", "+81", "-5", "@SUM(A1)", "\tx", "＝HYPERLINK()", "－"])
def test_formula_starts_are_quoted_and_round_trip(cell: str) -> None:
    assert defuse(cell) == "'" + cell
    assert undefuse(defuse(cell)) == cell


def test_plain_text_and_a_leading_quote_of_its_own_are_left_alone() -> None:
    assert defuse("らんらん") == "らんらん"
    assert undefuse("'らんらん") == "'らんらん"  # not a quote defuse added
    assert undefuse("  67-7090 ") == "67-7090"
