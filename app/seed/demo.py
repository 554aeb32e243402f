"""Demonstration data, generated and written in bulk.

Two scales:

- `kukar` (the default): Kukar's 237 cooperatives, one per village, with a plausible spread of
  legal stages, their officers, business units and legal events;
- `national`: one such cooperative for every village in the loaded region data (83,762 with
  the full Kemendagri list), plus the office's daily work around them: about a million
  consultations with their topics and follow-ups, trainings per district with their funding
  steps, and each regency's training budget lines with the money those trainings hold.

Each village's records are drawn from a random generator seeded with the village's code, so a
village always gets the same records whichever others are loaded. Every cooperative it writes
is flagged `is_demo`, everything else carries `created_by = "system:demo"`, and it refuses to
run on a database that holds real records, so it can never mix invented records into an
office's register. Villages that already have a cooperative are left as they are. The whole
load is one transaction, recorded by one summary audit event (`demo.load`) rather than one
event per generated row.
"""

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from stdnum import luhn

from app.access.scope import code_in_region
from app.access.security import NikCipher
from app.core import bulk
from app.models.account import Role, UserAccount
from app.models.budget import BudgetLine, EntryKind
from app.models.cooperative import (
    BusinessUnit,
    Cooperative,
    LegalMilestone,
    OfficerBody,
    OfficerRole,
    mask_nik,
    sk_ahu_format,
)
from app.models.mentoring import (
    Channel,
    Consultation,
    ConsultationStatus,
    FollowUpStatus,
    Responsible,
    Topic,
    Training,
    TrainingStatus,
)
from app.models.region import Region, RegionLevel, ancestor_codes
from app.models.target import SkAhuTarget
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


DEMO_ACTOR = "system:demo"
# Villages drawn and written per round trip: large enough for multi-row INSERTs to pay off,
# small enough that a batch's rows stay a few megabytes.
BATCH_VILLAGES = 1_000
FISCAL_YEAR = 2025
_ACTIVITY_FROM = datetime(2025, 5, 1, tzinfo=UTC)
_ACTIVITY_DAYS = 210  # May to late November 2025
_TODAY = date(2025, 12, 1)  # follow-ups due before this are mostly done

_TOPIC_NOTES: dict[Topic, tuple[str, str]] = {
    Topic.legalitas: ("Menanyakan kelengkapan akta dan SK AHU", "Lengkapi dokumen pendirian"),
    Topic.business_plan: ("Menyusun rencana usaha gerai", "Mulai dari kebutuhan pokok warga"),
    Topic.simpan_pinjam: ("Aturan unit simpan pinjam", "Pisahkan pembukuan simpan pinjam"),
    Topic.bookkeeping: ("Pembukuan bulanan belum rapi", "Gunakan buku kas harian"),
    Topic.rat: ("Persiapan RAT pertama", "Siapkan laporan pengurus dan pengawas"),
    Topic.tax: ("Kewajiban pajak koperasi", "Daftarkan NPWP dan laporkan SPT"),
    Topic.permits: ("Perizinan usaha lewat OSS", "Ajukan NIB melalui OSS RBA"),
    Topic.financing: ("Pengajuan pembiayaan bank Himbara", "Siapkan proposal dan agunan"),
    Topic.outlet_warehouse: ("Lokasi gerai dan gudang", "Gunakan aset desa yang ada"),
    Topic.digital: ("Pengisian data SIMKOPDES", "Perbarui data anggota di SIMKOPDES"),
    Topic.other: ("Konsultasi umum", "Hubungi dinas bila perlu"),
}
_FOLLOW_UPS = [
    "Kirim salinan akta pendirian",
    "Lengkapi data anggota di SIMKOPDES",
    "Serahkan draf rencana usaha",
    "Kirim laporan keuangan triwulan",
    "Jadwalkan kunjungan lapangan berikutnya",
]
_CHANNEL_WEIGHTS = {
    Channel.walk_in: 35,
    Channel.phone: 30,
    Channel.field_visit: 20,
    Channel.online: 15,
}
_TRAININGS = [
    ("Pelatihan Pembukuan Koperasi", [Topic.bookkeeping], ["Buku kas", "Neraca sederhana"]),
    ("Bimtek Persiapan RAT", [Topic.rat], ["Laporan pengurus", "Tata tertib RAT"]),
    ("Pelatihan Manajemen Gerai Sembako", [Topic.business_plan, Topic.outlet_warehouse], []),
    ("Bimtek SIMKOPDES", [Topic.digital], ["Data anggota", "Laporan bulanan"]),
    ("Pelatihan Unit Simpan Pinjam", [Topic.simpan_pinjam, Topic.financing], []),
]
_TRAINING_STATUS_WEIGHTS = {
    TrainingStatus.waiting_for_budget: 35,
    TrainingStatus.funded: 20,
    TrainingStatus.scheduled: 15,
    TrainingStatus.held: 25,
    TrainingStatus.cancelled: 5,
}
_STEPS = [TrainingStatus.funded, TrainingStatus.scheduled, TrainingStatus.held]
_TRAINING_SUB_KEGIATAN = (
    "2.17.05.2.01.0001",
    "Peningkatan Pemahaman dan Pengetahuan Perkoperasian",
)
# (kode rekening, uraian); the first line funds the trainings.
_BUDGET_LINES = [
    ("5.1.02.02.12.0001", "Belanja Kursus Singkat/Pelatihan"),
    ("5.1.02.01.01.0052", "Belanja Makanan dan Minuman Rapat"),
    ("5.1.02.04.01.0001", "Belanja Perjalanan Dinas Biasa"),
]


class Scale(StrEnum):
    kukar = "kukar"
    national = "national"


# The region each scale covers ("" is every village loaded) and whether it adds the office's
# daily work (consultations, trainings, budget lines) around the cooperatives.
SCALE_REGION = {Scale.kukar: KUKAR, Scale.national: ""}
SCALE_ACTIVITY = {Scale.kukar: False, Scale.national: True}


class RealRecordsPresent(Exception):
    """The database holds records that are not demo data."""


@dataclass(frozen=True)
class DemoReport:
    created: int
    already_there: int
    rows: dict[str, int] = field(default_factory=dict)


@dataclass
class _Plan:
    """One village's records, drawn before the database hands out their ids."""

    cooperative: dict[str, Any]
    units: list[dict[str, Any]]
    events: list[dict[str, Any]]
    officers: list[dict[str, Any]]
    # (the consultation, its topics, its follow-ups)
    consultations: list[tuple[dict[str, Any], list[str], list[dict[str, Any]]]]


async def load_demo(
    session: AsyncSession,
    cipher: NikCipher,
    *,
    scale: Scale = Scale.kukar,
    region: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoReport:
    """Load the demo data of `scale`, for the villages in `region` (default: the scale's own);
    `progress(done, total)` hears how many villages are done."""
    region = SCALE_REGION[scale] if region is None else region
    activity = SCALE_ACTIVITY[scale]
    await _refuse_real_records(session, activity)
    villages = (
        await session.execute(
            select(col(Region.code), col(Region.name), col(Region.level))
            .where(
                col(Region.level).in_([RegionLevel.desa.value, RegionLevel.kelurahan.value]),
                *([code_in_region(Region.code, region)] if region else []),
            )
            .order_by(Region.code)
        )
    ).all()
    if not villages:
        where = f"under {region}" if region else "loaded"
        raise LookupError(f"no villages {where}; run `kopdes regions load` first")
    present = set(
        await session.scalars(
            select(col(Cooperative.village_code)).where(
                *([code_in_region(Cooperative.village_code, region)] if region else [])
            )
        )
    )
    rows: dict[str, int] = {}

    def count(table: str, written: Sequence[Any]) -> None:
        rows[table] = rows.get(table, 0) + len(written)

    created: list[tuple[int, str]] = []  # (cooperative id, village code)
    if progress:
        progress(0, len(villages))
    for start in range(0, len(villages), BATCH_VILLAGES):
        batch = villages[start : start + BATCH_VILLAGES]
        plans = [
            _draw(random.Random(f"{SEED}:{code}"), cipher, code, name, level, activity)
            for code, name, level in batch
            if code not in present
        ]
        ids = await bulk.cooperatives(session, [plan.cooperative for plan in plans])
        for cooperative_id, plan in zip(ids, plans, strict=True):
            created.append((cooperative_id, plan.cooperative["village_code"]))
            for row in (*plan.units, *plan.events, *plan.officers):
                row["cooperative_id"] = cooperative_id
            for consultation, _, _ in plan.consultations:
                consultation["cooperative_id"] = cooperative_id
        units = [row for plan in plans for row in plan.units]
        events = [row for plan in plans for row in plan.events]
        officers = [row for plan in plans for row in plan.officers]
        await bulk.business_units(session, units)
        await bulk.legal_events(session, events)
        await bulk.officers(session, officers)
        count("cooperative", ids)
        count("cooperative_business_unit", units)
        count("legal_event", events)
        count("officer", officers)
        drawn = [entry for plan in plans for entry in plan.consultations]
        consultation_ids = await bulk.consultations(session, [c for c, _, _ in drawn])
        topics, follow_ups = [], []
        for consultation_id, (_, its_topics, its_follow_ups) in zip(
            consultation_ids, drawn, strict=True
        ):
            topics += [{"consultation_id": consultation_id, "topic": t} for t in its_topics]
            for row in its_follow_ups:
                follow_ups.append({**row, "consultation_id": consultation_id})
        await bulk.consultation_topics(session, topics)
        await bulk.follow_ups(session, follow_ups)
        count("consultation", consultation_ids)
        count("consultation_topic", topics)
        count("follow_up", follow_ups)
        if progress:
            progress(start + len(batch), len(villages))
    if activity and created:
        for table, written in (await _load_trainings(session, created)).items():
            rows[table] = rows.get(table, 0) + written
    if await _add_june_target(session, region or "", len(created) + len(present)):
        rows["sk_ahu_target"] = 1
    await bulk.audit_events(
        session,
        [
            {
                "actor": DEMO_ACTOR,
                "role": "system",
                "action": "demo.load",
                "resource_type": "demo",
                "resource_id": None,
                "region_code": region,
                "request_id": None,
                "client_ip": None,
                "before": None,
                "after": {"scale": scale.value, "region": region, "rows": rows},
            }
        ],
    )
    await session.commit()
    return DemoReport(created=len(created), already_there=len(present), rows=rows)


async def _add_june_target(session: AsyncSession, region: str, cooperatives: int) -> bool:
    """The June 2025 push: every cooperative of the region a legal entity by June 30 (the
    morning table's chart draws it); False if the region already has a target then."""
    june = (date(2025, 6, 1), date(2025, 6, 30))
    existing = await session.scalar(
        select(SkAhuTarget).where(
            col(SkAhuTarget.region) == region,
            col(SkAhuTarget.starts_on) <= june[1],
            col(SkAhuTarget.ends_on) >= june[0],
        )
    )
    if existing is not None or cooperatives == 0:
        return False
    session.add(
        SkAhuTarget(
            region=region,
            starts_on=june[0],
            ends_on=june[1],
            target=cooperatives,
            note="Percepatan badan hukum Kopdes Merah Putih, 1-30 Juni 2025 (demo)",
            created_by=DEMO_ACTOR,
        )
    )
    return True


async def _refuse_real_records(session: AsyncSession, activity: bool) -> None:
    real = {
        "cooperatives": await session.scalar(
            select(func.count()).select_from(Cooperative).where(col(Cooperative.is_demo).is_(False))
        )
    }
    if activity:
        for name, model in (
            ("consultations", Consultation),
            ("trainings", Training),
            ("budget lines", BudgetLine),
        ):
            real[name] = await session.scalar(
                select(func.count()).select_from(model).where(col(model.created_by) != DEMO_ACTOR)
            )
    if any(real.values()):
        held = ", ".join(f"{n} real {name}" for name, n in real.items() if n)
        raise RealRecordsPresent(
            f"the database holds {held}; demo data is only for empty databases"
        )


def _draw(
    rng: random.Random,
    cipher: NikCipher,
    code: str,
    name: str,
    level: str,
    activity: bool,
) -> _Plan:
    province, regency, district = ancestor_codes(code)
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
    kind = "Desa" if level == RegionLevel.desa.value else "Kelurahan"
    sk_ahu = (
        f"AHU-{rng.randint(1, 99999):07d}.AH.01.29.TAHUN 2025"
        if LegalMilestone.sk_ahu_issued in reached
        else None
    )
    cooperative = {
        "name": f"Koperasi {kind} Merah Putih {name}",
        "village_code": code,
        "district_code": district,
        "regency_code": regency,
        "province_code": province,
        "kind": level,
        "is_joint": False,
        "members_male": rng.randint(9, 160),
        "members_female": rng.randint(6, 140),
        "is_active": LegalMilestone.operating in reached,
        "last_rat_year": None,
        "contact_phone": f"+62812{rng.randint(10_000_000, 99_999_999)}",
        "akta_number": str(rng.randint(1, 250)) if LegalMilestone.notary_deed in reached else None,
        "akta_date": dates.get(LegalMilestone.notary_deed),
        "notary_name": rng.choice(_NOTARIES) if LegalMilestone.notary_deed in reached else None,
        "sk_ahu_number": sk_ahu,
        "sk_ahu_date": dates.get(LegalMilestone.sk_ahu_issued),
        "sk_ahu_format": sk_ahu_format(sk_ahu).value if sk_ahu else None,
        "nik_koperasi": (
            f"{_digits(regency)}0{rng.randint(10**10, 10**11 - 1)}"
            if LegalMilestone.nik_koperasi in reached
            else None
        ),
        "nib": f"{rng.randint(10**12, 10**13 - 1)}" if LegalMilestone.nib in reached else None,
        "npwp": _npwp(rng) if LegalMilestone.npwp in reached else None,
        "business_units_other": None,
        "legal_stage": derive_stage(reached).value,
        "is_demo": True,
    }
    units = [
        {"unit": unit.value}
        for unit in rng.sample(
            [u for u in BusinessUnit if u is not BusinessUnit.lainnya], rng.randint(1, 4)
        )
    ]
    events = [
        {"milestone": m.value, "occurred_on": dates[m], "document_number": None, "note": None}
        for m in reached
    ]
    officers = [
        _officer(rng, cipher, district, OfficerBody.pengurus, role)
        for role in (OfficerRole.ketua, OfficerRole.sekretaris, OfficerRole.bendahara)
    ] + [_officer(rng, cipher, district, OfficerBody.pengawas, OfficerRole.ketua)]
    consultations = (
        _consultations(rng, cooperative, officers[0], [u["unit"] for u in units])
        if activity
        else []
    )
    return _Plan(cooperative, units, events, officers, consultations)


def _digits(code: str) -> str:
    return code.replace(".", "")


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
) -> dict[str, Any]:
    woman = rng.random() < 0.4
    born = date(1965, 1, 1) + timedelta(days=rng.randint(0, 365 * 35))
    # A NIK is the registering district, the birth date (day + 40 for women), then a serial.
    day = born.day + (40 if woman else 0)
    birth = f"{day:02d}{born.month:02d}{born.year % 100:02d}"
    nik = f"{_digits(district)}{birth}{rng.randint(1, 9999):04d}"
    return {
        "body": body.value,
        "role": role.value,
        "name": f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}",
        "phone": f"+62813{rng.randint(10_000_000, 99_999_999)}",
        "nik_ciphertext": cipher.encrypt(nik),
        "nik_masked": mask_nik(nik),
    }


def _consultations(
    rng: random.Random, cooperative: dict[str, Any], ketua: dict[str, Any], units: list[str]
) -> list[tuple[dict[str, Any], list[str], list[dict[str, Any]]]]:
    """About twelve consultations per cooperative between May and November 2025, with their
    topics and follow-ups (most of those due before December are done)."""
    drawn = []
    for _ in range(rng.randint(4, 20)):
        channel = rng.choices(list(_CHANNEL_WEIGHTS), weights=list(_CHANNEL_WEIGHTS.values()))[0]
        # Office hours, 08:00-16:00 WITA (UTC+8).
        occurred_at = _ACTIVITY_FROM + timedelta(
            days=rng.randint(0, _ACTIVITY_DAYS - 1), minutes=rng.randint(0, 8 * 60)
        )
        topics = rng.sample(list(Topic), rng.randint(1, 3))
        summary, advice = _TOPIC_NOTES[topics[0]]
        consultation = {
            "cooperative_id": None,
            "village_code": cooperative["village_code"],
            "district_code": cooperative["district_code"],
            "regency_code": cooperative["regency_code"],
            "province_code": cooperative["province_code"],
            "contact_name": ketua["name"],
            "contact_phone": ketua["phone"],
            "occurred_at": occurred_at,
            "duration_minutes": rng.choice((15, 30, 45, 60, 90, 120)),
            "channel": channel.value,
            "officer_id": None,
            "status": ConsultationStatus.held.value,
            "business_units": rng.sample(units, rng.randint(0, len(units))),
            "summary": summary,
            "advice": advice,
            "latitude": None,
            "longitude": None,
            "created_by": DEMO_ACTOR,
            "deleted_at": None,
            "deleted_by": None,
            "deleted_reason": None,
        }
        follow_ups = []
        for _ in range(rng.choices((0, 1, 2), weights=(55, 30, 15))[0]):
            due = occurred_at.date() + timedelta(days=rng.randint(7, 30))
            status = FollowUpStatus.open
            if due < _TODAY:
                status = rng.choices(
                    (FollowUpStatus.done, FollowUpStatus.cancelled, FollowUpStatus.open),
                    weights=(80, 5, 15),
                )[0]
            closed_on = (
                max(occurred_at.date(), due - timedelta(days=rng.randint(0, 5)))
                if status is not FollowUpStatus.open
                else None
            )
            follow_ups.append(
                {
                    "description": rng.choice(_FOLLOW_UPS),
                    "responsible": Responsible.cooperative.value,
                    "officer_id": None,
                    "due_date": due,
                    "status": status.value,
                    "outcome": "Sudah diserahkan" if status is FollowUpStatus.done else None,
                    "cancel_reason": (
                        "Tidak diperlukan lagi" if status is FollowUpStatus.cancelled else None
                    ),
                    "closed_on": closed_on,
                }
            )
        drawn.append((consultation, [t.value for t in topics], follow_ups))
    return drawn


async def _load_trainings(session: AsyncSession, created: list[tuple[int, str]]) -> dict[str, int]:
    """One or two trainings per district that got demo cooperatives, and each regency's
    budget lines for FISCAL_YEAR; the training line holds what its funded trainings cost.
    Regencies that already have demo budget lines are left as they are."""
    done = set(
        await session.scalars(
            select(col(BudgetLine.region_code)).where(
                col(BudgetLine.created_by) == DEMO_ACTOR, col(BudgetLine.fiscal_year) == FISCAL_YEAR
            )
        )
    )
    districts: dict[str, set[str]] = {}
    for _, village in created:
        _, regency, district = ancestor_codes(village)
        if regency not in done:
            districts.setdefault(regency, set()).add(district)
    names = dict(
        (
            await session.execute(
                select(col(Region.code), col(Region.name)).where(
                    col(Region.level).in_([RegionLevel.regency.value, RegionLevel.district.value])
                )
            )
        ).all()
    )
    lines: list[dict[str, Any]] = []
    # Per regency: its trainings and, per training, its funding steps.
    plans: list[list[tuple[dict[str, Any], list[tuple[TrainingStatus, date]]]]] = []
    for regency in sorted(districts):
        rng = random.Random(f"{SEED}:{regency}")
        planned = [
            _training(rng, district, names.get(district, district))
            for district in sorted(districts[regency])
            for _ in range(rng.randint(1, 2))
        ]
        committed = sum(t["estimated_cost"] for t, steps in planned if _holds_money(steps))
        skpd = f"Dinas Koperasi dan UKM {names.get(regency, regency)}"
        for number, (kode_rekening, name) in enumerate(_BUDGET_LINES):
            ceiling = (
                committed + rng.randint(5, 20) * 10_000_000
                if number == 0
                else rng.randint(5, 30) * 10_000_000
            )
            lines.append(
                {
                    "fiscal_year": FISCAL_YEAR,
                    "region_code": regency,
                    "skpd": skpd,
                    "sub_kegiatan_code": _TRAINING_SUB_KEGIATAN[0],
                    "sub_kegiatan_name": _TRAINING_SUB_KEGIATAN[1],
                    "kode_rekening": kode_rekening,
                    "name": name,
                    "original_ceiling": ceiling,
                    "created_by": DEMO_ACTOR,
                }
            )
        plans.append(planned)
    line_ids = await bulk.budget_lines(session, lines)
    trainings, all_steps = [], []
    for training_line, regency_trainings in zip(
        line_ids[:: len(_BUDGET_LINES)], plans, strict=True
    ):
        for training, steps in regency_trainings:
            funded = any(status is TrainingStatus.funded for status, _ in steps)
            trainings.append({**training, "budget_line_id": training_line if funded else None})
            all_steps.append(steps)
    training_ids = await bulk.trainings(session, trainings)
    transitions, entries = [], []
    for training_id, training, steps in zip(training_ids, trainings, all_steps, strict=True):
        previous = TrainingStatus.waiting_for_budget
        for status, day in steps:
            transitions.append(
                {
                    "training_id": training_id,
                    "from_status": previous.value,
                    "to_status": status.value,
                    "occurred_on": day,
                    "note": None,
                    "actor": DEMO_ACTOR,
                }
            )
            previous = status
        if _holds_money(steps):
            entries.append(
                {
                    "budget_line_id": training["budget_line_id"],
                    "kind": EntryKind.commit.value,
                    "amount": training["estimated_cost"],
                    "refocusing_id": None,
                    "training_id": training_id,
                }
            )
    await bulk.training_transitions(session, transitions)
    await bulk.budget_entries(session, entries)
    return {
        "budget_line": len(line_ids),
        "training": len(training_ids),
        "training_transition": len(transitions),
        "budget_entry": len(entries),
    }


def _holds_money(steps: list[tuple[TrainingStatus, date]]) -> bool:
    """Funded and not cancelled: its estimated cost is committed on its line."""
    statuses = {status for status, _ in steps}
    return TrainingStatus.funded in statuses and TrainingStatus.cancelled not in statuses


def _training(
    rng: random.Random, district: str, district_name: str
) -> tuple[dict[str, Any], list[tuple[TrainingStatus, date]]]:
    title, topics, modules = rng.choice(_TRAININGS)
    status = rng.choices(
        list(_TRAINING_STATUS_WEIGHTS), weights=list(_TRAINING_STATUS_WEIGHTS.values())
    )[0]
    start = date(2025, rng.randint(6, 11), rng.randint(1, 28))
    end = start + timedelta(days=rng.randint(0, 2))
    capacity = rng.randint(3, 8) * 10
    if status is TrainingStatus.cancelled:
        # Some were cancelled while waiting, some after their money was held.
        reached = _STEPS[: rng.randint(0, 2)]
    elif status is TrainingStatus.waiting_for_budget:
        reached = []
    else:
        reached = _STEPS[: _STEPS.index(status) + 1]
    days = {
        TrainingStatus.funded: start - timedelta(days=rng.randint(30, 60)),
        TrainingStatus.scheduled: start - timedelta(days=rng.randint(7, 20)),
        TrainingStatus.held: end,
    }
    steps = [(step, days[step]) for step in reached]
    if status is TrainingStatus.cancelled:
        steps.append((status, start - timedelta(days=rng.randint(1, 6))))
    dated = TrainingStatus.scheduled in reached or rng.random() < 0.5
    training = {
        "title": f"{title} Kecamatan {district_name}",
        "topics": [t.value for t in topics],
        "modules": modules,
        "venue": f"Aula Kantor Camat {district_name}",
        "region_code": district,
        "planned_start": start if dated else None,
        "planned_end": end if dated else None,
        "capacity": capacity,
        "estimated_cost": capacity * rng.randint(3, 9) * 100_000,
        "status": status.value,
        "created_by": DEMO_ACTOR,
    }
    return training, steps


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
            select(col(UserAccount.username)).where(col(UserAccount.username).in_(DEMO_ACCOUNTS))
        )
    )
    first_cooperative = await session.scalar(
        select(col(Cooperative.id))
        .where(col(Cooperative.regency_code) == regency, col(Cooperative.is_demo).is_(True))
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
