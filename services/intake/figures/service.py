"""Intake's fiscal-year figures: consultations received per window, field of concern and channel;
referrals and their answers. Counted by when a consultation was received (in Japan)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.consultations.models import Consultation
from services.intake.referrals.models import Referral
from services.intake.windows.models import Window
from shared.figures import FigureRow, Figures, FiscalYear

FIELD_LABELS = {"elderly_care": "介護", "disability": "障がい", "children": "子ども", "hardship": "生活困窮"}
CHANNEL_LABELS = {"counter": "来所", "phone": "電話", "visit": "訪問", "fax": "FAX", "email": "メール"}
REFERRAL_LABELS = {"sent": "回答待ち", "accepted": "受理", "declined": "受けなかった", "returned": "差し戻し"}


async def figures(*, session: AsyncSession, tenant_id: str, year: FiscalYear) -> Figures:
    received = (
        await session.execute(
            select(Consultation.window_code, Consultation.channel, Consultation.welfare_fields).where(
                Consultation.received_at >= year.starts_at, Consultation.received_at < year.ends_before
            )
        )
    ).all()
    windows = dict((await session.execute(select(Window.code, Window.name))).all())
    rows = [FigureRow(indicator="consultations_received", label="相談受付件数", value=len(received))]
    for code, n in sorted(Counter(r.window_code for r in received).items()):
        rows.append(
            FigureRow(
                indicator=f"consultations_received.window.{code}",
                label=f"うち {windows.get(code, code)}",
                value=n,
            )
        )
    fields = Counter(field for r in received for field in (r.welfare_fields or []))
    for field, label in FIELD_LABELS.items():
        rows.append(
            FigureRow(
                indicator=f"consultations_received.field.{field}",
                label=f"分野: {label}",
                value=fields.get(field, 0),
            )
        )
    for channel, n in sorted(Counter(r.channel for r in received).items()):
        label = CHANNEL_LABELS.get(channel, channel)
        rows.append(
            FigureRow(indicator=f"consultations_received.channel.{channel}", label=f"経路: {label}", value=n)
        )
    referrals = dict(
        (
            await session.execute(
                select(Referral.status, func.count())
                .where(Referral.referred_at >= year.starts_at, Referral.referred_at < year.ends_before)
                .group_by(Referral.status)
            )
        ).all()
    )
    rows.append(
        FigureRow(
            indicator="referrals_made",
            label="多機関協働事業へのつなぎ件数",
            value=int(sum(referrals.values())),
        )
    )
    for status, label in REFERRAL_LABELS.items():
        rows.append(
            FigureRow(
                indicator=f"referrals_made.{status}",
                label=f"うち {label}",
                value=int(referrals.get(status, 0)),
            )
        )
    return Figures(
        service="intake", tenant_id=tenant_id, fiscal_year=year.year, fiscal_year_label=year.label, rows=rows
    )
