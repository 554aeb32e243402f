"""Budget lines and refocusing (pergeseran anggaran): a ledger in which no rupiah is lost,
invented or spent twice.

A line's current ceiling, committed amount and what is still available are never stored: they
are sums over `budget_entry`, an append-only ledger. Each applied movement writes one entry out
of a line and one into another; funding a training writes a commitment, cancelling it a release.
"""

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, StrictInt
from pydantic import Field as PydanticField
from sqlalchemy import BigInteger, CheckConstraint, Column, Date, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from app.models.common import (
    AROUND,
    INPUT_CONFIG,
    LongText,
    Name,
    Omittable,
    PastDate,
    ShortText,
    Text,
    UTCDateTime,
    utcnow,
)
from app.models.region import RegionCode

# The DPA's codes, as the document states them (with the white space around that input text
# loses) and as they are checked.
SUB_KEGIATAN_PATTERN = (
    f"^{AROUND}[0-9]\\.[0-9]{{2}}\\.[0-9]{{2}}\\.[0-9]\\.[0-9]{{2}}\\.[0-9]{{4}}{AROUND}$"
)
KODE_REKENING_PATTERN = (
    f"^{AROUND}[0-9]\\.[0-9]\\.[0-9]{{2}}\\.[0-9]{{2}}\\.[0-9]{{2}}\\.[0-9]{{4}}{AROUND}$"
)


def _pattern(pattern: str, example: str):
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if not regex.match(value):
            raise ValueError(f"must look like {example}")
        return value

    return check


SubKegiatanCode = Annotated[
    Text,
    PydanticField(
        max_length=20,
        examples=["2.17.05.2.01.0001"],
        json_schema_extra={"pattern": SUB_KEGIATAN_PATTERN},
    ),
    AfterValidator(_pattern(SUB_KEGIATAN_PATTERN, "2.17.05.2.01.0001")),
]
KodeRekening = Annotated[
    Text,
    PydanticField(
        max_length=20,
        examples=["5.1.02.02.01.0026"],
        json_schema_extra={"pattern": KODE_REKENING_PATTERN},
    ),
    AfterValidator(_pattern(KODE_REKENING_PATTERN, "5.1.02.02.01.0026")),
]
FiscalYear = Annotated[StrictInt, PydanticField(ge=2000, le=2100)]
Rupiah = Annotated[StrictInt, PydanticField(ge=0, le=10**15, description="Integer rupiah.")]
PositiveRupiah = Annotated[StrictInt, PydanticField(ge=1, le=10**15, description="Integer rupiah.")]


class EntryKind(StrEnum):
    shift_in = "shift_in"  # a refocusing moved money into the line
    shift_out = "shift_out"  # ... or out of it
    commit = "commit"  # a training (or other activity) was funded from it
    release = "release"  # that commitment was released (the training was cancelled)


class RefocusingStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    applied = "applied"


class DocumentType(StrEnum):
    pergeseran = "pergeseran"  # a shift by Perkada on the APBD breakdown (DPA -> DPPA)
    perubahan_apbd = "perubahan_apbd"  # the yearly budget amendment (Perda Perubahan APBD)


# --- tables ----------------------------------------------------------------------------------


class BudgetLine(SQLModel, table=True):
    __tablename__ = "budget_line"
    __table_args__ = (
        Index(
            "uq_budget_line_code",
            "fiscal_year",
            "region_code",
            "sub_kegiatan_code",
            "kode_rekening",
            unique=True,
        ),
        CheckConstraint("original_ceiling >= 0", name="original_ceiling_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    fiscal_year: int = Field(index=True)
    # The office whose budget it is; scopes who may see and move it.
    region_code: str = Field(sa_type=String(13), foreign_key="region.code")
    skpd: str = Field(sa_type=String(200))
    sub_kegiatan_code: str = Field(sa_type=String(20))
    sub_kegiatan_name: str = Field(sa_type=String(300))
    kode_rekening: str = Field(sa_type=String(20))
    name: str = Field(sa_type=String(300))
    original_ceiling: int = Field(sa_type=BigInteger)
    created_by: str = Field(sa_type=String(100))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BudgetEntry(SQLModel, table=True):
    """One signed change to a line's ceiling or commitments. Never updated or deleted."""

    __tablename__ = "budget_entry"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        # Covers the sums a line's amounts are derived from (index-only on PostgreSQL).
        Index("ix_budget_entry_line_amounts", "budget_line_id", "kind", "amount"),
    )

    id: int | None = Field(default=None, primary_key=True)
    budget_line_id: int = Field(
        sa_column=Column(Integer, ForeignKey("budget_line.id"), nullable=False)
    )
    kind: str = Field(sa_type=String(20))
    amount: int = Field(sa_type=BigInteger)
    refocusing_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("refocusing.id"), index=True)
    )
    training_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("training.id"), index=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Refocusing(SQLModel, table=True):
    __tablename__ = "refocusing"

    id: int | None = Field(default=None, primary_key=True)
    fiscal_year: int
    region_code: str = Field(sa_type=String(13), foreign_key="region.code", index=True)
    reason: str = Field(sa_type=String(4000))
    legal_basis: str = Field(sa_type=String(500))
    document_type: str = Field(sa_type=String(20))
    document_number: str = Field(sa_type=String(200))
    document_date: date = Field(sa_type=Date)
    status: str = Field(default=RefocusingStatus.draft, sa_type=String(20))
    # A reversal is a refocusing of its own that undoes an applied one, at most once.
    reverses_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("refocusing.id"), unique=True)
    )
    version: int = Field(default=1)
    created_by: str = Field(sa_type=String(100))
    submitted_by: str | None = Field(default=None, sa_type=String(100))
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approved_by: str | None = Field(default=None, sa_type=String(100))
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    applied_by: str | None = Field(default=None, sa_type=String(100))
    applied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RefocusingMovement(SQLModel, table=True):
    __tablename__ = "refocusing_movement"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("from_line_id <> to_line_id", name="two_different_lines"),
    )

    id: int | None = Field(default=None, primary_key=True)
    refocusing_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("refocusing.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    from_line_id: int = Field(
        sa_column=Column(Integer, ForeignKey("budget_line.id"), nullable=False)
    )
    to_line_id: int = Field(sa_column=Column(Integer, ForeignKey("budget_line.id"), nullable=False))
    amount: int = Field(sa_type=BigInteger)


class RefocusingTraining(SQLModel, table=True):
    """The activities a refocusing unblocks (trainings waiting for budget)."""

    __tablename__ = "refocusing_training"

    refocusing_id: int = Field(
        sa_column=Column(Integer, ForeignKey("refocusing.id", ondelete="CASCADE"), primary_key=True)
    )
    training_id: int = Field(
        sa_column=Column(Integer, ForeignKey("training.id", ondelete="CASCADE"), primary_key=True)
    )


# --- API schemas ---------------------------------------------------------------------------


class BudgetLineCreate(BaseModel):
    model_config = INPUT_CONFIG

    fiscal_year: FiscalYear
    region_code: RegionCode = PydanticField(description="The office whose budget it is.")
    skpd: ShortText = PydanticField(examples=["Dinas Koperasi dan UKM Kab. Kutai Kartanegara"])
    sub_kegiatan_code: SubKegiatanCode
    sub_kegiatan_name: ShortText
    kode_rekening: KodeRekening
    name: Name
    original_ceiling: Rupiah = PydanticField(description="Pagu awal, integer rupiah.")


class BudgetLinePublic(BaseModel):
    id: int
    fiscal_year: int
    region_code: str
    skpd: str
    sub_kegiatan_code: str
    sub_kegiatan_name: str
    kode_rekening: str
    name: str
    original_ceiling: int
    shifted_in: int = PydanticField(description="Pergeseran (+): moved in by applied refocusings.")
    shifted_out: int = PydanticField(description="Pergeseran (-): moved out.")
    current_ceiling: int = PydanticField(description="Original + in - out (anggaran akhir).")
    committed: int = PydanticField(description="Held for funded trainings and activities.")
    available: int = PydanticField(description="Current ceiling - committed.")
    created_by: str
    created_at: datetime


class MovementIn(BaseModel):
    model_config = INPUT_CONFIG

    from_line_id: Annotated[StrictInt, PydanticField(ge=1, le=2**31 - 1)]
    to_line_id: Annotated[StrictInt, PydanticField(ge=1, le=2**31 - 1)]
    amount: PositiveRupiah


class RefocusingCreate(BaseModel):
    model_config = INPUT_CONFIG

    fiscal_year: FiscalYear
    region_code: RegionCode
    reason: LongText
    legal_basis: ShortText = PydanticField(examples=["Inpres 1/2025; Perbup Kukar 12/2025"])
    document_type: DocumentType
    document_number: ShortText
    document_date: PastDate
    movements: list[MovementIn] = PydanticField(min_length=1, max_length=100)
    unblocks_training_ids: list[Annotated[StrictInt, PydanticField(ge=1, le=2**31 - 1)]] = (
        PydanticField(default_factory=list, max_length=100)
    )


class RefocusingUpdate(BaseModel):
    """A draft's fields; anything sent replaces what is there (movements as a whole)."""

    model_config = INPUT_CONFIG

    reason: Omittable[LongText] = None
    legal_basis: Omittable[ShortText] = None
    document_type: Omittable[DocumentType] = None
    document_number: Omittable[ShortText] = None
    document_date: Omittable[PastDate] = None
    movements: Omittable[
        Annotated[list[MovementIn], PydanticField(min_length=1, max_length=100)]
    ] = None
    unblocks_training_ids: list[Annotated[StrictInt, PydanticField(ge=1, le=2**31 - 1)]] | None = (
        PydanticField(default=None, max_length=100)
    )


class MovementPublic(BaseModel):
    id: int
    from_line_id: int
    to_line_id: int
    amount: int


class RefocusingPublic(BaseModel):
    id: int
    fiscal_year: int
    region_code: str
    reason: str
    legal_basis: str
    document_type: DocumentType
    document_number: str
    document_date: date
    status: RefocusingStatus
    reverses_id: int | None
    reversed_by_id: int | None
    movements: list[MovementPublic]
    total_moved: int
    unblocks_training_ids: list[int]
    version: int
    created_by: str
    submitted_by: str | None
    submitted_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    applied_by: str | None
    applied_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ReversalCreate(BaseModel):
    model_config = INPUT_CONFIG

    reason: LongText
    legal_basis: ShortText
    document_type: DocumentType
    document_number: ShortText
    document_date: PastDate


class BudgetSummaryLine(BaseModel):
    id: int
    sub_kegiatan_code: str
    kode_rekening: str
    name: str
    original_ceiling: int
    shifted_in: int
    shifted_out: int
    current_ceiling: int
    committed: int
    available: int


class BudgetSummary(BaseModel):
    fiscal_year: int
    lines: list[BudgetSummaryLine]
    totals: BudgetSummaryLine
