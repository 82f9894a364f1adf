"""Who does the work, as roles a token carries."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    window_staff = "window_staff"  # 相談窓口の職員
    coordinator = "coordinator"  # 包括化推進員
    municipal_officer = "municipal_officer"  # 市町村の所管課: support decisions, reports
    outreach_worker = "outreach_worker"  # アウトリーチ担当
    participation_worker = "participation_worker"  # 参加支援担当
    directory_editor = "directory_editor"  # 社会資源情報の管理者
    auditor = "auditor"  # reads the audit trail, nothing else
    integration = "integration"  # a partner system (e.g. a social welfare council's)


def valid_local_government_code(code: str) -> bool:
    """全国地方公共団体コード: five digits and a check digit (weights 6..2, modulus 11)."""
    if len(code) != 6 or not code.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(code[:5], (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10 == int(code[5])
