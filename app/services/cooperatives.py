"""The cooperatives registry: create, read, list, update and delete cooperatives."""

from datetime import UTC, datetime
from functools import cache
from typing import Any, cast

from pydantic import TypeAdapter
from sqlalchemy import (
    BindParameter,
    Integer,
    Select,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import col

from app.access.auth import Caller, LoginChecks
from app.access.scope import (
    check_in_caller_scope,
    cooperative_condition,
    cooperative_region_values,
    cooperative_scope_values,
    sees_cooperative,
)
from app.core.db import own_session, read_rows
from app.core.sql import LIKE_ESCAPE, contains_pattern
from app.errors import N_, Conflict, Forbidden, Invalid, NotFound
from app.http import sync_feed
from app.http.conditional import require_if_match
from app.http.idempotency import Writer
from app.http.pagination import CursorCodec, PageParams, cut_page
from app.http.sync_feed import SyncPage
from app.models.account import Role
from app.models.common import mask_phone, table_of, utcnow
from app.models.cooperative import (
    BusinessUnit,
    Cooperative,
    CooperativeBusinessUnit,
    CooperativeCreate,
    CooperativeFilters,
    CooperativePublic,
    CooperativeSort,
    CooperativeUpdate,
    Officer,
    OfficerPublic,
    sk_ahu_format,
)
from app.models.mentoring import Consultation, Training, TrainingInvitation
from app.models.region import Region, RegionLevel, ancestor_codes
from app.models.sync import DeletedRecord, RecordKind
from app.services import accounts, audit

_VILLAGE_LEVELS = {RegionLevel.desa.value, RegionLevel.kelurahan.value}
# What a cooperative's own account may change about itself; the rest is the office's to record.
COOPERATIVE_EDITABLE = frozenset(
    {
        "contact_phone",
        "members_male",
        "members_female",
        "business_units",
        "business_units_other",
        "last_rat_year",
    }
)
# Roles that see phone numbers masked (UU 27/2022: no more personal data than the task needs).
PHONE_MASKED_ROLES = frozenset({Role.viewer, Role.integration, Role.coordinator})

_COLUMNS = table_of(Cooperative).c
BUSINESS_UNITS = (
    # The separator as SQL text: as a string SQLAlchemy would make it a parameter rendered
    # into the text at each execution, which `read_rows` compiles only once.
    select(
        func.aggregate_strings(
            col(CooperativeBusinessUnit.unit),
            literal_column("','"),  # type: ignore[arg-type]  # typed as str, taken as SQL too
        )
    )
    .where(col(CooperativeBusinessUnit.cooperative_id) == _COLUMNS.id)
    .correlate(table_of(Cooperative))
    .scalar_subquery()
    .label("business_units")
)


_MEMBERS_TOTAL = (_COLUMNS.members_male + _COLUMNS.members_female).label("members_total")
# One validation call for a whole page, of plain dicts: per-row calls, and row mappings, cost
# more than the validation itself.
_PUBLIC_LIST = TypeAdapter(list[CooperativePublic])


def _public_select() -> Select[Any]:
    return select(*_COLUMNS, BUSINESS_UNITS, _MEMBERS_TOTAL)


def _orm_to_public(cooperative: Cooperative, units: set[str]) -> CooperativePublic:
    row = {column.name: getattr(cooperative, column.name) for column in _COLUMNS}
    return CooperativePublic.model_validate(
        {
            **row,
            "business_units": sorted(units),
            "members_total": cooperative.members_male + cooperative.members_female,
        }
    )


def present(caller: Caller, cooperative: CooperativePublic) -> CooperativePublic:
    """The cooperative as this caller may see it."""
    if caller.role in PHONE_MASKED_ROLES and cooperative.contact_phone:
        return cooperative.model_copy(
            update={"contact_phone": mask_phone(cooperative.contact_phone)}
        )
    return cooperative


# The conditions a cooperative query can have, by name; the region and scope ones are
# `app.access.scope`'s. `value` is the parameter: unset in the statements built once per shape
# (its name is the condition's), or bound to a value.
def _condition(name: str, value: BindParameter[Any]) -> Any:
    scoped = cooperative_condition(name, value)
    if scoped is not None:
        return scoped
    if name == "stage":
        return _COLUMNS.legal_stage == value
    if name == "kind":
        return _COLUMNS.kind == value
    if name == "active":
        return _COLUMNS.is_active == value
    if name == "unit":
        return _COLUMNS.id.in_(
            select(col(CooperativeBusinessUnit.cooperative_id)).where(
                col(CooperativeBusinessUnit.unit) == value
            )
        )
    if name == "q":
        return _COLUMNS.name.ilike(value, escape=LIKE_ESCAPE)
    raise ValueError(f"no cooperative condition {name!r}")


def _unbound(names: tuple[str, ...]) -> list[Any]:
    return [_condition(name, bindparam(name)) for name in names]


def _filter_values(filters: CooperativeFilters) -> dict[str, Any]:
    values: dict[str, Any] = cooperative_region_values(filters.region)
    if filters.legal_stage is not None:
        values["stage"] = filters.legal_stage.value
    if filters.kind is not None:
        values["kind"] = filters.kind.value
    if filters.active is not None:
        values["active"] = filters.active
    if filters.business_unit is not None:
        values["unit"] = filters.business_unit.value
    if filters.q:
        values["q"] = contains_pattern(filters.q)
    return values


def _bound(values: dict[str, Any]) -> list[Any]:
    return [_condition(name, bindparam(name, value, unique=True)) for name, value in values.items()]


def filter_conditions(filters: CooperativeFilters) -> list[Any]:
    return _bound(_filter_values(filters))


def visible_to(caller: Caller) -> list[Any]:
    """Conditions limiting cooperatives to those that exist for this caller (BOLA)."""
    return _bound(cooperative_scope_values(caller))


@cache
def single_statement(conditions: tuple[str, ...]) -> Select[Any]:
    """One cooperative by its `id`, under the named conditions (see `read_rows`)."""
    return _public_select().where(_COLUMNS.id == bindparam("id"), *_unbound(conditions))


def single_query(caller: Caller, cooperative_id: int) -> tuple[Select[Any], dict[str, Any]]:
    values = cooperative_scope_values(caller)
    return single_statement(tuple(values)), {**values, "id": cooperative_id}


async def get_cooperative(
    reader: AsyncEngine, caller: Caller, cooperative_id: int
) -> CooperativePublic:
    rows = await read_rows(reader, *single_query(caller, cooperative_id))
    if not rows:
        raise NotFound(
            "cooperative {cooperative_id} does not exist", params={"cooperative_id": cooperative_id}
        )
    return present(caller, CooperativePublic.model_validate(rows[0]))


async def require_cooperative(
    session: AsyncSession, caller: Caller, cooperative_id: int
) -> Cooperative:
    """The cooperative, if it exists for this caller; records outside their reach are a 404."""
    return _found(caller, cooperative_id, await session.get(Cooperative, cooperative_id))


async def lock_cooperative(writer: Writer, cooperative_id: int) -> Cooperative:
    """The cooperative, if it exists for the writer's caller, locked until the transaction
    ends: concurrent writes that derive something from it (its legal stage, its business
    units) apply one after another, and it cannot be removed under a write that names it."""
    cooperative = await writer.lock(Cooperative, cooperative_id)
    return _found(writer.caller, cooperative_id, cooperative)


def _found(caller: Caller, cooperative_id: int, cooperative: Cooperative | None) -> Cooperative:
    if cooperative is None or not sees_cooperative(caller, cooperative):
        raise NotFound(
            "cooperative {cooperative_id} does not exist", params={"cooperative_id": cooperative_id}
        )
    return cooperative


async def _units(session: AsyncSession, cooperative_id: int) -> set[str]:
    return set(
        await session.scalars(
            select(col(CooperativeBusinessUnit.unit)).where(
                col(CooperativeBusinessUnit.cooperative_id) == cooperative_id
            )
        )
    )


_SORT_KEYS = {
    CooperativeSort.village_code: (_COLUMNS.village_code, False),
    CooperativeSort.name: (_COLUMNS.name, False),
    CooperativeSort.updated_at: (_COLUMNS.updated_at, False),
    CooperativeSort.updated_at_desc: (_COLUMNS.updated_at, True),
}


@cache
def page_statement(conditions: tuple[str, ...], sort: CooperativeSort, after: bool) -> Select[Any]:
    """A page of cooperatives under the named conditions, in `sort` order: `limit` rows, after
    the keyset position (`after_key`, `after_id`) when `after`."""
    key, descending = _SORT_KEYS[sort]
    query = _public_select().where(*_unbound(conditions))
    if after:
        position = tuple_(key, _COLUMNS.id)
        start = tuple_(bindparam("after_key", type_=key.type), bindparam("after_id", type_=Integer))
        query = query.where(position < start if descending else position > start)
    order = (key.desc(), _COLUMNS.id.desc()) if descending else (key, _COLUMNS.id)
    return query.order_by(*order).limit(bindparam("limit", type_=Integer))


def page_query(
    caller: Caller,
    filters: CooperativeFilters,
    sort: CooperativeSort,
    limit: int,
    after: list[Any] | None = None,
) -> tuple[Select[Any], dict[str, Any]]:
    """The statement and values of a page: rows after the keyset position `after`
    ([sort key, id]) in `sort` order."""
    values = {**_filter_values(filters), **cooperative_scope_values(caller)}
    statement = page_statement(tuple(values), sort, after is not None)
    values["limit"] = limit
    if after is not None:
        after_key, values["after_id"] = after
        if _SORT_KEYS[sort][0] is _COLUMNS.updated_at:
            after_key = datetime.fromisoformat(after_key)
        values["after_key"] = after_key
    return statement, values


@cache
def count_statement(conditions: tuple[str, ...]) -> Select[Any]:
    return select(func.count().label("count")).select_from(Cooperative).where(*_unbound(conditions))


async def list_cooperatives(
    reader: AsyncEngine,
    caller: Caller,
    codec: CursorCodec,
    page: PageParams,
    *,
    filters: CooperativeFilters,
    sort: CooperativeSort | None,
    updated_since: int | None,
) -> SyncPage[CooperativePublic]:
    if updated_since is not None:
        sync_feed.refuse_sort(sort)
        async with own_session(reader) as session:
            found = await sync_feed.changes_page(
                session,
                _public_select().where(*filter_conditions(filters), *visible_to(caller)),
                _COLUMNS.change,
                since=updated_since,
                codec=codec,
                page=page,
                scope={"filters": filters.model_dump(mode="json")},
                removed=sync_feed.tombstones(RecordKind.cooperative, caller, region=filters.region),
                scalars=False,
            )
        rows = _PUBLIC_LIST.validate_python([dict(row._mapping) for row in found.rows])
        return found.page([present(caller, row) for row in rows])
    sort = sort or CooperativeSort.village_code
    scope = {"filters": filters.model_dump(mode="json"), "sort": sort.value}
    after = codec.decode(page.cursor, scope) if page.cursor else None
    rows = _PUBLIC_LIST.validate_python(
        await read_rows(reader, *page_query(caller, filters, sort, page.page_size + 1, after))
    )
    key_name = _SORT_KEYS[sort][0].name

    def position(item: CooperativePublic) -> list[Any]:
        key = getattr(item, key_name)
        return [key.isoformat() if isinstance(key, datetime) else key, item.id]

    items, next_cursor = cut_page(
        [present(caller, row) for row in rows], page, codec, scope, position
    )
    total = None
    if page.total:
        values = {**_filter_values(filters), **cooperative_scope_values(caller)}
        counted = await read_rows(reader, count_statement(tuple(values)), values)
        total = counted[0]["count"]
    return SyncPage(items=items, next_cursor=next_cursor, total=total)


def record_problems(
    *,
    business_units: list[BusinessUnit],
    business_units_other: str | None,
    last_rat_year: int | None,
) -> list[tuple[str, str]]:
    """(field, message) for each rule a cooperative's record breaks beyond its fields' own."""
    problems = []
    if BusinessUnit.lainnya in business_units and not business_units_other:
        problems.append(
            (
                "business_units_other",
                N_("describe the 'lainnya' business units, e.g. 'agen LPG 3 kg, BRILink'"),
            )
        )
    if last_rat_year is not None and last_rat_year > datetime.now(UTC).year:
        problems.append(("last_rat_year", N_("the RAT year cannot be in the future")))
    return problems


def _check_record_rules(
    *,
    business_units: list[BusinessUnit],
    business_units_other: str | None,
    last_rat_year: int | None,
) -> None:
    problems = record_problems(
        business_units=business_units,
        business_units_other=business_units_other,
        last_rat_year=last_rat_year,
    )
    if problems:
        field, message = problems[0]
        raise Invalid.field(["body", field], message)


async def _existing_single_in_village(session: AsyncSession, village_code: str) -> int | None:
    return await session.scalar(
        select(col(Cooperative.id)).where(
            col(Cooperative.village_code) == village_code, col(Cooperative.is_joint).is_(False)
        )
    )


def _duplicate(village_code: str, existing_id: int) -> Conflict:
    return Conflict(
        "village {village_code} already has cooperative {existing_id}; mark the new one as a joint"
        " cooperative (is_joint) if both are real",
        existing_id=existing_id,
        params={"village_code": village_code, "existing_id": existing_id},
    )


async def create_cooperative(writer: Writer, data: CooperativeCreate) -> CooperativePublic:
    session, caller = writer.session, writer.caller
    village = await session.get(Region, data.village_code)
    if village is None or village.level not in _VILLAGE_LEVELS:
        raise Invalid.field(
            ["body", "village_code"],
            "{village_code} is not a desa or kelurahan in the loaded Kemendagri list",
            params={"village_code": data.village_code},
        )
    check_in_caller_scope(caller, village.code, ["body", "village_code"])
    _check_record_rules(
        business_units=data.business_units,
        business_units_other=data.business_units_other,
        last_rat_year=data.last_rat_year,
    )
    if not data.is_joint:
        existing = await _existing_single_in_village(session, data.village_code)
        if existing is not None:
            raise _duplicate(data.village_code, existing)

    province, regency, district = ancestor_codes(data.village_code)
    fields = data.model_dump(exclude={"business_units"})
    cooperative = Cooperative(
        **fields,
        kind=village.level,
        province_code=province,
        regency_code=regency,
        district_code=district,
        sk_ahu_format=sk_ahu_format(data.sk_ahu_number) if data.sk_ahu_number else None,
    )
    session.add(cooperative)
    units = {unit.value for unit in data.business_units}
    try:
        await session.flush()
        assert cooperative.id is not None  # flushed
        session.add_all(
            CooperativeBusinessUnit(cooperative_id=cooperative.id, unit=unit) for unit in units
        )
        created = _orm_to_public(cooperative, units)
        audit.record(
            session,
            caller,
            action="cooperative.create",
            resource_type="cooperative",
            resource_id=cooperative.id,
            region_code=cooperative.village_code,
            after=created,
        )
        await writer.record(present(caller, created))
        await writer.commit()
    except IntegrityError:
        # Two offices creating the same village's cooperative at once: the index decides.
        await session.rollback()
        existing = await _existing_single_in_village(session, data.village_code)
        if existing is None:
            raise
        raise _duplicate(data.village_code, existing) from None
    return present(caller, created)


async def update_cooperative(
    writer: Writer,
    cooperative_id: int,
    patch: CooperativeUpdate,
    *,
    if_match: str | None,
) -> CooperativePublic:
    session, caller = writer.session, writer.caller
    cooperative = await lock_cooperative(writer, cooperative_id)
    current_units = await _units(session, cooperative_id)
    before = _orm_to_public(cooperative, current_units)
    changes = patch.model_dump(exclude_unset=True)
    if caller.role is Role.cooperative and not changes.keys() <= COOPERATIVE_EDITABLE:
        refused = ", ".join(sorted(changes.keys() - COOPERATIVE_EDITABLE))
        raise Forbidden(
            "a cooperative account may change only {editable}; ask the office to change {refused}",
            params={"editable": ", ".join(sorted(COOPERATIVE_EDITABLE)), "refused": refused},
        )
    require_if_match(if_match, present(caller, before), "cooperative")
    units = {str(unit) for unit in changes.pop("business_units", current_units)}
    _check_record_rules(
        business_units=[BusinessUnit(u) for u in units],
        business_units_other=changes.get("business_units_other", cooperative.business_units_other),
        last_rat_year=changes.get("last_rat_year"),
    )
    cooperative.sqlmodel_update(changes)
    if "sk_ahu_number" in changes:
        number = changes["sk_ahu_number"]
        cooperative.sk_ahu_format = sk_ahu_format(number) if number else None
    cooperative.updated_at = utcnow()
    if units != current_units:
        await session.execute(
            delete(CooperativeBusinessUnit).where(
                col(CooperativeBusinessUnit.cooperative_id) == cooperative_id
            )
        )
        session.add_all(
            CooperativeBusinessUnit(cooperative_id=cooperative_id, unit=unit) for unit in units
        )
    await session.flush()  # stamps the change number the answer shows
    updated = _orm_to_public(cooperative, units)
    audit.record(
        session,
        caller,
        action="cooperative.update",
        resource_type="cooperative",
        resource_id=cooperative_id,
        region_code=cooperative.village_code,
        before=before,
        after=updated,
    )
    await writer.commit()
    return present(caller, updated)


async def delete_cooperative(
    writer: Writer,
    logins: LoginChecks,
    cooperative_id: int,
    *,
    if_match: str | None,
) -> None:
    session, caller = writer.session, writer.caller
    cooperative = await lock_cooperative(writer, cooperative_id)
    before = _orm_to_public(cooperative, await _units(session, cooperative_id))
    require_if_match(if_match, present(caller, before), "cooperative")
    await _record_removal(session, caller, cooperative)
    disabled = await accounts.disable_accounts_bound_to(session, caller, cooperative_id)
    # Officers, business units and legal events go with it (ON DELETE CASCADE).
    await session.execute(delete(Cooperative).where(col(Cooperative.id) == cooperative_id))
    audit.record(
        session,
        caller,
        action="cooperative.delete",
        resource_type="cooperative",
        resource_id=cooperative_id,
        region_code=before.village_code,
        before=before,
    )
    await writer.commit()
    for user_id in disabled:
        logins.forget(user_id)


async def _record_removal(session: AsyncSession, caller: Caller, cooperative: Cooperative) -> None:
    """What the cooperative's removal leaves behind, besides its own audit event: tombstones for
    syncing clients, for it and for the officers that go with it; an audit event for each of
    those officers, as if deleted on its own (their personal data goes); and new change numbers
    for the records that named it: consultations lose their link to it (the foreign key would
    clear it unseen), trainings lose its invitation (their seat count)."""
    assert cooperative.id is not None  # stored
    where: dict[str, Any] = {
        "region_code": cooperative.village_code,
        "cooperative_id": cooperative.id,
    }
    session.add(DeletedRecord(kind=RecordKind.cooperative, record_id=cooperative.id, **where))
    for officer in await session.scalars(
        select(Officer)
        .where(col(Officer.cooperative_id) == cooperative.id)
        .order_by(col(Officer.id))
    ):
        session.add(
            DeletedRecord(kind=RecordKind.officer, record_id=cast(int, officer.id), **where)
        )
        audit.record(
            session,
            caller,
            action="officer.delete",
            resource_type="officer",
            resource_id=officer.id,
            region_code=cooperative.village_code,
            before=OfficerPublic.model_validate(officer),
        )
    now = utcnow()
    for consultation in await session.scalars(
        select(Consultation).where(col(Consultation.cooperative_id) == cooperative.id)
    ):
        consultation.cooperative_id = None
        consultation.updated_at = now
    invited = select(col(TrainingInvitation.training_id)).where(
        col(TrainingInvitation.cooperative_id) == cooperative.id
    )
    for training in await session.scalars(select(Training).where(col(Training.id).in_(invited))):
        training.updated_at = now
