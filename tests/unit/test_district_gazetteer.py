"""地区・学区の台帳 as plain rules: folding names and numbers, reading addresses, which districts an
address lies in, and whether a resource's areas name the municipality's districts.

The address lines here are made up for the tests (the plans give no table of towns and districts);
the districts are 音更町's, as seed 000 names them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pydantic import ValidationError

from services.directory.districts import names
from services.directory.districts.reference.loader import reference_gazetteers
from services.directory.districts.rules import (
    NO_GAZETTEER,
    NOWHERE,
    AddressEntry,
    District,
    Gazetteer,
    area_problems,
    gazetteer_problems,
    locate,
)
from services.directory.districts.schemas import AddressEntryIn
from services.directory.reference.loader import reference_files

OTOFUKE_DISTRICTS = (
    District("junior_high_district", "音更中学校区"),
    District("junior_high_district", "駒場中学校区"),
    District("junior_high_district", "共栄中学校区"),
    District("junior_high_district", "下音更中学校区"),
    District("junior_high_district", "緑南中学校区"),
)
OTOFUKE = "016314"


def line(
    town: str,
    district: str,
    chome_from: int | None = None,
    chome_to: int | None = None,
    partial: bool = False,
) -> AddressEntry:
    return AddressEntry(town, names.district_key(district), chome_from, chome_to, partial)


TOWN = Gazetteer(
    municipality="音更町",
    districts=OTOFUKE_DISTRICTS,
    addresses=(
        line("柏寿台", "音更中学校区"),
        line("共栄台西", "共栄中学校区", chome_from=1, chome_to=10),
        line("共栄台西", "緑南中学校区", chome_from=11, chome_to=13),
        line("共栄台西", "緑南中学校区", chome_from=14, partial=True),
        line("共栄台西", "共栄中学校区", chome_from=14, partial=True),
        line("大字下音更", "下音更中学校区"),
        line("大字下音更", "共栄中学校区", partial=True),
        line("木野", "緑南中学校区"),
        line("木野大通西", "共栄中学校区"),
        line("駒場", "駒場中学校区", partial=True),
    ),
)


def districts_of(address: str, gazetteer: Gazetteer = TOWN) -> tuple[list[str], bool]:
    found = locate(address, gazetteer)
    return [d.name for d in found.districts], found.ambiguous


# --- folding ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("一", 1), ("九", 9), ("十", 10), ("十二", 12), ("二十", 20), ("二十一", 21), ("百", 100), ("二〇", 20)],
)
def test_kanji_numerals_read_as_numbers(numeral: str, value: int) -> None:
    assert names.kanji_to_int(numeral) == value


@pytest.mark.parametrize(
    "typed", ["柏寿台1丁目", "柏寿台一丁目", "柏寿台１丁目", "柏寿台 1 丁目", "柏寿台　一丁目"]
)
def test_a_chome_in_kanji_full_width_or_with_spaces_folds_the_same(typed: str) -> None:
    assert names.fold_place(typed) == "柏寿台1丁目"


@pytest.mark.parametrize("typed", ["1-5", "1ー5", "1－5", "1‐5", "1−5", "1の5", "１―５"])
def test_every_dash_between_numbers_is_one_hyphen(typed: str) -> None:
    assert names.fold_place(typed) == "1-5"


def test_district_names_fold_like_the_search_does() -> None:
    assert names.district_key("ｺﾏﾊﾞ中学校区") == names.district_key("こまば中学校区") == "コマバ中学校区"
    assert names.district_key("音更 中学校区") == "音更中学校区"


@pytest.mark.parametrize(
    "area", ["下音更中学校区の一部", "下音更中学校区（一部）", "下音更中学校区(一部)", "下音更中学校区一部"]
)
def test_a_part_of_a_district_names_the_district(area: str) -> None:
    assert names.part_of(area) == "下音更中学校区"


def test_town_keys_drop_oaza_and_carry_no_chome() -> None:
    assert names.town_key("大字下音更") == names.town_key("下音更") == "下音更"
    assert names.split_town("共栄台西12丁目") == names.TownSpelling("共栄台西", 12)
    assert names.split_town("共栄台西十二丁目") == names.TownSpelling("共栄台西", 12)
    assert names.split_town("三条十一丁目") == names.TownSpelling("3条", 11)
    assert names.town_key("関ヶ原") == names.town_key("関ケ原")


@pytest.mark.parametrize(
    ("address", "remainder"),
    [
        ("柏寿台1番地5", "柏寿台1番地5"),
        ("音更町柏寿台1-5", "柏寿台1-5"),
        ("北海道河東郡音更町柏寿台一丁目", "柏寿台1丁目"),
        ("〒080-0101 北海道河東郡音更町大字下音更北9線西", "下音更北9線西"),
        ("河東郡音更町共栄台西１２丁目７番地７", "共栄台西12丁目7番地7"),
    ],
)
def test_prefecture_county_and_the_municipality_are_stripped(address: str, remainder: str) -> None:
    assert names.address_remainders(address, "音更町") == [remainder]


def test_without_the_municipality_each_city_town_or_village_ending_is_tried() -> None:
    assert names.address_remainders("三重県四日市市諏訪町1-5", None)[:3] == [
        "4日市市諏訪町1-5",  # as given (the town may begin at once)
        "市諏訪町1-5",
        "諏訪町1-5",
    ]


@pytest.mark.parametrize(
    ("rest", "chome"),
    [("1丁目5番3号", 1), ("1-5", 1), ("1-5-3", 1), ("1", 1), ("", None), ("1番地5", None), ("北9線", None)],
)
def test_the_chome_is_read_only_where_the_address_says_it(rest: str, chome: int | None) -> None:
    assert names.chome_in(rest) == chome


# --- which districts an address lies in ------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "柏寿台1番地5",
        "音更町柏寿台1-5",
        "北海道河東郡音更町柏寿台一丁目",
        "〒080-0198 北海道河東郡音更町柏寿台１－５",
        "柏寿台",
    ],
)
def test_a_town_in_one_district_is_found_however_the_address_is_written(address: str) -> None:
    found = locate(address, TOWN)
    assert [d.name for d in found.districts] == ["音更中学校区"]
    assert not found.ambiguous
    assert found.town == "柏寿台"


@pytest.mark.parametrize(
    ("address", "district"),
    [
        ("共栄台西3丁目", "共栄中学校区"),
        ("共栄台西三丁目2番地", "共栄中学校区"),
        ("共栄台西３丁目", "共栄中学校区"),
        ("共栄台西3-2-1", "共栄中学校区"),
        ("共栄台西十二丁目7番地7", "緑南中学校区"),
        ("共栄台西12-7-7", "緑南中学校区"),
        ("北海道河東郡音更町共栄台西１３丁目", "緑南中学校区"),
    ],
)
def test_a_town_split_by_chome_is_settled_by_the_chome(address: str, district: str) -> None:
    assert districts_of(address) == ([district], False)


def test_a_split_town_without_a_chome_is_ambiguous_with_every_candidate() -> None:
    assert districts_of("共栄台西7番地7") == (["共栄中学校区", "緑南中学校区"], True)
    assert districts_of("共栄台西") == (["共栄中学校区", "緑南中学校区"], True)


def test_a_chome_split_between_districts_is_ambiguous() -> None:
    assert districts_of("共栄台西14丁目") == (["緑南中学校区", "共栄中学校区"], True)


def test_a_chome_the_table_does_not_list_leaves_the_town_s_every_candidate() -> None:
    assert districts_of("共栄台西20丁目") == (["共栄中学校区", "緑南中学校区"], True)


def test_a_town_split_between_districts_is_ambiguous() -> None:
    assert districts_of("北海道河東郡音更町大字下音更北9線西12番地") == (
        ["下音更中学校区", "共栄中学校区"],
        True,
    )
    assert districts_of("下音更") == (["下音更中学校区", "共栄中学校区"], True)


def test_a_town_only_partly_in_its_district_is_ambiguous() -> None:
    assert districts_of("駒場1番地") == (["駒場中学校区"], True)


def test_the_longest_listed_town_wins() -> None:
    assert districts_of("木野大通西7丁目") == (["共栄中学校区"], False)
    assert districts_of("木野5番地") == (["緑南中学校区"], False)


@pytest.mark.parametrize(
    "address",
    [
        "緑陽台1丁目",  # a town the table does not list
        "北海道帯広市柏寿台1丁目",  # another municipality
        "音更町",
        "",
        "　 ",
        "1-1-1",
        "%_\\'\"",
        "😀🏠",
        "<script>alert(1)</script>",
        "柏" * 10_000,
        "\x00\ufeff",
    ],
)
def test_unknown_or_absurd_addresses_lie_nowhere(address: str) -> None:
    assert locate(address, TOWN) == NOWHERE


def test_a_municipality_without_an_address_table_locates_nothing() -> None:
    assert locate("柏寿台1-5", Gazetteer("音更町", OTOFUKE_DISTRICTS)) == NOWHERE
    assert locate("柏寿台1-5", NO_GAZETTEER) == NOWHERE


def test_without_the_municipality_s_name_a_leading_municipality_is_still_skipped() -> None:
    nameless = Gazetteer(None, TOWN.districts, TOWN.addresses)
    assert districts_of("北海道河東郡音更町柏寿台1-5", nameless) == (["音更中学校区"], False)


# --- areas of a resource against the gazetteer ----------------------------------------------------


@dataclass(frozen=True)
class Area:
    kind: str
    name: str


def problems(*areas: tuple[str, str], gazetteer: Gazetteer = TOWN) -> list[tuple[int, str]]:
    return [(p.index, p.code) for p in area_problems([Area(*a) for a in areas], gazetteer)]


def test_districts_of_the_gazetteer_and_parts_of_them_are_accepted() -> None:
    assert (
        problems(
            ("junior_high_district", "音更中学校区"),
            ("junior_high_district", "下音更中学校区の一部"),
            ("junior_high_district", "駒場 中学校区"),
            ("district", "緑南中学校区"),
            ("other", "十勝管内"),
        )
        == []
    )


@pytest.mark.parametrize(
    "phrase", ["町内一円", "町内全域", "市内全域", "市内一円", "村内一円", "音更町", "音更町全域"]
)
def test_whole_municipality_phrases_are_accepted(phrase: str) -> None:
    assert problems(("municipality", phrase)) == []


def test_an_unknown_district_is_refused_listing_a_few_known_ones() -> None:
    (problem,) = area_problems([Area("junior_high_district", "音更西中学校区")], TOWN)
    assert (problem.index, problem.code) == (0, "unknown_district")
    assert "音更西中学校区" in problem.message.ja and "音更中学校区、駒場中学校区" in problem.message.ja
    assert "Known districts: 音更中学校区, 駒場中学校区" in problem.message.en


def test_the_listing_stops_after_a_few_districts() -> None:
    many = Gazetteer("大仙市", tuple(District("district", f"第{i}地区") for i in range(1, 9)))
    (problem,) = area_problems([Area("district", "どこか")], many)
    assert "第5地区 ほか 3 件" in problem.message.ja
    assert "第6地区" not in problem.message.ja


def test_a_phrase_that_is_not_the_whole_municipality_is_refused() -> None:
    assert problems(("municipality", "音更中学校区"), ("municipality", "帯広市")) == [
        (0, "not_whole_municipality"),
        (1, "not_whole_municipality"),
    ]


def test_a_junior_high_area_must_name_a_junior_high_district() -> None:
    nagaizumi = Gazetteer("長泉町", (District("elementary_district", "北小校区"),))
    assert problems(("junior_high_district", "北小校区"), gazetteer=nagaizumi) == [
        (0, "district_kind_mismatch")
    ]
    assert problems(("district", "北小校区"), gazetteer=nagaizumi) == []


def test_a_municipality_without_districts_accepts_any_district_name() -> None:
    assert problems(("district", "東地区"), ("junior_high_district", "どこか"), gazetteer=NO_GAZETTEER) == []
    assert problems(("municipality", "どこか"), gazetteer=NO_GAZETTEER) == [(0, "not_whole_municipality")]


def test_every_reference_resource_names_its_municipality_s_districts() -> None:
    gazetteers = {g.tenant_id: g for g in reference_gazetteers()}
    for file in reference_files():
        reference = gazetteers.get(file.tenant_id)
        gazetteer = (
            Gazetteer(
                reference.municipality,
                tuple(District(d.kind, d.name, d.reading) for d in reference.districts),
            )
            if reference
            else NO_GAZETTEER
        )
        for entry in file.services:
            assert area_problems(entry.areas, gazetteer) == [], (file.tenant_id, entry.key)


def test_the_demo_gazetteers_hold_the_districts_the_plans_name_and_no_address_lines() -> None:
    gazetteers = {g.tenant_id: g for g in reference_gazetteers()}
    assert set(gazetteers) == {OTOFUKE, "223417", "052124"}  # seed 004 (遠野市) names no district
    assert [d.name for d in gazetteers[OTOFUKE].districts] == [d.name for d in OTOFUKE_DISTRICTS]
    assert [(d.kind, d.name) for d in gazetteers["223417"].districts] == [
        ("elementary_district", "北小校区"),
        ("elementary_district", "長小校区"),
        ("elementary_district", "南小校区"),
    ]
    assert [d.name for d in gazetteers["052124"].districts] == [
        f"{name}地域" for name in ("大曲", "神岡", "西仙北", "中仙", "協和", "南外", "仙北", "太田")
    ]
    for gazetteer in gazetteers.values():
        assert gazetteer.addresses == []
        assert gazetteer.source.startswith("seed 00") and "住所の表は空" in gazetteer.source


# --- a gazetteer as an editor sends it ------------------------------------------------------------


def test_a_gazetteer_with_duplicates_or_dangling_lines_is_refused_by_field() -> None:
    sent = Gazetteer(
        "音更町",
        (District("junior_high_district", "音更中学校区"), District("junior_high_district", "音更 中学校区")),
        (
            line("柏寿台", "音更中学校区"),
            line("柏寿台", "音更中学校区"),
            line("緑陽台", "緑陽中学校区"),
            line("共栄台西", "音更中学校区", chome_from=5, chome_to=2),
        ),
    )
    found = gazetteer_problems(sent, ["音更中学校区", "音更中学校区", "緑陽中学校区", "音更中学校区"])
    assert [(p.field, p.code) for p in found] == [
        ("districts[1].name", "duplicate_district"),
        ("addresses[1]", "duplicate_line"),
        ("addresses[2].district", "unknown_district"),
        ("addresses[3].chome_to", "backwards"),
    ]


def test_a_town_written_with_its_chome_is_split() -> None:
    entry = AddressEntryIn(town="共栄台西十二丁目", district="緑南中学校区")
    assert (entry.town, entry.chome_from, entry.chome_to) == ("共栄台西", 12, None)
    assert AddressEntryIn(town="柏寿台", chome_to=3, district="音更中学校区").chome_from == 1
    with pytest.raises(ValidationError):
        AddressEntryIn(town="柏寿台1丁目", chome_from=2, district="音更中学校区")
