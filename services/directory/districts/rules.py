"""地区・学区の台帳 as plain objects: which districts an address lies in, and whether a resource's
areas (圏域) name the municipality's districts. No database, no HTTP."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Literal, Protocol

from services.directory.districts import names
from shared.errors import FieldProblem, Text

DistrictKind = Literal["junior_high_district", "elementary_district", "district"]
KIND_LABELS: dict[str, Text] = {
    "junior_high_district": Text("中学校区", "junior-high-school district"),
    "elementary_district": Text("小学校区", "elementary-school district"),
    "district": Text("地区・地域", "district"),
}
# Which districts of the gazetteer an area of each kind may name. The areas have no kind for
# 小学校区: they are written as `district` (Nagaizumi's 北小校区).
NAMEABLE: dict[str, frozenset[str]] = {
    "junior_high_district": frozenset({"junior_high_district"}),
    "district": frozenset({"junior_high_district", "elementary_district", "district"}),
}
_WHOLE_PREFIXES = ("町内", "市内", "村内", "区内")
_WHOLE_SUFFIXES = ("一円", "全域", "全体")
_WHOLE_WORDS = ("全域", "全町", "全市", "全村", "町全域", "市全域", "村全域")
SHOWN_DISTRICTS = 5  # how many known districts a problem lists


@dataclass(frozen=True)
class District:
    kind: str
    name: str
    reading: str | None = None

    @cached_property
    def key(self) -> str:
        return names.district_key(self.name)


@dataclass(frozen=True)
class AddressEntry:
    """One line of the address table: a town (or some of its 丁目) and its district.

    `partial`: only part of the town (or of those 丁目) lies in the district, so an address there is
    not settled by the table.
    """

    town: str
    district: str  # the district's key
    chome_from: int | None = None
    chome_to: int | None = None
    partial: bool = False

    @cached_property
    def town_key(self) -> str:
        return names.split_town(self.town).key

    def covers(self, chome: int) -> bool:
        low = self.chome_from if self.chome_from is not None else 1
        high = self.chome_to if self.chome_to is not None else low
        return low <= chome <= high

    @property
    def ranged(self) -> bool:
        return self.chome_from is not None


@dataclass(frozen=True)
class Gazetteer:
    """A municipality's districts and address table (either may be empty)."""

    municipality: str | None = None
    districts: tuple[District, ...] = ()
    addresses: tuple[AddressEntry, ...] = ()

    @cached_property
    def _by_key(self) -> dict[str, District]:
        return {d.key: d for d in reversed(self.districts)}  # the first of a name wins

    def district(self, key: str) -> District | None:
        return self._by_key.get(key)


NO_GAZETTEER = Gazetteer()


@dataclass(frozen=True)
class Location:
    """Where an address lies: its town as the table writes it, its 丁目 if given, and its districts.

    `ambiguous`: the table cannot settle it (a town split between districts, or listed as only
    partly in one) and `districts` holds every candidate. No districts: the town is not listed.
    """

    town: str | None = None
    chome: int | None = None
    districts: tuple[District, ...] = ()
    ambiguous: bool = False


NOWHERE = Location()


def locate(address: str, gazetteer: Gazetteer) -> Location:
    """The districts an address lies in: the longest listed town its remainder begins with."""
    by_town: dict[str, list[AddressEntry]] = {}
    for entry in gazetteer.addresses:
        by_town.setdefault(entry.town_key, []).append(entry)
    for remainder in names.address_remainders(address, gazetteer.municipality):
        town = next((remainder[:n] for n in range(len(remainder), 0, -1) if remainder[:n] in by_town), None)
        if town is not None:
            chome = names.chome_in(remainder[len(town) :])
            return _settle(by_town[town], chome, gazetteer)
    return NOWHERE


def _settle(entries: list[AddressEntry], chome: int | None, gazetteer: Gazetteer) -> Location:
    chosen, unlisted = entries, False
    if chome is not None:
        # The lines for that 丁目, else those for the whole town; a 丁目 the table does not list
        # leaves every line of the town a candidate.
        chosen = [e for e in entries if e.ranged and e.covers(chome)] or [e for e in entries if not e.ranged]
        chosen, unlisted = (chosen, False) if chosen else (entries, True)
    keys = list(dict.fromkeys(e.district for e in chosen))
    districts = tuple(d for d in (gazetteer.district(k) for k in keys) if d is not None)
    ambiguous = unlisted or len(districts) > 1 or any(e.partial for e in chosen)
    return Location(town=entries[0].town, chome=chome, districts=districts, ambiguous=ambiguous)


# --- areas of a resource, checked against the gazetteer --------------------------------------------


class Area(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class AreaProblem:
    index: int  # of the area in the resource's list
    code: str
    message: Text


@lru_cache(maxsize=64)
def whole_municipality_phrases(municipality: str | None) -> frozenset[str]:
    """町内一円, 市内全域, 全町, … and, when known, the municipality's own name (音更町, 音更町全域)."""
    phrases = {p + s for p in _WHOLE_PREFIXES for s in _WHOLE_SUFFIXES} | set(_WHOLE_WORDS)
    if municipality:
        phrases |= {municipality} | {municipality + s for s in (*_WHOLE_SUFFIXES, "内全域", "内一円")}
    return frozenset(names.district_key(p) for p in phrases)


def area_problems(areas: Sequence[Area], gazetteer: Gazetteer) -> list[AreaProblem]:
    """What is wrong with a resource's areas.

    `municipality` must be a whole-municipality phrase; `junior_high_district` and `district` must
    name a district of the gazetteer (or 「…の一部」 of one); `other` is free text. A municipality
    with no districts yet accepts any district name: it starts by importing its resources.
    """
    whole = whole_municipality_phrases(gazetteer.municipality)
    problems = []
    for index, area in enumerate(areas):
        if area.kind == "municipality" and names.district_key(area.name) not in whole:
            problems.append(AreaProblem(index, "not_whole_municipality", _not_whole(area.name)))
        elif area.kind in NAMEABLE and gazetteer.districts:
            problem = _district_problem(area, gazetteer)
            if problem is not None:
                problems.append(AreaProblem(index, *problem))
    return problems


def _district_problem(area: Area, gazetteer: Gazetteer) -> tuple[str, Text] | None:
    allowed = NAMEABLE[area.kind]
    found = gazetteer.district(names.part_of(area.name))
    if found is not None and found.kind in allowed:
        return None
    known = _listing(d.name for d in gazetteer.districts if d.kind in allowed)
    if found is not None:
        label = KIND_LABELS[found.kind]
        return "district_kind_mismatch", Text(
            f"「{area.name}」は{label.ja}です。中学校区ではないので、種類を district（地区）にしてください。",
            f"'{area.name}' is a {label.en}, not a junior-high-school district; use the kind district.",
        )
    return "unknown_district", Text(
        f"「{area.name}」は地区台帳にありません。台帳の地区: {known.ja}",
        f"'{area.name}' is not in the district gazetteer. Known districts: {known.en}",
    )


def _listing(district_names: Iterable[str]) -> Text:
    shown = list(district_names)
    if not shown:
        return Text("（この種類の地区はありません）", "(none of this kind)")
    head = shown[:SHOWN_DISTRICTS]
    more = len(shown) - len(head)
    return Text(
        "、".join(head) + (f" ほか {more} 件" if more else ""),
        ", ".join(head) + (f" and {more} more" if more else ""),
    )


def _not_whole(name: str) -> Text:
    return Text(
        f"「{name}」は自治体の全域を表す言葉ではありません。町内一円・市内全域などと書くか、"
        "地区なら種類を district に、それ以外は other にしてください。",
        f"'{name}' does not mean the whole municipality (write 町内一円, 市内全域, …); "
        "use the kind district for a district, other for anything else.",
    )


# --- checking a gazetteer an editor sends -----------------------------------------------------------


Line = tuple[str, int | None, int | None, str]  # town, 丁目 range, district: a line's identity


def gazetteer_problems(gazetteer: Gazetteer, written: Sequence[str]) -> list[FieldProblem]:
    """Duplicate districts, address lines naming no district, 丁目 ranges backwards, repeated lines,
    by field (`districts[i].name`, `addresses[j].district`, …).

    `written`: each address line's district as the editor wrote it (for the messages).
    """
    problems: list[FieldProblem] = []
    seen: dict[str, int] = {}
    for i, district in enumerate(gazetteer.districts):
        if not district.key:
            problems.append(FieldProblem(f"districts[{i}].name", Text("名前が空です。", "Blank."), "blank"))
        elif district.key in seen:
            first = seen[district.key]
            problems.append(
                FieldProblem(
                    f"districts[{i}].name",
                    Text(f"districts[{first}] と同じ地区です。", f"The same district as districts[{first}]."),
                    "duplicate_district",
                )
            )
        else:
            seen[district.key] = i
    lines: dict[Line, int] = {}
    for j, entry in enumerate(gazetteer.addresses):
        problems.extend(_line_problems(j, entry, written[j], seen, lines))
    return problems


def _line_problems(
    j: int, entry: AddressEntry, written: str, districts: dict[str, int], lines: dict[Line, int]
) -> list[FieldProblem]:
    problems = []
    if entry.district not in districts:
        problems.append(
            FieldProblem(
                f"addresses[{j}].district",
                Text(f"「{written}」は districts にありません。", f"'{written}' is not among the districts."),
                "unknown_district",
            )
        )
    if not entry.town_key:
        problems.append(FieldProblem(f"addresses[{j}].town", Text("町名が空です。", "Blank."), "blank"))
    if entry.chome_from is not None and entry.chome_to is not None and entry.chome_to < entry.chome_from:
        problems.append(
            FieldProblem(
                f"addresses[{j}].chome_to",
                Text("丁目の範囲が逆です。", "The 丁目 range ends before it starts."),
                "backwards",
            )
        )
    line = (entry.town_key, entry.chome_from, entry.chome_to, entry.district)
    if line in lines:
        problems.append(
            FieldProblem(
                f"addresses[{j}]",
                Text(
                    f"addresses[{lines[line]}] と同じ行です。", f"The same line as addresses[{lines[line]}]."
                ),
                "duplicate_line",
            )
        )
    else:
        lines[line] = j
    return problems
