"""Request bodies with sensible defaults; override what a test is about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

OTOFUKE = "016314"
NAGAIZUMI = "223417"
# Window codes are the resource directory's ids (services/directory/reference/016314.json).
RANRAN = "016314-ranran"  # 地域包括支援センターらんらん
SEIKATSU = "016314-seikatsu-sodan"  # せいかつ相談窓口


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def consultation_body(**overrides: Any) -> dict[str, Any]:
    """An 8050 household: an older mother at the elder-care window, her son withdrawn for years."""
    received = datetime.now(UTC) - timedelta(hours=1)
    base: dict[str, Any] = {
        "window_code": RANRAN,
        "received_at": received.isoformat(),
        "channel": "counter",
        "source": "family",
        "received_by": "相談員 山田",
        "person": {
            "name": "音更 花子",
            "name_kana": "オトフケ ハナコ",
            "birth_date": "1944-05-01",
            "sex": "female",
            "address": {"postal_code": "080-0198", "text": "音更町元町2番地"},
            "phone": "0155-42-2111",
        },
        "household": [{"relation": "長男", "age": 52, "note": "20年ほど自宅にひきこもり"}],
        "concerns": [
            {"code": "elder_care", "detail": "足腰が弱り買い物が難しい"},
            {"code": "withdrawal_truancy"},
            {"code": "income"},
        ],
        "main_concern": "elder_care",
        "urgency": "high",
        "wishes": "息子の将来が心配",
        "notes": "介護保険の説明をした",
    }
    return _merge(base, overrides)


def consent_body(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "purposes": ["collaboration"],
        "data_classes": ["identity", "contact", "household", "concerns"],
        "obtained_at": (datetime.now(UTC) - timedelta(minutes=30)).isoformat(),
        "method": "written",
        "obtained_by": "相談員 山田",
        "explained": True,
    }
    return _merge(base, overrides)


RANRAN_OPERATOR = "016314-hakuju-kyokai"  # 社会福祉法人音更町柏寿協会, operator of らんらん
OTOFUKE_TOWN = "016314-town"
WILLWORK = "016314-willwork"  # operator of せいかつ相談窓口
