"""The directory's reference files for Daisen (052124, seed 001) and Tono (032085, seed 004).

The expected numbers below were counted by hand in the seed documents, not read back from the JSON;
each carries the section it was counted in. Neither document gives a phone, fax, address, postal code
or catchment (対象圏域/担当地区) for any window or program, so the files must hold none.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from services.directory.reference.format import ReferenceFile, ReferenceService

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "services" / "directory" / "reference"
KATAKANA = re.compile(r"^[ァ-ヴー]+$")


def load(tenant_id: str) -> ReferenceFile:
    with (REFERENCE_DIR / f"{tenant_id}.json").open(encoding="utf-8") as f:
        return ReferenceFile.model_validate(json.load(f))


def by_key(reference: ReferenceFile) -> dict[str, ReferenceService]:
    return {s.key: s for s in reference.services}


@pytest.fixture(scope="module")
def daisen() -> ReferenceFile:
    return load("052124")


@pytest.fixture(scope="module")
def tono() -> ReferenceFile:
    return load("032085")


# --- Daisen (大仙市), seed 001 §3 -------------------------------------------------------------------

DAISEN_KINDS = {
    # §3(1)ア 5か所 + イ 4か所 + ウ 3か所 + エ 1か所 + オ 相談窓口（任意）15: 教育指導課, 市民相談室,
    # 健康増進センター・西部・東部 (3), こども家庭センター, 生活支援課, 市民サービス課 × 7 地域, 社会福祉課
    "window": 5 + 4 + 3 + 1 + 15,
    "collaboration": 1,  # §3(2) 多機関協働事業
    "outreach": 1,  # §3(3) アウトリーチ等を通じた継続的支援事業
    "participation_host": 1,  # §3(4) 参加支援事業 (受け入れ先は種別だけで名前がない)
    # §3(5)ア ①〜④ 4 + イ 生活支援コーディネーター・くらしサポート協議会 2 + ウ ふれあい 1
    # + エ ひろば 3 + オ 社協の地域づくり事業 1
    "community_program": 4 + 2 + 1 + 3 + 1,
}

DAISEN_FIELDS = {
    "elderly_care": 5 + 4 + 2,  # §3(1)ア, §3(5)ア・イ (担当課／分野: 介護)
    "disability": 4 + 1,  # §3(1)イ, §3(5)ウ (障がい)
    "children": 3 + 1 + 3,  # §3(1)ウ, オ 子育てに関すること, §3(5)エ (子ども)
    "hardship": 1 + 1 + 1,  # §3(1)エ, オ 生活保護に関すること, §3(5)オ (生活困窮)
    # §3(1)オ 教育・消費生活・健康 3 か所・福祉全般 8 (市民サービス課 7 + 社会福祉課), §3(2)(3)(4)
    "other": 1 + 1 + 3 + 8 + 3,
}


def test_daisen_counts_per_kind(daisen: ReferenceFile) -> None:
    assert Counter(s.kind for s in daisen.services) == DAISEN_KINDS
    assert len(daisen.services) == 42


def test_daisen_counts_per_field(daisen: ReferenceFile) -> None:
    assert Counter(s.field for s in daisen.services) == DAISEN_FIELDS


def test_daisen_legal_items_are_the_section_numbers_the_plan_gives(daisen: ReferenceFile) -> None:
    # The plan cites 第1号 to 第5号 per section and letters its own sub-programs ア〜オ; it never
    # writes the statute's イ〜ホ, so no sub-letter is recorded.
    assert Counter(s.legal_item for s in daisen.services) == {"1": 28, "2": 1, "3": 11, "4": 1, "5": 1}


def test_daisen_places_per_program_match_the_plans_own_counts(daisen: ReferenceFile) -> None:
    places = Counter(s.program for s in daisen.services)
    assert places["地域包括支援センターの運営"] == 5  # §3(1)ア 設置箇所数 5か所
    assert places["障害者相談支援事業"] == 4  # §3(1)イ 4か所
    assert places["利用者支援事業"] == 3  # §3(1)ウ 3か所
    assert places["地域子育て支援拠点事業"] == 3  # §3(5)エ 3か所
    assert places["地域介護予防活動支援事業"] == 4  # §3(5)ア ①〜④


def test_daisen_organizations(daisen: ReferenceFile) -> None:
    # 直営 = 大仙市; the only named 委託先 is 大仙市社会福祉協議会 (§3(1)ア, (2), (3), (4), (5)オ)
    assert {(o.key, o.name, o.kind) for o in daisen.organizations} == {
        ("city", "大仙市", "municipality"),
        ("shakyo", "大仙市社会福祉協議会", "social_welfare_council"),
    }
    keys = {o.key for o in daisen.organizations}
    assert {s.organization for s in daisen.services} - {None} <= keys


def test_daisen_operation_as_written(daisen: ReferenceFile) -> None:
    # 直営: §3(1)ウ 3 + §3(5)ア 4. 委託: §3(1)ア 5 (from 大曲仙北広域市町村圏組合) + イ 4 + エ 1
    # + §3(2)(3)(4) 3 + §3(5)イ 2 + ウ 1 + エ 3 + オ 1. §3(1)オ says nothing: 15.
    assert Counter(s.operation for s in daisen.services) == {"direct": 7, "commissioned": 20, None: 15}


def test_daisen_spot_checks(daisen: ReferenceFile) -> None:
    services = by_key(daisen)
    # §3(1)ア: the centre and 西部 run by the city, 東部・南部・協和 by the social welfare council
    operators = {s.name: s.organization for s in daisen.services if s.program == "地域包括支援センターの運営"}
    assert operators == {
        "高齢者包括支援センター": "city",
        "高齢者包括支援センター西部": "city",
        "高齢者包括支援センター東部": "shakyo",
        "高齢者包括支援センター南部": "shakyo",
        "高齢者包括支援センター協和": "shakyo",
    }
    # §3(1)イ: 委託, but the plan does not name the 委託先
    assert services["soudan-kanon"].name == "基幹相談支援センターかのん"
    assert services["soudan-kanon"].organization is None
    assert services["soudan-kanon"].operation == "commissioned"
    # §3(2)/(3): 大仙市社会福祉協議会に委託
    assert (services["takikan-kyodo"].organization, services["takikan-kyodo"].legal_item) == ("shakyo", "5")
    assert (services["outreach"].organization, services["outreach"].legal_item) == ("shakyo", "4")
    # §3(1)オ 福祉全般: 市民サービス課（神岡・西仙北・中仙・協和・南外・仙北・太田）, one per 地域
    shimin = sorted(s.name for s in daisen.services if s.name.startswith("市民サービス課"))
    assert len(shimin) == 7
    assert "市民サービス課（南外）" in shimin
    # §3(5)ア①: 隔年実施
    assert services["ikiikitai-yosei"].schedule == "隔年実施"
    # §3(5)エ
    assert services["kosodate-tsunakko"].name == "つなっこひろば（西仙北地域）"
    assert services["kosodate-tsunakko"].responsible_section == "子育て支援課"


# --- Tono (遠野市), seed 004 -------------------------------------------------------------------------

TONO_KINDS = {
    # 相談支援事業: 遠野健康福祉の里の 地域包括支援センター, 障がい者相談支援事業所,
    # 生活困窮者自立支援相談窓口, 子育て世代包括支援センター (4) + 丸ごと相談員 (地区センター等) 1
    "window": 4 + 1,
    "collaboration": 1,  # 相談支援事業: 「多機関協働事業」を行います
    "participation_host": 2,  # 参加支援 主な実施内容: 丸ごと相談員による関わり, 市民サロン「ちょボラ」
    # 地域づくりに向けた支援 主な実施内容: 通いの場開催支援, 生活支援コーディネーター,
    # 地域活動支援センター, 子育て支援センターまなざし, こども本の森遠野 (ちょボラ is the same salon as above)
    "community_program": 5,
}

TONO_FIELDS = {
    "elderly_care": 2,  # 地域包括支援センター, 生活支援コーディネーター
    "disability": 2,  # 障がい者相談支援事業所, 地域活動支援センター (障がい者の自立支援)
    "children": 3,  # 子育て世代包括支援センター, 子育て支援センターまなざし, こども本の森遠野
    "hardship": 1,  # 生活困窮者自立支援相談窓口
    "other": 5,  # 丸ごと相談員 ×2, 多機関協働事業, ちょボラ (だれもが), 住民主体の通いの場
}


def test_tono_counts_per_kind(tono: ReferenceFile) -> None:
    assert Counter(s.kind for s in tono.services) == TONO_KINDS
    assert len(tono.services) == 13


def test_tono_counts_per_field(tono: ReferenceFile) -> None:
    assert Counter(s.field for s in tono.services) == TONO_FIELDS


def test_tono_names_no_legal_item_and_no_operator_but_the_council(tono: ReferenceFile) -> None:
    # The page never cites 法第106条の4の号, and names one operator: ちょボラ's 実施主体.
    assert {s.legal_item for s in tono.services} == {None}
    assert [(o.key, o.name) for o in tono.organizations] == [("shakyo", "遠野市社会福祉協議会")]
    assert {s.key: s.organization for s in tono.services if s.organization} == {"chobora": "shakyo"}
    assert {s.operation for s in tono.services} == {None}


def test_tono_spot_checks(tono: ReferenceFile) -> None:
    services = by_key(tono)
    # the four windows on one floor of 遠野健康福祉の里
    sato = [s.name for s in tono.services if "遠野健康福祉の里" in (s.description or "")]
    assert sorted(sato) == sorted(
        [
            "地域包括支援センター",
            "障がい者相談支援事業所",
            "生活困窮者自立支援相談窓口",
            "子育て世代包括支援センター",
        ]
    )
    assert services["kosodate-sedai-houkatsu"].program == "利用者支援事業"
    assert "地区センター等を拠点" in (services["marugoto-soudanin"].description or "")
    assert "中心市街地の空き店舗" in (services["chobora"].description or "")


# --- Both -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tenant_id", ["052124", "032085"])
def test_no_contact_or_area_is_invented(tenant_id: str) -> None:
    # Neither seed gives a phone, fax, address, postal code or 対象圏域 for any entry.
    for s in load(tenant_id).services:
        assert s.phones == []
        assert s.address is None
        assert s.postal_code is None
        assert s.areas == []


@pytest.mark.parametrize("tenant_id", ["052124", "032085"])
def test_keys_are_unique_and_readings_are_katakana(tenant_id: str) -> None:
    reference = load(tenant_id)
    keys = [s.key for s in reference.services]
    assert len(keys) == len(set(keys))
    for item in [*reference.services, *reference.organizations]:
        assert item.name_kana is not None
        assert KATAKANA.match(item.name_kana), item.name_kana
