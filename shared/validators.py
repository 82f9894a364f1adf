"""Field validators shared by the services' input models (raise in both languages)."""

from __future__ import annotations

from shared.errors import BilingualValueError
from shared.text import normalize_postal_code


def postal_code(value: str) -> str:
    normalized = normalize_postal_code(value)
    if normalized is None:
        raise BilingualValueError("郵便番号は ###-#### の形式です。", "A postal code is ###-####.")
    return normalized
