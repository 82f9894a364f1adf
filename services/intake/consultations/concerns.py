"""The concern checklist of the national consultation form (相談受付・申込票), and the welfare fields
each concern belongs to. Several concerns are marked (○) and the most pressing one is the main
concern (◎)."""

from __future__ import annotations

from enum import StrEnum


class Field(StrEnum):
    """分野: the four fields of the existing systems, plus what fits none of them."""

    elderly_care = "elderly_care"
    disability = "disability"
    children = "children"
    hardship = "hardship"
    other = "other"


class Concern(StrEnum):
    health_disability = "health_disability"  # 病気や健康、障害のこと
    housing = "housing"  # 住まいについて
    income = "income"  # 収入・生活費のこと
    rent_loan = "rent_loan"  # 家賃やローンの支払いのこと
    tax_utilities = "tax_utilities"  # 税金や公共料金等の支払いについて
    debt = "debt"  # 債務について
    job_search = "job_search"  # 仕事探し、就職について
    work_trouble = "work_trouble"  # 仕事上の不安やトラブル
    community_relations = "community_relations"  # 地域との関係について
    family_relations = "family_relations"  # 家族との関係について
    child_rearing = "child_rearing"  # 子育てのこと
    elder_care = "elder_care"  # 介護のこと
    withdrawal_truancy = "withdrawal_truancy"  # ひきこもり・不登校
    dv_abuse = "dv_abuse"  # DV・虐待
    no_food = "no_food"  # 食べるものがない
    other = "other"  # その他


LABELS_JA: dict[Concern, str] = {
    Concern.health_disability: "病気や健康、障害のこと",
    Concern.housing: "住まいについて",
    Concern.income: "収入・生活費のこと",
    Concern.rent_loan: "家賃やローンの支払いのこと",
    Concern.tax_utilities: "税金や公共料金等の支払いについて",
    Concern.debt: "債務について",
    Concern.job_search: "仕事探し、就職について",
    Concern.work_trouble: "仕事上の不安やトラブル",
    Concern.community_relations: "地域との関係について",
    Concern.family_relations: "家族との関係について",
    Concern.child_rearing: "子育てのこと",
    Concern.elder_care: "介護のこと",
    Concern.withdrawal_truancy: "ひきこもり・不登校",
    Concern.dv_abuse: "DV・虐待",
    Concern.no_food: "食べるものがない",
    Concern.other: "その他",
}

# Which existing system(s) a concern touches; a consultation's fields are the union over its concerns.
FIELDS: dict[Concern, tuple[Field, ...]] = {
    Concern.health_disability: (Field.disability,),
    Concern.housing: (Field.hardship,),
    Concern.income: (Field.hardship,),
    Concern.rent_loan: (Field.hardship,),
    Concern.tax_utilities: (Field.hardship,),
    Concern.debt: (Field.hardship,),
    Concern.job_search: (Field.hardship,),
    Concern.work_trouble: (Field.hardship,),
    Concern.community_relations: (Field.other,),
    Concern.family_relations: (Field.other,),
    Concern.child_rearing: (Field.children,),
    Concern.elder_care: (Field.elderly_care,),
    Concern.withdrawal_truancy: (Field.hardship, Field.children),
    # Abuse is handled by the system of whoever is harmed: a child, an older person, a disabled person.
    Concern.dv_abuse: (Field.children, Field.elderly_care, Field.disability),
    Concern.no_food: (Field.hardship,),
    Concern.other: (Field.other,),
}


def fields_of(concerns: list[Concern]) -> list[Field]:
    """The fields a set of concerns spans, in the fixed order of `Field`."""
    touched = {field for concern in concerns for field in FIELDS[concern]}
    return [field for field in Field if field in touched]
