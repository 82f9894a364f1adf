"""What a support-meeting record must satisfy. Plain functions."""

from __future__ import annotations

from shared.errors import FieldProblem, InvalidInput, Text

TAX_NEEDS_CONSENT = Text(
    "税情報は、本人の同意がなければ支援会議でも共有できません（地方税法第22条）。"
    "同意を得た場合は tax_consent_id にその同意の ID を記録してください。",
    "Tax information is not shared without the person's consent, not even in a support meeting "
    "(Local Tax Act Art. 22). With consent, give its id as tax_consent_id.",
)


def check_meeting(
    *, convened_by: str, members: list[str], tax_information: str | None, tax_consent_id: str | None
) -> None:
    problems: list[FieldProblem] = []
    if convened_by not in members:
        problems.append(
            FieldProblem(
                "members",
                Text(
                    "招集する自治体の組織を構成員に含めてください。",
                    "The convening municipality must be a member.",
                ),
                "convener_not_member",
            )
        )
    if len(set(members)) < 2:
        problems.append(
            FieldProblem(
                "members", Text("構成員は2機関以上です。", "A meeting has at least two members."), "too_few"
            )
        )
    if tax_information and not tax_consent_id:
        problems.append(FieldProblem("tax_information", TAX_NEEDS_CONSENT, "tax_without_consent"))
    if problems:
        raise InvalidInput(fields=problems)
