"""The directory's reference files for Otofuke (016314) and Nagaizumi (223417) against the plans.

The expected numbers below were counted by hand in the seed documents, not derived from the JSON:
seed 000 = /work/shared/seeds/000_c5f255fc6425f771.txt (音更町 実施計画 §2(2) ア〜ウ),
seed 003 = /work/shared/seeds/003_5ce74c7d401252db.txt (長泉町 実施計画 §5 (1)〜(5)).
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


def load(tenant: str) -> ReferenceFile:
    with (REFERENCE_DIR / f"{tenant}.json").open(encoding="utf-8") as f:
        return ReferenceFile.model_validate(json.load(f))


@pytest.fixture(scope="module")
def otofuke() -> ReferenceFile:
    return load("016314")


@pytest.fixture(scope="module")
def nagaizumi() -> ReferenceFile:
    return load("223417")


def by_name(ref: ReferenceFile, name: str, kind: str | None = None) -> ReferenceService:
    found = [s for s in ref.services if s.name == name and (kind is None or s.kind == kind)]
    assert len(found) == 1, (name, kind, found)
    return found[0]


# --- both files: structure ---------------------------------------------------------------------


@pytest.mark.parametrize("tenant", ["016314", "223417"])
def test_keys_are_unique_and_every_operator_exists(tenant: str) -> None:
    ref = load(tenant)
    assert ref.tenant_id == tenant
    org_keys = [o.key for o in ref.organizations]
    service_keys = [s.key for s in ref.services]
    assert len(org_keys) == len(set(org_keys))
    assert len(service_keys) == len(set(service_keys))
    assert {s.organization for s in ref.services if s.organization} <= set(org_keys)
    assert "town" in org_keys


@pytest.mark.parametrize("tenant", ["016314", "223417"])
def test_every_reading_is_full_width_katakana(tenant: str) -> None:
    ref = load(tenant)
    for s in ref.services:
        assert KATAKANA.match(s.name_kana), (s.key, s.name_kana)
    for o in ref.organizations:
        assert o.name_kana is None or KATAKANA.match(o.name_kana), (o.key, o.name_kana)


# --- Otofuke (seed 000) ------------------------------------------------------------------------

OTOFUKE_KIND_FIELD = {
    # §2(2)ア 相談機関（窓口）: 介護 (3か所), 障がい (1か所), 子ども (1か所), 生活困窮 (1か所)
    ("window", "elderly_care"): 3,
    ("window", "disability"): 1,
    ("window", "children"): 1,
    ("window", "hardship"): 1,
    # §2(2)イ 介護: 生きいきポイント事業, 生活支援体制整備事業 (no separate places)
    ("community_program", "elderly_care"): 2,
    # §2(2)イ 障がい: 地域活動支援センター事業 （事業所1）どんぐりの家 （事業所2）こんにち庵
    ("community_program", "disability"): 2,
    # §2(2)イ 子ども: 地域子育て支援拠点事業 （事業所1）〜（事業所4）
    ("community_program", "children"): 4,
    # §2(2)イ 生活困窮: コミュニティサポート事業
    ("community_program", "hardship"): 1,
    # §2(2)ウ: 町の介護、障がい、子ども、生活困窮の担当課に包括化推進員を配置（計4人）
    ("collaboration", "elderly_care"): 1,
    ("collaboration", "disability"): 1,
    ("collaboration", "children"): 1,
    ("collaboration", "hardship"): 1,
    # §2(2)ウ 社会参加や居場所づくりとして想定される主な事業等 (1)〜(6); the plan gives them no 分野
    ("participation_host", "other"): 6,
}


def test_otofuke_counts(otofuke: ReferenceFile) -> None:
    assert otofuke.municipality == "音更町"
    assert Counter((s.kind, s.field) for s in otofuke.services) == OTOFUKE_KIND_FIELD
    assert len(otofuke.services) == 25  # 6 windows + 9 community + 4 coordinators + 6 places
    # operators named in §2(2): 柏寿協会, 北海道医療団, 手稲ロータス会, 慧誠会, 町, ウィルワーク (ア);
    # 社会福祉協議会, どんぐりの家福祉会, 大谷菩提樹会, 音更福祉事業協会, 帯広葵学園 (イ); 中村友子 (ウ(2))
    assert len(otofuke.organizations) == 12
    # the plan gives no 第X号 for any Otofuke entry
    assert all(s.legal_item is None for s in otofuke.services)


def test_otofuke_existing_operator_keys(otofuke: ReferenceFile) -> None:
    orgs = {o.key: o for o in otofuke.organizations}
    assert orgs["hakuju-kyokai"].name == "社会福祉法人音更町柏寿協会"
    assert orgs["hokkaido-iryodan"].name == "公益財団法人北海道医療団"
    assert orgs["teine-lotus"].name == "社会福祉法人手稲ロータス会"
    assert orgs["keiseikai"].name == "社会福祉法人慧誠会"
    assert orgs["town"].name == "音更町"
    assert orgs["willwork"].name == "有限会社ウィルワーク"
    assert orgs["shakyo"].kind == "social_welfare_council"


def test_otofuke_ranran(otofuke: ReferenceFile) -> None:
    ranran = by_name(otofuke, "地域包括支援センターらんらん")
    assert ranran.name_kana == "チイキホウカツシエンセンターランラン"
    assert (ranran.kind, ranran.field, ranran.operation) == ("window", "elderly_care", "commissioned")
    assert ranran.organization == "hakuju-kyokai"
    assert ranran.address == "柏寿台1番地5"
    assert [(p.number, p.type) for p in ranran.phones] == [("67-7090", "voice"), ("67-7640", "fax")]
    assert [(a.kind, a.name) for a in ranran.areas] == [
        ("junior_high_district", "音更中学校区"),
        ("junior_high_district", "駒場中学校区"),
    ]


def test_otofuke_windows_spot_checks(otofuke: ReferenceFile) -> None:
    hohoemi = by_name(otofuke, "地域包括支援センターほほえみ")
    assert [a.name for a in hohoemi.areas] == ["共栄中学校区", "下音更中学校区の一部"]
    lotus = by_name(otofuke, "地域包括支援センターロータス音更")
    assert [a.name for a in lotus.areas] == ["緑南中学校区", "下音更中学校区の一部"]
    assert lotus.phones[0].number == "67-7863"

    kikan = by_name(otofuke, "障がい者基幹相談支援センター")  # 42-2111(内線512) FAX 42-5160
    assert (kikan.phones[0].number, kikan.phones[0].extension) == ("42-2111", "512")
    assert (kikan.phones[1].number, kikan.phones[1].type) == ("42-5160", "fax")
    assert kikan.address == "元町2番地(役場庁舎1階福祉課)"
    assert [(a.kind, a.name) for a in kikan.areas] == [("municipality", "町内一円")]

    seikatsu = by_name(otofuke, "せいかつ相談窓口")  # 42-2111(内線525)
    assert (seikatsu.organization, seikatsu.phones[0].extension) == ("willwork", "525")

    kodomo = by_name(otofuke, "こども家庭センター")  # 町（直営）
    assert (kodomo.organization, kodomo.operation) == ("town", "direct")
    assert kodomo.address == "新通8丁目5番地(保健センター)"


# seed 000 §2(2)ア 相談機関（窓口）: the six windows intake shows (its read model of these entries),
# by key (the window code is '016314-<key>'): operator, field, operation, phone, 内線.
OTOFUKE_WINDOWS = [
    ("ranran", "hakuju-kyokai", "elderly_care", "commissioned", "67-7090", None),  # らんらん
    ("hohoemi", "hokkaido-iryodan", "elderly_care", "commissioned", "32-5151", None),  # ほほえみ
    ("lotus-otofuke", "teine-lotus", "elderly_care", "commissioned", "67-7863", None),  # ロータス音更
    ("kikan-sodan", "keiseikai", "disability", "commissioned", "42-2111", "512"),  # 基幹相談支援センター
    ("kodomo-katei-center", "town", "children", "direct", "42-6200", None),  # こども家庭センター
    ("seikatsu-sodan", "willwork", "hardship", "commissioned", "42-2111", "525"),  # せいかつ相談窓口
]


def test_otofuke_windows_are_the_six_of_the_plan(otofuke: ReferenceFile) -> None:
    found = []
    for s in otofuke.services:
        if s.kind == "window":
            voice = next(p for p in s.phones if p.type == "voice")
            found.append((s.key, s.organization, s.field, s.operation, voice.number, voice.extension))
    assert found == OTOFUKE_WINDOWS


def test_otofuke_community_programs(otofuke: ReferenceFile) -> None:
    places = [s for s in otofuke.services if s.program == "地域活動支援センター事業"]
    assert {s.name for s in places} == {"地域活動支援センターどんぐりの家", "地域活動支援センターこんにち庵"}
    assert {s.organization for s in places} == {"donguri-no-ie-fukushikai"}

    hubs = {s.name: s for s in otofuke.services if s.program == "地域子育て支援拠点事業"}
    assert len(hubs) == 4  # §2(2)イ 子ども （事業所1）〜（事業所4）
    assert hubs["子育て支援センターすずらん"].organization == "otani-bodaijukai"
    assert hubs["きの子育て支援センター"].organization == "otani-bodaijukai"
    assert hubs["きの子育て支援センター"].phones[1].number == "67-7300"
    assert hubs["音更子育て支援センター"].organization == "otofuke-fukushi-jigyo-kyokai"
    assert hubs["柳町子育て支援センター"].organization == "obihiro-aoi-gakuen"

    point = by_name(otofuke, "生きいきポイント事業")
    assert (point.organization, point.operation, point.address) == (
        "shakyo",
        "commissioned",
        "大通11丁目1番地",
    )


def test_otofuke_coordinators_and_participation(otofuke: ReferenceFile) -> None:
    coordinators = [s for s in otofuke.services if s.kind == "collaboration"]
    assert {s.organization for s in coordinators} == {"town"}

    kurumi = by_name(otofuke, "子育てサロンくるみ")  # 実施機関 中村友子, 電話 080-6078-2011
    orgs = {o.key: o for o in otofuke.organizations}
    assert orgs[kurumi.organization or ""].name == "中村友子"
    assert [p.number for p in kurumi.phones] == ["080-6078-2011"]
    assert kurumi.operation is None  # no （委託） written in §2(2)ウ

    hosts = [s for s in otofuke.services if s.kind == "participation_host"]
    assert sum(s.organization == "shakyo" for s in hosts) == 5  # (1), (3), (4), (5), (6)
    assert by_name(otofuke, "喫茶はっぴ〜").name_kana == "キッサハッピー"


# --- Nagaizumi (seed 003) ----------------------------------------------------------------------

NAGAIZUMI_KIND_FIELD = {
    # §5(1)① 地域包括支援センター 2箇所（北、南）
    ("window", "elderly_care"): 2,
    # §5(1)② 障がい者基幹相談支援センター 1箇所 + 障がい者相談支援事業 5箇所
    ("window", "disability"): 6,
    # §5(1)③(ア) こども交流センター 1箇所 + (イ) こども家庭センター 2箇所
    ("window", "children"): 3,
    # §5(1)④ 支援機関: 福祉保険課, 長泉町社会福祉協議会
    ("window", "hardship"): 2,
    # §5(2)① 参加支援事業 (no 分野 row)
    ("participation_host", "other"): 1,
    # §5(3)① 地域介護予防活動支援事業, ② 生活支援体制整備事業
    ("community_program", "elderly_care"): 2,
    # §5(3)③ 事業外の支援の場: 長泉町社会福祉協議会、こでまり、ふれあい沼津
    ("community_program", "disability"): 3,
    # §5(3)④ みかんちゃん, ちえりーぶらっさむ, パルながいずみ
    ("community_program", "children"): 3,
    # §5(3)⑤ 生活困窮者支援等のための地域づくり事業
    ("community_program", "hardship"): 1,
    # §5(4)① アウトリーチ等を通じた継続的支援事業 (no 分野 row)
    ("outreach", "other"): 1,
    # §5(5)① 多機関協働事業 (no 分野 row)
    ("collaboration", "other"): 1,
}


def test_nagaizumi_counts(nagaizumi: ReferenceFile) -> None:
    assert nagaizumi.municipality == "長泉町"
    assert Counter((s.kind, s.field) for s in nagaizumi.services) == NAGAIZUMI_KIND_FIELD
    assert len(nagaizumi.services) == 25  # 13 windows + 1 + 9 + 1 + 1
    # operators the plan names: 町 (直営), 長泉町社会福祉協議会, 公益財団法人復康会; the others are only
    # "社会福祉法人" / "社会福祉法人等" / "株式会社" without a name
    assert {o.key for o in nagaizumi.organizations} == {"town", "shakyo", "fukkokai"}
    assert Counter(s.legal_item for s in nagaizumi.services) == {
        "1イ": 2,
        "1ロ": 6,
        "1ハ": 3,
        "1ニ": 2,
        "2": 1,
        "3イ": 1,
        "3ロ": 1,
        "3ニ": 3,
        "3": 1,  # ⑤ 【第3号】 without a letter
        None: 3,  # ③ 第3号ハ 当町該当なし: the three are 事業外の支援の場
        "4": 1,
        "5": 1,  # 【第5号、第6号】
    }


def test_nagaizumi_windows(nagaizumi: ReferenceFile) -> None:
    for name in ("地域包括支援センター（北）", "地域包括支援センター（南）"):
        s = by_name(nagaizumi, name)
        assert (s.legal_item, s.operation, s.organization) == ("1イ", "commissioned", None)
        assert s.responsible_section == "長寿介護課"
        assert s.program == "地域包括支援センターの運営"
    assert by_name(nagaizumi, "地域包括支援センター（北）").name_kana == "チイキホウカツシエンセンターキタ"

    sodan = [s for s in nagaizumi.services if s.program == "相談支援事業"]
    assert {s.name for s in sodan} == {
        "障がい者基幹相談支援センター（ゆううん）",
        "障がい者相談支援事業（まえむき）",
        "障がい者相談支援事業（なかせ）",
        "障がい者相談支援事業（つむぎ）",
        "障がい者相談支援事業（リベルテ）",
        "障がい者相談支援事業（ふがく）",
    }
    assert {s.responsible_section for s in sodan} == {"福祉保険課"}

    for name in ("こども家庭センター（こども未来課）", "こども家庭センター（健康増進課）"):
        s = by_name(nagaizumi, name)
        assert (s.organization, s.operation, s.legal_item) == ("town", "direct", "1ハ")

    section = by_name(nagaizumi, "福祉保険課")
    assert (section.organization, section.operation, section.field) == ("town", "direct", "hardship")
    council = by_name(nagaizumi, "長泉町社会福祉協議会", kind="window")
    assert (council.organization, council.legal_item) == ("shakyo", "1ニ")


def test_nagaizumi_community_and_new_projects(nagaizumi: ReferenceFile) -> None:
    yobo = by_name(nagaizumi, "地域介護予防活動支援事業")
    assert (yobo.organization, yobo.operation) == ("town", "direct")
    assert [(a.kind, a.name) for a in yobo.areas] == [("municipality", "町内全域")]

    taisei = by_name(nagaizumi, "生活支援体制整備事業")
    assert [a.name for a in taisei.areas] == ["町内全域", "北小校区", "長小校区", "南小校区"]

    assert by_name(nagaizumi, "子育て支援センター（みかんちゃん）").operation == "direct"  # (直営)
    assert by_name(nagaizumi, "ふれあい沼津").operation == "commissioned"  # ふれあい沼津(委託)
    pal = [s for s in nagaizumi.services if s.name == "こども交流センター（パルながいずみ）"]
    assert sorted(s.legal_item or "" for s in pal) == ["1ハ", "3ニ"]  # named in §5(1)③(ア) and (3)④

    outreach = by_name(nagaizumi, "アウトリーチ等を通じた継続的支援事業")
    assert (outreach.kind, outreach.organization, outreach.legal_item) == ("outreach", "shakyo", "4")
    collaboration = by_name(nagaizumi, "多機関協働事業")
    assert (collaboration.organization, collaboration.operation) == ("fukkokai", "commissioned")
    participation = by_name(nagaizumi, "参加支援事業")
    assert (participation.organization, participation.legal_item) == ("shakyo", "2")
    assert all(s.phones == [] and s.address is None for s in nagaizumi.services)  # §5 gives none
