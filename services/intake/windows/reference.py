"""The windows intake knows at start-up, transcribed from the municipalities' plans
(phone numbers as the plan writes them, without the area code). `operator_id` is the organisation id
the operator's staff carry in their tokens (`org`); the municipality itself is `<code>-town`.

Otofuke (016314): seed 000 §2(2)ア 相談機関（窓口）. Nagaizumi (223417): seed 003 §(1)④, the one window
the plan names by section. The resource directory becomes the source of windows in its own issue;
until then this list is intake's reference data, upserted on start-up.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.windows.models import Window
from shared.settings import Settings

REFERENCE_WINDOWS: tuple[dict[str, str | None], ...] = (
    {
        "code": "016314-W01",
        "operator_id": "016314-hakuju-kyokai",
        "tenant_id": "016314",
        "name": "地域包括支援センターらんらん",
        "field": "elderly_care",
        "operator_name": "社会福祉法人音更町柏寿協会",
        "operation": "commissioned",
        "phone": "67-7090",
        "catchment": "音更中学校区・駒場中学校区",
    },
    {
        "code": "016314-W02",
        "operator_id": "016314-hokkaido-iryodan",
        "tenant_id": "016314",
        "name": "地域包括支援センターほほえみ",
        "field": "elderly_care",
        "operator_name": "公益財団法人北海道医療団",
        "operation": "commissioned",
        "phone": "32-5151",
        "catchment": "共栄中学校区・下音更中学校区の一部",
    },
    {
        "code": "016314-W03",
        "operator_id": "016314-teine-lotus",
        "tenant_id": "016314",
        "name": "地域包括支援センターロータス音更",
        "field": "elderly_care",
        "operator_name": "社会福祉法人手稲ロータス会",
        "operation": "commissioned",
        "phone": "67-7863",
        "catchment": "緑南中学校区・下音更中学校区の一部",
    },
    {
        "code": "016314-W04",
        "operator_id": "016314-keiseikai",
        "tenant_id": "016314",
        "name": "障がい者基幹相談支援センター",
        "field": "disability",
        "operator_name": "社会福祉法人慧誠会",
        "operation": "commissioned",
        "phone": "42-2111（内線512）",
        "catchment": "町内一円",
    },
    {
        "code": "016314-W05",
        "operator_id": "016314-town",
        "tenant_id": "016314",
        "name": "こども家庭センター",
        "field": "children",
        "operator_name": "音更町",
        "operation": "direct",
        "phone": "42-6200",
        "catchment": "町内一円",
    },
    {
        "code": "016314-W06",
        "operator_id": "016314-willwork",
        "tenant_id": "016314",
        "name": "せいかつ相談窓口",
        "field": "hardship",
        "operator_name": "有限会社ウィルワーク",
        "operation": "commissioned",
        "phone": "42-2111（内線525）",
        "catchment": "町内一円",
    },
    {
        "code": "223417-W01",
        "operator_id": "223417-town",
        "tenant_id": "223417",
        "name": "福祉保険課",
        "field": "hardship",
        "operator_name": "長泉町",
        "operation": "direct",
        "phone": None,
        "catchment": None,
    },
)


async def load_reference_windows(session: AsyncSession, _settings: Settings) -> None:
    """Insert the reference windows that are missing; never overwrite what an operator changed."""
    existing = set((await session.scalars(select(Window.code))).all())
    for row in REFERENCE_WINDOWS:
        if row["code"] not in existing:
            session.add(Window(**row, active=True))
