"""Every main list filter is served by an index: PostgreSQL never reads the whole cooperative
or consultation table for them.

The plans are PostgreSQL's own choice on tens of thousands of generated rows with fresh
statistics, so a filter that loses its index shows up here as a sequential scan. The
benchmark (bench/bench_registry.py) checks the same on the national data set.
"""

import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.auth import Caller, user_principal
from app.cli import CLI_CALLER
from app.models.cooperative import BusinessUnit, CooperativeFilters, CooperativeSort, LegalStage
from app.models.mentoring import ConsultationFilters, Topic
from app.services import consultations, cooperatives, stats

WATCHED_TABLES = {"cooperative", "consultation"}
PAGE = 51

# 25 cooperatives in each of the test regions' ~1,000 villages and four consultations each:
# enough rows for the planner to prefer an index wherever one fits.
GENERATE = """
INSERT INTO cooperative (name, village_code, district_code, regency_code, province_code, kind,
    is_joint, members_male, members_female, is_active, legal_stage, is_demo, created_at,
    updated_at, change)
SELECT 'Koperasi ' || r.name || ' ' || n, r.code, substr(r.code, 1, 8), substr(r.code, 1, 5),
    substr(r.code, 1, 2), r.level, n > 1, 10 + n, 12 + n, n % 7 <> 0,
    (ARRAY['none', 'musdesus', 'founding_meeting', 'notary_deed', 'sk_ahu_issued',
           'operating'])[1 + (n + length(r.code)) % 6],
    true, now(), now(), (SELECT value FROM sync_clock) + row_number() OVER ()
FROM region r CROSS JOIN generate_series(1, 25) AS n
WHERE r.level IN ('desa', 'kelurahan');
UPDATE sync_clock SET value = (SELECT max(change) FROM cooperative);

INSERT INTO cooperative_business_unit (cooperative_id, unit)
SELECT id, (ARRAY['gerai_sembako', 'apotek_desa', 'simpan_pinjam', 'logistik'])[1 + id % 4]
FROM cooperative;

INSERT INTO consultation (cooperative_id, village_code, district_code, regency_code,
    province_code, occurred_at, channel, status, business_units, created_by, created_at,
    updated_at, change)
SELECT c.id, c.village_code, c.district_code, c.regency_code, c.province_code,
    now() - make_interval(days => n * 3), 'walk_in', 'open', '[]', 'user:plans', now(), now(),
    (SELECT value FROM sync_clock) + row_number() OVER ()
FROM cooperative c CROSS JOIN generate_series(1, 4) AS n;
UPDATE sync_clock SET value = (SELECT max(change) FROM consultation);

INSERT INTO consultation_topic (consultation_id, topic)
SELECT id, (ARRAY['legalitas', 'bookkeeping', 'business_plan'])[1 + id % 3]
FROM consultation;

-- What autovacuum does after a bulk load: GIN indexes first park new rows in a pending list.
SELECT gin_clean_pending_list('ix_cooperative_name_trigram'::regclass);
ANALYZE cooperative; ANALYZE cooperative_business_unit; ANALYZE consultation;
ANALYZE consultation_topic;
"""

# The command line's caller: a national administrator.
NATIONAL_ADMIN = CLI_CALLER
KUKAR_OFFICER = Caller(
    user_principal({"sub": 2, "name": "plans-officer", "role": "officer", "scope": "64.02"}),
    None,
    None,
)

COOPERATIVE_LISTS = {
    "province": (CooperativeFilters(region="64"), CooperativeSort.village_code),
    "regency": (CooperativeFilters(region="64.02"), CooperativeSort.village_code),
    "district": (CooperativeFilters(region="64.02.12"), CooperativeSort.village_code),
    "legal stage in a regency": (
        CooperativeFilters(region="64.02", legal_stage=LegalStage.notary_deed),
        CooperativeSort.village_code,
    ),
    "business unit": (
        CooperativeFilters(business_unit=BusinessUnit.apotek_desa),
        CooperativeSort.village_code,
    ),
    "name search": (CooperativeFilters(q="tabang"), CooperativeSort.village_code),
    "by name": (CooperativeFilters(), CooperativeSort.name),
    "inactive": (CooperativeFilters(active=False), CooperativeSort.village_code),
}

CONSULTATION_LISTS = {
    "everything, newest first": ConsultationFilters(),
    "province": ConsultationFilters(region="64"),
    "regency": ConsultationFilters(region="64.02"),
    "district": ConsultationFilters(region="64.02.12"),
    "one cooperative": ConsultationFilters(cooperative_id=1000),
    "topic": ConsultationFilters(topic=Topic.bookkeeping),
    "an officer's": ConsultationFilters(officer="2"),
    "date range": ConsultationFilters(date_from=date(2026, 1, 1), date_to=date(2026, 1, 31)),
}


def sequential_scans(plan: dict[str, Any], watched: set[str] = WATCHED_TABLES) -> list[str]:
    found = []
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in watched:
        found.append(plan["Relation Name"])
    for child in plan.get("Plans", []):
        found += sequential_scans(child, watched)
    return found


async def explain(session: AsyncSession, query: Any) -> dict[str, Any]:
    sql = query.compile(
        dialect=postgresql.asyncpg.dialect(), compile_kwargs={"literal_binds": True}
    )
    rows = await session.execute(text(f"EXPLAIN (FORMAT JSON) {sql}"))
    plan = rows.scalar_one()
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


@pytest.fixture
def plans(client, in_app_session):
    if client.app.state.engine.dialect.name != "postgresql":
        pytest.skip("query plans are PostgreSQL's")

    async def generate(session: AsyncSession) -> None:
        await session.execute(text("SET LOCAL statement_timeout = 0"))  # a bulk load, not a request
        for statement in GENERATE.split(";"):
            if statement.strip():
                await session.execute(text(statement))
        await session.commit()

    in_app_session(generate)

    def plan_of(query: Any) -> dict[str, Any]:
        return in_app_session(lambda session: explain(session, query))

    return plan_of


def test_cooperative_lists_use_indexes(plans):
    scanned = {}
    for name, (filters, sort) in COOPERATIVE_LISTS.items():
        for caller in (NATIONAL_ADMIN, KUKAR_OFFICER):
            statement, values = cooperatives.page_query(caller, filters, sort, PAGE)
            if found := sequential_scans(plan := plans(statement.params(values))):
                scanned[f"{name} as {caller.principal.name}"] = (found, plan)
    assert not scanned, json.dumps(scanned, indent=1)[:4000]


def test_consultation_lists_use_indexes(plans):
    scanned = {}
    for name, filters in CONSULTATION_LISTS.items():
        for caller in (NATIONAL_ADMIN, KUKAR_OFFICER):
            query = consultations.page_query(caller, filters, PAGE)
            if found := sequential_scans(plan := plans(query)):
                scanned[f"{name} as {caller.principal.name}"] = (found, plan)
    assert not scanned, json.dumps(scanned, indent=1)[:4000]


# Most consultations held, and a follow-up for each, some open: the mentoring figures' inputs.
# Every table the figures read is analyzed here, so that the plans never depend on statistics
# that earlier tests left behind.
MENTORING_DATA = """
UPDATE consultation SET status = 'held' WHERE id % 4 <> 0;

INSERT INTO follow_up (consultation_id, description, responsible, due_date, status, created_at,
    updated_at, change)
SELECT id, 'Kirim templat RAT', 'officer', current_date + (id % 60) - 30,
    (ARRAY['open', 'done', 'cancelled'])[1 + id % 3], now(), now(),
    (SELECT value FROM sync_clock) + row_number() OVER ()
FROM consultation;
UPDATE sync_clock SET value = (SELECT max(change) FROM follow_up);

ANALYZE cooperative; ANALYZE consultation; ANALYZE consultation_topic; ANALYZE follow_up;
"""
MENTORING_TABLES = {"cooperative", "consultation", "consultation_topic", "follow_up"}


def test_mentoring_figures_use_indexes(plans, in_app_session):
    """Each of a district's figures reads that district's rows through an index, never a whole
    table: on the national data a seq scan of the two million topics or 600,000 follow-ups took
    the regency's figures past the statement timeout."""

    async def generate(session: AsyncSession) -> None:
        await session.execute(text("SET LOCAL statement_timeout = 0"))
        for statement in MENTORING_DATA.split(";"):
            if statement.strip():
                await session.execute(text(statement))
        await session.commit()

    in_app_session(generate)
    today = date.today()
    scanned = {}
    for caller in (NATIONAL_ADMIN, KUKAR_OFFICER):
        for region in ("64.02.12", "64.02.06"):
            queries = stats.mentoring_queries(
                caller,
                region=region,
                date_from=today - timedelta(days=30),
                date_to=today,
                no_contact_days=90,
                today=today,
                dialect="postgresql",
            )
            for name, query in queries.items():
                found = sequential_scans(plan := plans(query), MENTORING_TABLES)
                if found:
                    scanned[f"{name} in {region} as {caller.principal.name}"] = (found, plan)
    assert not scanned, json.dumps(scanned, indent=1)[:4000]
