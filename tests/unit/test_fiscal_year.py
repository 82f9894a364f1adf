"""年度: April to March in Japan, labelled in the Reiwa era."""

from __future__ import annotations

from datetime import date

from shared.figures import FiscalYear


def test_a_fiscal_year_runs_april_to_march_and_has_its_reiwa_label() -> None:
    year = FiscalYear(2024)
    assert (year.first_day, year.last_day) == (date(2024, 4, 1), date(2025, 3, 31))
    assert year.label == "令和6年度"
    assert FiscalYear(2019).label == "令和元年度"
    assert FiscalYear(2026).label == "令和8年度"
    assert FiscalYear(2018).label == "2018年度"
    assert year.starts_at.isoformat() == "2024-04-01T00:00:00+09:00"
    assert year.ends_before.isoformat() == "2025-04-01T00:00:00+09:00"
