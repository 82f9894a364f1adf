"""CSV cells that Excel and LibreOffice open safely: a cell starting like a formula (=, +, -, @, a
tab or carriage return, or their full-width forms, which an IME turns into ASCII) is run as one
(CSV injection). A leading quote makes it text; `undefuse` takes it off again on import."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def defuse(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def undefuse(cell: str) -> str:
    """The inverse of `defuse` for a cell read back (surrounding spaces dropped)."""
    value = cell.strip()
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value
