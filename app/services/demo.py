"""Demonstration data: Kukar's 237 cooperatives with a plausible spread of legal stages.

Every record it writes is flagged `is_demo`, and it refuses to run on a database that already
holds real cooperatives, so it can never mix invented records into an office's register.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum import luhn

from app.models.account import Role, UserAccount
from app.models.cooperative import (
    BusinessUnit,
    Cooperative,
    CooperativeBusinessUnit,
    LegalEvent,
    LegalMilestone,
    Officer,
    OfficerBody,
    OfficerRole,
    mask_nik,
    sk_ahu_format,
)
from app.models.region import Region, RegionLevel, ancestor_codes
from app.security import NikCipher
from app.services.accounts import create_account
from app.services.legal import derive_stage

KUKAR = "64.02"
SEED = 20250721

# Roughly how far Kukar's cooperatives had come by late 2025: nearly all legal entities,
# most still collecting their registrations, a handful operating (7 of 237 in Nov 2025).
_FURTHEST_MILESTONE_WEIGHTS: dict[LegalMilestone, int] = {
    LegalMilestone.founding_meeting: 4,
    LegalMilestone.notary_deed: 8,
    LegalMilestone.sk_ahu_requested: 15,
    LegalMilestone.sk_ahu_issued: 70,
    LegalMilestone.bank_account: 133,
    LegalMilestone.operating: 7,
}
_FIRST_NAMES = [
    "Ahmad",
    "Siti",
    "Budi",
    "Rina",
    "Muhammad",
    "Nur",
    "Agus",
    "Dewi",
    "Hendra",
    "Sri",
    "Rudi",
    "Yuliana",
    "Syahrani",
    "Aulia",
    "Fitri",
    "Joko",
    "Hasanah",
    "Iwan",
]
_LAST_NAMES = [
    "Saputra",
    "Wahyuni",
    "Rahman",
    "Lestari",
    "Hidayat",
    "Pratama",
    "Kusuma",
    "Nugroho",
    "Anwar",
    "Sari",
    "Hakim",
    "Fauzi",
]
_NOTARIES = [
    "Notaris Hj. Rahmawati, S.H., M.Kn.",
    "Notaris Andi Firmansyah, S.H., M.Kn.",
    "Notaris Ratna Dewi, S.H., M.Kn.",
]


class RealRecordsPresent(Exception):
    """The database holds cooperatives that are not demo data."""


@dataclass(frozen=True)
class DemoReport:
    created: int
    already_there: int


async def load_demo(
    session: AsyncSession, cipher: NikCipher, *, regency: str = KUKAR
) -> DemoReport:
    real = await session.scalar(
        select(func.count()).select_from(Cooperative).where(Cooperative.is_demo.is_(False))
    )
    if real:
        raise RealRecordsPresent(
            f"the database holds {real} real cooperatives; demo data is only for empty databases"
        )
    villages = list(
        await session.scalars(
            select(Region)
            .where(
                Region.code.startswith(regency + "."),
                Region.level.in_([RegionLevel.desa.value, RegionLevel.kelurahan.value]),
            )
            .order_by(Region.code)
        )
    )
    if not villages:
        raise LookupError(f"no villages under {regency}; run `kopdes regions load` first")
    present = set(
        await session.scalars(
            select(Cooperative.village_code).where(Cooperative.regency_code == regency)
        )
    )
    rng = random.Random(SEED)
    created = 0
    for village in villages:
        # Draw for every village, present or not, so each village always gets the same record.
        plan = _draw(rng, cipher, village)
        if village.code in present:
            continue
        cooperative, units, events, officers = plan
        session.add(cooperative)
        await session.flush()
        for row in (*units, *events, *officers):
            row.cooperative_id = cooperative.id
        session.add_all([*units, *events, *officers])
        created += 1
    await session.commit()
    return DemoReport(created=created, already_there=len(present))


def _draw(
    rng: random.Random, cipher: NikCipher, village: Region
) -> tuple[Cooperative, list[CooperativeBusinessUnit], list[LegalEvent], list[Officer]]:
    province, regency, district = ancestor_codes(village.code)
    milestones = list(LegalMilestone)
    furthest = rng.choices(
        list(_FURTHEST_MILESTONE_WEIGHTS), weights=list(_FURTHEST_MILESTONE_WEIGHTS.values())
    )[0]
    reached = milestones[: milestones.index(furthest) + 1]
    if furthest == LegalMilestone.bank_account:
        # The four registrations come in any order; many cooperatives still miss some.
        registrations = reached[-4:]
        reached = reached[:-4] + rng.sample(registrations, rng.randint(1, 4))
    dates = _dates(rng, reached)
    kind = "Desa" if village.level == RegionLevel.desa.value else "Kelurahan"
    sk_ahu = (
        f"AHU-{rng.randint(1, 99999):07d}.AH.01.29.TAHUN 2025"
        if LegalMilestone.sk_ahu_issued in reached
        else None
    )
    cooperative = Cooperative(
        name=f"Koperasi {kind} Merah Putih {village.name}",
        village_code=village.code,
        district_code=district,
        regency_code=regency,
        province_code=province,
        kind=village.level,
        members_male=rng.randint(9, 160),
        members_female=rng.randint(6, 140),
        is_active=LegalMilestone.operating in reached,
        contact_phone=f"+62812{rng.randint(10_000_000, 99_999_999)}",
        akta_number=str(rng.randint(1, 250)) if LegalMilestone.notary_deed in reached else None,
        akta_date=dates.get(LegalMilestone.notary_deed),
        notary_name=rng.choice(_NOTARIES) if LegalMilestone.notary_deed in reached else None,
        sk_ahu_number=sk_ahu,
        sk_ahu_date=dates.get(LegalMilestone.sk_ahu_issued),
        sk_ahu_format=sk_ahu_format(sk_ahu) if sk_ahu else None,
        nik_koperasi=(
            f"64020{rng.randint(10**10, 10**11 - 1)}"
            if LegalMilestone.nik_koperasi in reached
            else None
        ),
        nib=f"{rng.randint(10**12, 10**13 - 1)}" if LegalMilestone.nib in reached else None,
        npwp=_npwp(rng) if LegalMilestone.npwp in reached else None,
        legal_stage=derive_stage(reached).value,
        is_demo=True,
    )
    units = [
        CooperativeBusinessUnit(unit=unit.value)
        for unit in rng.sample(
            [u for u in BusinessUnit if u is not BusinessUnit.lainnya], rng.randint(1, 4)
        )
    ]
    events = [
        LegalEvent(milestone=m.value, occurred_on=dates[m], cooperative_id=0) for m in reached
    ]
    officers = [
        _officer(rng, cipher, district, OfficerBody.pengurus, role)
        for role in (OfficerRole.ketua, OfficerRole.sekretaris, OfficerRole.bendahara)
    ] + [_officer(rng, cipher, district, OfficerBody.pengawas, OfficerRole.ketua)]
    return cooperative, units, events, officers


def _dates(rng: random.Random, reached: list[LegalMilestone]) -> dict[LegalMilestone, date]:
    """Dates along the 2025 timeline: sosialisasi in April, musdesus by 28 May, and so on."""
    day = date(2025, 4, 7) + timedelta(days=rng.randint(0, 20))
    dates = {}
    for milestone in reached:
        dates[milestone] = day
        gap = {
            LegalMilestone.sosialisasi: (10, 30),
            LegalMilestone.musdesus: (0, 3),
            LegalMilestone.founding_meeting: (3, 14),
            LegalMilestone.notary_deed: (1, 7),
            LegalMilestone.sk_ahu_requested: (3, 25),
        }.get(milestone, (5, 60))
        day += timedelta(days=rng.randint(*gap))
    return dates


def _npwp(rng: random.Random) -> str:
    base = f"{rng.randint(10**7, 10**8 - 1)}"
    # A cooperative's 16-digit NPWP is 0 + its old 15 digits, which carry a Luhn check digit.
    return "0" + base + luhn.calc_check_digit(base) + f"{rng.randint(700, 799)}000"


def _officer(
    rng: random.Random, cipher: NikCipher, district: str, body: OfficerBody, role: OfficerRole
) -> Officer:
    woman = rng.random() < 0.4
    born = date(1965, 1, 1) + timedelta(days=rng.randint(0, 365 * 35))
    # A NIK is the registering district, the birth date (day + 40 for women), then a serial.
    day = born.day + (40 if woman else 0)
    birth = f"{day:02d}{born.month:02d}{born.year % 100:02d}"
    nik = f"6402{district[-2:]}{birth}{rng.randint(1, 9999):04d}"
    officer = Officer(
        cooperative_id=0,
        body=body.value,
        role=role.value,
        name=f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}",
        phone=f"+62813{rng.randint(10_000_000, 99_999_999)}",
    )
    officer.nik_ciphertext = cipher.encrypt(nik)
    officer.nik_masked = mask_nik(nik)
    return officer


DEMO_ACCOUNTS = {
    "demo-admin": Role.admin,
    "demo-officer": Role.officer,
    "demo-viewer": Role.viewer,
    "demo-cooperative": Role.cooperative,
}


async def load_demo_accounts(
    session: AsyncSession, password: str, *, regency: str = KUKAR
) -> list[str]:
    """One account per role, scoped to the demo regency; the cooperative account is bound to
    its first demo cooperative. Returns the usernames created (none on a second run)."""
    existing = set(
        await session.scalars(
            select(UserAccount.username).where(UserAccount.username.in_(DEMO_ACCOUNTS))
        )
    )
    first_cooperative = await session.scalar(
        select(Cooperative.id)
        .where(Cooperative.regency_code == regency, Cooperative.is_demo.is_(True))
        .order_by(Cooperative.village_code)
    )
    created = []
    for username, role in DEMO_ACCOUNTS.items():
        if username in existing:
            continue
        await create_account(
            session,
            username=username,
            password=password,
            role=role,
            region_scope=regency,
            cooperative_id=first_cooperative if role is Role.cooperative else None,
            is_demo=True,
        )
        created.append(username)
    return created
