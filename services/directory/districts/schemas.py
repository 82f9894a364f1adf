"""What the district gazetteer API accepts and returns."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.directory.districts import names
from services.directory.districts.rules import DistrictKind
from shared.errors import BilingualValueError
from shared.text import normalize_kana_reading

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Chome = Annotated[int, Field(ge=1, le=99)]
# 「共栄台西12丁目」「柏寿台一丁目」: a town written with its 丁目.
_TOWN_WITH_CHOME = re.compile(r"^(?P<town>.+?)(?P<chome>[0-9〇一二三四五六七八九十百]+)丁目$")


def _kana(value: str) -> str:
    reading = normalize_kana_reading(value)
    if reading is None:
        raise BilingualValueError("読みはひらがな・カタカナで入力してください。", "The reading must be kana.")
    return reading


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DistrictIn(_Input):
    kind: DistrictKind = Field(
        description="junior_high_district 中学校区, elementary_district 小学校区, district 地区・地域"
    )
    name: Name = Field(examples=["音更中学校区"])
    reading: Annotated[str, StringConstraints(max_length=200), AfterValidator(_kana)] | None = None


class AddressEntryIn(_Input):
    """A town (町名・大字・字) as addresses write it, or some of its 丁目, and the district it lies in."""

    town: Name = Field(examples=["柏寿台", "共栄台西12丁目", "大字下音更"])
    chome_from: Chome | None = Field(default=None, description="first 丁目 of the line; none: the whole town")
    chome_to: Chome | None = Field(default=None, description="last 丁目; none: only chome_from")
    partial: bool = Field(default=False, description="only part of it lies in the district (一部)")
    district: Name = Field(description="the name of one of the districts", examples=["音更中学校区"])
    note: Annotated[str, StringConstraints(max_length=200)] | None = None

    @model_validator(mode="after")
    def _town_with_chome(self) -> AddressEntryIn:
        """「柏寿台1丁目」 is town 柏寿台, 丁目 1; 「〜3丁目」 alone starts at 1."""
        match = _TOWN_WITH_CHOME.match(unicodedata.normalize("NFKC", self.town))
        if match is not None:
            if self.chome_from is not None or self.chome_to is not None:
                raise BilingualValueError(
                    "town: 丁目は町名か chome_from・chome_to のどちらか一方に書いてください。",
                    "town: give the 丁目 in the town or in chome_from/chome_to, not both.",
                )
            chome = int(names.fold_place(match["chome"]))
            if not 1 <= chome <= 99:
                raise BilingualValueError("town: 丁目は 1〜99 です。", "town: a 丁目 is 1 to 99.")
            self.town, self.chome_from = match["town"], chome
        elif self.chome_to is not None and self.chome_from is None:
            self.chome_from = 1
        return self


class GazetteerIn(_Input):
    """地区・学区の台帳 of the caller's municipality, replaced as a whole."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "municipality": "音更町",
                    "districts": [
                        {"kind": "junior_high_district", "name": "音更中学校区"},
                        {"kind": "junior_high_district", "name": "共栄中学校区"},
                    ],
                    "addresses": [
                        {"town": "柏寿台", "district": "音更中学校区"},
                        {"town": "共栄台西", "chome_from": 1, "chome_to": 10, "district": "共栄中学校区"},
                    ],
                }
            ]
        }
    )

    municipality: Name | None = Field(
        default=None,
        description="the municipality's own name: stripped from addresses, and accepted as a whole-area name",
        examples=["音更町"],
    )
    districts: list[DistrictIn] = Field(default_factory=list, max_length=500)
    addresses: list[AddressEntryIn] = Field(default_factory=list, max_length=5000)


class DistrictOut(BaseModel):
    kind: str
    name: str
    reading: str | None


class AddressEntryOut(BaseModel):
    town: str
    chome_from: int | None
    chome_to: int | None
    partial: bool
    district: str
    note: str | None


class GazetteerOut(BaseModel):
    tenant_id: str
    municipality: str | None
    version: int = Field(description="0 while the municipality has no gazetteer")
    etag: str
    source: str | None = Field(description="where it was transcribed from, for loaded reference data")
    updated_at: datetime | None
    updated_by: str | None
    districts: list[DistrictOut]
    addresses: list[AddressEntryOut]


class LocationOut(BaseModel):
    """The districts an address lies in. Empty when its town is not in the address table."""

    address: str
    town: str | None = Field(description="the town of the address table it was read as")
    chome: int | None
    districts: list[DistrictOut]
    ambiguous: bool = Field(
        description="the table cannot settle it (a town split between districts, or partly in one): "
        "`districts` holds every candidate"
    )
