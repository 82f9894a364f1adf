"""The concern checklist of the national consultation form and the welfare fields it spans."""

from __future__ import annotations

import pytest

from services.intake.consultations.concerns import FIELDS, LABELS_JA, Concern, Field, fields_of

# 相談受付・申込票, in the order the form prints them (domain.md, "Concern checklist").
FORM_CHECKLIST = [
    "病気や健康、障害のこと",
    "住まいについて",
    "収入・生活費のこと",
    "家賃やローンの支払いのこと",
    "税金や公共料金等の支払いについて",
    "債務について",
    "仕事探し、就職について",
    "仕事上の不安やトラブル",
    "地域との関係について",
    "家族との関係について",
    "子育てのこと",
    "介護のこと",
    "ひきこもり・不登校",
    "DV・虐待",
    "食べるものがない",
    "その他",
]


def test_the_checklist_has_the_sixteen_concerns_of_the_national_form() -> None:
    assert len(Concern) == 16
    assert [LABELS_JA[c] for c in Concern] == FORM_CHECKLIST


def test_every_concern_has_a_label_and_at_least_one_field() -> None:
    for concern in Concern:
        assert LABELS_JA[concern].strip(), concern
        assert FIELDS[concern], concern
    assert set(LABELS_JA) == set(Concern)
    assert set(FIELDS) == set(Concern)


def test_no_concerns_span_no_fields() -> None:
    assert fields_of([]) == []


def test_an_8050_household_spans_elder_care_children_and_hardship_in_the_fixed_field_order() -> None:
    concerns = [Concern.withdrawal_truancy, Concern.income, Concern.elder_care]

    assert fields_of(concerns) == [Field.elderly_care, Field.children, Field.hardship]


def test_a_field_touched_by_several_concerns_is_listed_once() -> None:
    assert fields_of([Concern.debt, Concern.income, Concern.rent_loan]) == [Field.hardship]


def test_abuse_belongs_to_the_system_of_whoever_is_harmed() -> None:
    assert fields_of([Concern.dv_abuse]) == [Field.elderly_care, Field.disability, Field.children]


@pytest.mark.parametrize(
    ("concern", "expected"),
    [
        (Concern.health_disability, [Field.disability]),
        (Concern.child_rearing, [Field.children]),
        (Concern.elder_care, [Field.elderly_care]),
        (Concern.no_food, [Field.hardship]),
        (Concern.family_relations, [Field.other]),
        (Concern.other, [Field.other]),
    ],
)
def test_each_concern_maps_to_its_field(concern: Concern, expected: list[Field]) -> None:
    assert fields_of([concern]) == expected
