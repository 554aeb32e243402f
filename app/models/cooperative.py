"""The cooperatives registry: identity, identifiers, business units, officers, legal pipeline."""

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, text
from sqlmodel import Field, SQLModel
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.id import nik as stdnum_nik
from stdnum.id import npwp as stdnum_npwp

from app.models.common import (
    AROUND,
    EARLIEST_DATE,
    INPUT_CONFIG,
    LATEST_DATE,
    WHITE_SPACE,
    Count,
    Flag,
    LongText,
    Name,
    Omittable,
    PastDate,
    Phone,
    ShortText,
    Text,
    UTCDateTime,
    utcnow,
)
from app.models.region import REGION_CODE_PATTERN, VILLAGE_CODE_PATTERN, VillageKind
from app.models.sync import Change, Synced


class BusinessUnit(StrEnum):
    """Business units named by Inpres 9/2025, plus local ones under `lainnya`."""

    kantor_koperasi = "kantor_koperasi"
    gerai_sembako = "gerai_sembako"
    simpan_pinjam = "simpan_pinjam"
    klinik_desa = "klinik_desa"
    apotek_desa = "apotek_desa"
    cold_storage_pergudangan = "cold_storage_pergudangan"
    logistik = "logistik"
    lainnya = "lainnya"


class LegalMilestone(StrEnum):
    sosialisasi = "sosialisasi"
    musdesus = "musdesus"
    founding_meeting = "founding_meeting"
    notary_deed = "notary_deed"
    sk_ahu_requested = "sk_ahu_requested"
    sk_ahu_issued = "sk_ahu_issued"
    nik_koperasi = "nik_koperasi"
    npwp = "npwp"
    nib = "nib"
    bank_account = "bank_account"
    operating = "operating"


class LegalStage(StrEnum):
    """Where a cooperative stands: the furthest milestone it has reached, in pipeline order."""

    none = "none"
    sosialisasi = "sosialisasi"
    musdesus = "musdesus"
    founding_meeting = "founding_meeting"
    notary_deed = "notary_deed"
    sk_ahu_requested = "sk_ahu_requested"
    sk_ahu_issued = "sk_ahu_issued"
    registration = "registration"
    operating = "operating"


# NIK koperasi, NPWP, NIB and the bank account are one stage, reached in any order.
STAGE_OF_MILESTONE: dict[LegalMilestone, LegalStage] = {
    LegalMilestone.sosialisasi: LegalStage.sosialisasi,
    LegalMilestone.musdesus: LegalStage.musdesus,
    LegalMilestone.founding_meeting: LegalStage.founding_meeting,
    LegalMilestone.notary_deed: LegalStage.notary_deed,
    LegalMilestone.sk_ahu_requested: LegalStage.sk_ahu_requested,
    LegalMilestone.sk_ahu_issued: LegalStage.sk_ahu_issued,
    LegalMilestone.nik_koperasi: LegalStage.registration,
    LegalMilestone.npwp: LegalStage.registration,
    LegalMilestone.nib: LegalStage.registration,
    LegalMilestone.bank_account: LegalStage.registration,
    LegalMilestone.operating: LegalStage.operating,
}
STAGE_ORDER: list[LegalStage] = list(LegalStage)


class SkAhuFormat(StrEnum):
    modern = "modern"
    legacy = "legacy"


class OfficerBody(StrEnum):
    pengurus = "pengurus"
    pengawas = "pengawas"


class OfficerRole(StrEnum):
    ketua = "ketua"
    wakil_ketua = "wakil_ketua"
    wakil_ketua_bidang_anggota = "wakil_ketua_bidang_anggota"
    wakil_ketua_bidang_usaha = "wakil_ketua_bidang_usaha"
    sekretaris = "sekretaris"
    bendahara = "bendahara"
    anggota = "anggota"


PENGAWAS_ROLES = {OfficerRole.ketua, OfficerRole.anggota}

# --- identifier validation -------------------------------------------------------------------

SK_AHU_MODERN_RE = re.compile(r"^AHU-[0-9]{7}\.AH\.01\.[0-9]{2}\.TAHUN [0-9]{4}$")


def sk_ahu_format(number: str) -> SkAhuFormat:
    return SkAhuFormat.modern if SK_AHU_MODERN_RE.match(number) else SkAhuFormat.legacy


def _normalise_sk_ahu(value: str) -> str:
    collapsed = " ".join(value.split())
    upper = collapsed.upper()
    # Keep older free-text numbers as typed; only tidy numbers that are the modern format.
    return upper if SK_AHU_MODERN_RE.match(upper) else collapsed


def _digits(value: str) -> str:
    return re.sub(r"[\s.\-/]", "", value)


def _npwp(value: str) -> str:
    try:
        compact = stdnum_npwp.validate(value)
    except InvalidLength:
        raise ValueError("an NPWP has 16 digits, or 15 in the old form; count them again") from None
    except InvalidChecksum:
        raise ValueError(
            "the NPWP's check digit does not match; check the digits against the card"
        ) from None
    except StdnumError:
        raise ValueError(
            "not a valid NPWP; give the 16 digits on the card, or the old 15"
        ) from None
    # Organisations carry their old 15-digit number behind a leading 0 in the 16-digit scheme.
    return compact if len(compact) == 16 else "0" + compact


def _nib(value: str) -> str:
    digits = _digits(value)
    if not re.fullmatch(r"[0-9]{13}", digits):
        raise ValueError("NIB is 13 digits, as issued by OSS")
    return digits


def _nik_koperasi(value: str) -> str:
    digits = _digits(value)
    if not re.fullmatch(r"[0-9]{10,20}", digits):
        raise ValueError("NIK koperasi is the number on the ODS certificate: 10 to 20 digits")
    return digits


def _person_nik(value: str) -> str:
    try:
        return stdnum_nik.validate(value)
    except InvalidLength:
        raise ValueError("a NIK has 16 digits; count the digits on the KTP again") from None
    except InvalidComponent:
        raise ValueError(
            "the NIK's region or birth date part is not possible; check it against the KTP"
        ) from None
    except StdnumError:
        raise ValueError("not a valid NIK; give the 16 digits on the KTP") from None


def mask_nik(nik: str) -> str:
    return nik[:4] + "*" * 8 + nik[-4:]


# The identifiers' forms as the document states them: the digits, with the separators (and the
# white space around) that their checks drop. The checks add what a pattern cannot say: the NIK's
# birth date and region, the NPWP's check digit.
NPWP_PATTERN = f"^{AROUND}[ .-]*([0-9][ .-]*){{15,16}}{AROUND}$"
NIB_PATTERN = f"^[{WHITE_SPACE}./-]*([0-9][{WHITE_SPACE}./-]*){{13}}$"
NIK_KOPERASI_PATTERN = f"^[{WHITE_SPACE}./-]*([0-9][{WHITE_SPACE}./-]*){{10,20}}$"
PERSON_NIK_PATTERN = f"^{AROUND}[ .-]*([0-9][ .-]*){{16}}{AROUND}$"


def _identifier(pattern: str) -> Any:
    return PydanticField(max_length=30, json_schema_extra={"pattern": pattern})


Npwp = Annotated[Text, _identifier(NPWP_PATTERN), AfterValidator(_npwp)]
Nib = Annotated[Text, _identifier(NIB_PATTERN), AfterValidator(_nib)]
NikKoperasi = Annotated[Text, _identifier(NIK_KOPERASI_PATTERN), AfterValidator(_nik_koperasi)]
SkAhuNumber = Annotated[
    Text,
    PydanticField(min_length=3, max_length=120, examples=["AHU-0025573.AH.01.29.TAHUN 2025"]),
    AfterValidator(_normalise_sk_ahu),
]
PersonNik = Annotated[
    Text,
    PydanticField(max_length=20, json_schema_extra={"pattern": PERSON_NIK_PATTERN}),
    AfterValidator(_person_nik),
]
VillageCode = Annotated[
    str,
    PydanticField(
        pattern=VILLAGE_CODE_PATTERN,
        description="Kemendagri code of a desa or kelurahan.",
        examples=["64.02.12.2001"],
    ),
]
RatYear = Annotated[int, PydanticField(ge=EARLIEST_DATE.year, le=LATEST_DATE.year, strict=True)]

# --- tables ----------------------------------------------------------------------------------


class Cooperative(Synced, table=True):
    __tablename__ = "cooperative"
    __table_args__ = (
        # One cooperative per village, unless the office marks it as a joint cooperative.
        Index(
            "uq_cooperative_village_single",
            "village_code",
            unique=True,
            postgresql_where=text("NOT is_joint"),
            sqlite_where=text("NOT is_joint"),
        ),
        # Region filters list a region's cooperatives in village order: one index per level.
        Index("ix_cooperative_province_order", "province_code", "village_code", "id"),
        Index("ix_cooperative_regency_order", "regency_code", "village_code", "id"),
        Index("ix_cooperative_district_order", "district_code", "village_code", "id"),
        Index("ix_cooperative_village_order", "village_code", "id"),
        Index("ix_cooperative_updated", "updated_at", "id"),
        Index("ix_cooperative_name_order", "name", "id"),
        # `q` finds a part of the name anywhere: only a trigram index serves that (PostgreSQL).
        Index(
            "ix_cooperative_name_trigram",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        # Deleted ids are never handed out again (SQLite would reuse the highest one): a
        # syncing client's tombstone or queued edit must not land on another cooperative.
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(200))
    village_code: str = Field(sa_type=String(13), foreign_key="region.code")
    district_code: str = Field(sa_type=String(8))
    regency_code: str = Field(sa_type=String(5))
    province_code: str = Field(sa_type=String(2))
    kind: str = Field(sa_type=String(10))
    is_joint: bool = Field(default=False, sa_type=Boolean)
    members_male: int = Field(default=0)
    members_female: int = Field(default=0)
    is_active: bool = Field(default=False, sa_type=Boolean)
    last_rat_year: int | None = None
    contact_phone: str | None = Field(default=None, sa_type=String(20))
    akta_number: str | None = Field(default=None, sa_type=String(100))
    akta_date: date | None = Field(default=None, sa_type=Date)
    notary_name: str | None = Field(default=None, sa_type=String(200))
    sk_ahu_number: str | None = Field(default=None, sa_type=String(120))
    sk_ahu_date: date | None = Field(default=None, sa_type=Date)
    sk_ahu_format: str | None = Field(default=None, sa_type=String(10))
    nik_koperasi: str | None = Field(default=None, sa_type=String(20))
    nib: str | None = Field(default=None, sa_type=String(13))
    npwp: str | None = Field(default=None, sa_type=String(16))
    business_units_other: str | None = Field(default=None, sa_type=String(500))
    legal_stage: str = Field(default=LegalStage.none, sa_type=String(20), index=True)
    is_demo: bool = Field(default=False, sa_type=Boolean)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CooperativeBusinessUnit(SQLModel, table=True):
    __tablename__ = "cooperative_business_unit"
    __table_args__ = (Index("ix_cooperative_business_unit_unit", "unit", "cooperative_id"),)

    cooperative_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("cooperative.id", ondelete="CASCADE"), primary_key=True
        )
    )
    unit: str = Field(sa_type=String(30), primary_key=True)


class LegalEvent(SQLModel, table=True):
    __tablename__ = "legal_event"
    __table_args__ = (
        Index("uq_legal_event_milestone", "cooperative_id", "milestone", unique=True),
        # The SK AHU issued per day of a target's period, and this week's (app/services).
        Index("ix_legal_event_milestone_day", "milestone", "occurred_on", "cooperative_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(
        sa_column=Column(Integer, ForeignKey("cooperative.id", ondelete="CASCADE"), nullable=False)
    )
    milestone: str = Field(sa_type=String(20))
    occurred_on: date = Field(sa_type=Date)
    document_number: str | None = Field(default=None, sa_type=String(120))
    note: str | None = Field(default=None, sa_type=String(1000))
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Officer(Synced, table=True):
    __tablename__ = "officer"
    __table_args__ = {"sqlite_autoincrement": True}  # as for cooperatives

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("cooperative.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    body: str = Field(sa_type=String(10))
    role: str = Field(sa_type=String(30))
    name: str = Field(sa_type=String(200))
    phone: str | None = Field(default=None, sa_type=String(20))
    # Encrypted at rest (UU 27/2022); only the gated, audited NIK endpoint decrypts it.
    nik_ciphertext: str | None = Field(default=None, sa_type=String(200))
    nik_masked: str | None = Field(default=None, sa_type=String(16))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- API schemas ---------------------------------------------------------------------------


class CooperativeCreate(BaseModel):
    model_config = INPUT_CONFIG

    name: Name
    village_code: VillageCode
    is_joint: Flag = PydanticField(
        default=False,
        description="A joint cooperative may share its village with another cooperative.",
    )
    business_units: list[BusinessUnit] = PydanticField(default_factory=list, max_length=8)
    business_units_other: ShortText | None = None
    members_male: Count = 0
    members_female: Count = 0
    is_active: Flag = False
    last_rat_year: RatYear | None = None
    contact_phone: Phone | None = None
    akta_number: ShortText | None = None
    akta_date: PastDate | None = None
    notary_name: Name | None = None
    sk_ahu_number: SkAhuNumber | None = None
    sk_ahu_date: PastDate | None = None
    nik_koperasi: NikKoperasi | None = None
    nib: Nib | None = None
    npwp: Npwp | None = None


class CooperativeUpdate(BaseModel):
    """Only the fields sent are changed; `null` clears an optional field."""

    model_config = INPUT_CONFIG

    name: Omittable[Name] = None
    business_units: Omittable[Annotated[list[BusinessUnit], PydanticField(max_length=8)]] = None
    business_units_other: ShortText | None = None
    members_male: Omittable[Count] = None
    members_female: Omittable[Count] = None
    is_active: Omittable[Flag] = None
    last_rat_year: RatYear | None = None
    contact_phone: Phone | None = None
    akta_number: ShortText | None = None
    akta_date: PastDate | None = None
    notary_name: Name | None = None
    sk_ahu_number: SkAhuNumber | None = None
    sk_ahu_date: PastDate | None = None
    nik_koperasi: NikKoperasi | None = None
    nib: Nib | None = None
    npwp: Npwp | None = None


def _split_units(value: object) -> object:
    # The registry's queries aggregate the units into one comma-joined string per row.
    if isinstance(value, str):
        return sorted(value.split(",")) if value else []
    return [] if value is None else value


class CooperativePublic(BaseModel):
    id: int
    name: str
    village_code: str
    district_code: str
    regency_code: str
    province_code: str
    kind: VillageKind
    is_joint: bool
    business_units: Annotated[list[BusinessUnit], BeforeValidator(_split_units)]
    business_units_other: str | None
    members_male: int
    members_female: int
    members_total: int
    is_active: bool
    last_rat_year: int | None
    contact_phone: str | None
    akta_number: str | None
    akta_date: date | None
    notary_name: str | None
    sk_ahu_number: str | None
    sk_ahu_date: date | None
    sk_ahu_format: SkAhuFormat | None = PydanticField(
        description="`legacy` flags an SK AHU number in an older, free-text format."
    )
    nik_koperasi: str | None
    nib: str | None
    npwp: str | None
    legal_stage: LegalStage
    is_demo: bool = PydanticField(description="True for generated demonstration records.")
    created_at: datetime
    updated_at: datetime
    change: Change


class CooperativeFilters(BaseModel):
    """What the cooperative list and its export filter by: one model, so they cannot differ."""

    model_config = ConfigDict(frozen=True)

    region: str | None = PydanticField(
        None,
        pattern=REGION_CODE_PATTERN,
        description="Any ancestor code: `64.02` is all of Kukar, `64.02.12` is Tabang.",
    )
    legal_stage: LegalStage | None = None
    kind: VillageKind | None = None
    active: bool | None = None
    business_unit: BusinessUnit | None = None
    q: str | None = PydanticField(
        None, min_length=1, max_length=100, description="Part of the name, any case."
    )


class CooperativeSort(StrEnum):
    village_code = "village_code"
    name = "name"
    updated_at = "updated_at"
    updated_at_desc = "-updated_at"


class LegalEventCreate(BaseModel):
    model_config = INPUT_CONFIG

    milestone: LegalMilestone
    occurred_on: PastDate = PydanticField(description="The date it happened; never in the future.")
    document_number: ShortText | None = None
    note: LongText | None = None


class LegalEventPublic(BaseModel):
    id: int
    milestone: LegalMilestone
    stage: LegalStage
    occurred_on: date
    document_number: str | None
    note: str | None
    recorded_at: datetime


class LegalEventRecorded(BaseModel):
    event: LegalEventPublic
    legal_stage: LegalStage = PydanticField(description="The cooperative's stage after this event.")
    warnings: list[str] = PydanticField(
        description="Out-of-order or late records are kept, with a warning for each oddity."
    )


class LegalHistory(BaseModel):
    cooperative_id: int
    legal_stage: LegalStage
    events: list[LegalEventPublic] = PydanticField(description="In pipeline order.")


class OfficerCreate(BaseModel):
    model_config = INPUT_CONFIG

    body: OfficerBody
    role: OfficerRole
    name: Name
    phone: Phone | None = None
    nik: PersonNik | None = None


class OfficerUpdate(BaseModel):
    model_config = INPUT_CONFIG

    role: Omittable[OfficerRole] = None
    name: Omittable[Name] = None
    phone: Phone | None = None
    nik: PersonNik | None = None


class OfficerPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # built from an `Officer` row

    id: int
    cooperative_id: int
    body: OfficerBody
    role: OfficerRole
    name: str
    phone: str | None
    nik_masked: str | None = PydanticField(
        description="The NIK with its middle eight digits hidden, e.g. `6402********0001`."
    )
    created_at: datetime
    updated_at: datetime
    change: Change


class OfficerNik(BaseModel):
    officer_id: int
    nik: str = PydanticField(description="The full NIK. Every read of it is audited.")


class StageCounts(BaseModel):
    code: str
    name: str
    level: str
    total: int
    stages: dict[LegalStage, int]


class LegalProgress(BaseModel):
    region: str | None
    rows: list[StageCounts]
    totals: dict[LegalStage, int]
