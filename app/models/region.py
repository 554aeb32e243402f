"""Kemendagri regions: province > regency > district > desa/kelurahan."""

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from app.models.common import UTCDateTime

# A village's own four digits start with 1 for a kelurahan, 2 for a desa and 3 for a desa adat
# (14 of them, in Papua: 91.03.01.3007 Desa Adat Yoboi).
# Every code, identifier and number a client sends is matched with [0-9]: a pattern's \d takes
# the digits of any script (Arabic-Indic ٦٤ too), which no code holds.
REGION_CODE_PATTERN = r"^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[123][0-9]{3})?)?)?$"
VILLAGE_CODE_PATTERN = r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[123][0-9]{3}$"
_REGION_CODE_RE = re.compile(REGION_CODE_PATTERN)

RegionCode = Annotated[
    str,
    PydanticField(
        pattern=REGION_CODE_PATTERN,
        description="Kemendagri code: `64`, `64.02`, `64.02.12` or `64.02.12.2001`.",
        examples=["64.02"],
    ),
]


class RegionLevel(StrEnum):
    province = "province"
    regency = "regency"
    district = "district"
    desa = "desa"
    kelurahan = "kelurahan"


class VillageKind(StrEnum):
    desa = "desa"
    kelurahan = "kelurahan"


def ancestor_codes(code: str) -> list[str]:
    """`64.02.12.2001` -> [`64`, `64.02`, `64.02.12`] (outermost first)."""
    parts = code.split(".")
    return [".".join(parts[:depth]) for depth in range(1, len(parts))]


def is_region_code(code: str) -> bool:
    return bool(_REGION_CODE_RE.match(code))


class Region(SQLModel, table=True):
    __tablename__ = "region"
    __table_args__ = (
        # The walk-in desk finds a village by any part of its name, among 83,762: only a
        # trigram index serves that (PostgreSQL); a scan took 50 ms.
        Index(
            "ix_region_name_trigram",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    code: str = Field(primary_key=True, sa_type=String(13))
    name: str = Field(sa_type=String(120))
    level: str = Field(sa_type=String(10), index=True)
    parent_code: str | None = Field(
        default=None, sa_type=String(13), foreign_key="region.code", index=True
    )


class ReferenceDataset(SQLModel, table=True):
    """Which version of a reference file is loaded, so operators can tell after a new decree."""

    __tablename__ = "reference_dataset"

    name: str = Field(primary_key=True, sa_type=String(60))
    version: str = Field(sa_type=String(200))
    row_count: int
    loaded_at: datetime = Field(sa_type=UTCDateTime)


class RegionPublic(BaseModel):
    code: str
    name: str
    level: RegionLevel
    parent_code: str | None


class RegionDetail(RegionPublic):
    ancestors: list[RegionPublic] = PydanticField(description="Outermost (province) first.")
