"""A cooperative's officers: its board (pengurus) and supervisors (pengawas)."""

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Invalid, NotFound
from app.models.common import utcnow
from app.models.cooperative import (
    PENGAWAS_ROLES,
    Officer,
    OfficerBody,
    OfficerCreate,
    OfficerPublic,
    OfficerRole,
    OfficerUpdate,
    mask_nik,
)
from app.pagination import CursorCodec, Page, PageParams
from app.services.cooperatives import require_cooperative


def _public(officer: Officer) -> OfficerPublic:
    return OfficerPublic(
        id=officer.id,  # type: ignore[arg-type]
        cooperative_id=officer.cooperative_id,
        body=OfficerBody(officer.body),
        role=OfficerRole(officer.role),
        name=officer.name,
        phone=officer.phone,
        nik_masked=mask_nik(officer.nik) if officer.nik else None,
        created_at=officer.created_at,
        updated_at=officer.updated_at,
    )


def _check_role(body: str, role: str) -> None:
    if body == OfficerBody.pengawas and role not in PENGAWAS_ROLES:
        raise Invalid.field(["body", "role"], "a pengawas is either 'ketua' or 'anggota'")


async def _require_officer(session: AsyncSession, cooperative_id: int, officer_id: int) -> Officer:
    officer = await session.get(Officer, officer_id)
    if officer is None or officer.cooperative_id != cooperative_id:
        raise NotFound(f"cooperative {cooperative_id} has no officer {officer_id}")
    return officer


async def list_officers(
    session: AsyncSession, codec: CursorCodec, page: PageParams, cooperative_id: int
) -> Page[OfficerPublic]:
    await require_cooperative(session, cooperative_id)
    scope = {"cooperative": cooperative_id}
    condition = Officer.cooperative_id == cooperative_id
    query = select(Officer).where(condition).order_by(Officer.id).limit(page.page_size + 1)
    if page.cursor:
        (after_id,) = codec.decode(page.cursor, scope)
        query = query.where(Officer.id > after_id)
    officers = list(await session.scalars(query))
    next_cursor = None
    if len(officers) > page.page_size:
        officers = officers[: page.page_size]
        next_cursor = codec.encode([officers[-1].id], scope)
    total = None
    if page.total:
        total = await session.scalar(select(func.count()).select_from(Officer).where(condition))
    return Page(items=[_public(o) for o in officers], next_cursor=next_cursor, total=total)


async def get_officer(session: AsyncSession, cooperative_id: int, officer_id: int) -> OfficerPublic:
    return _public(await _require_officer(session, cooperative_id, officer_id))


async def create_officer(
    session: AsyncSession, cooperative_id: int, data: OfficerCreate
) -> OfficerPublic:
    await require_cooperative(session, cooperative_id)
    _check_role(data.body, data.role)
    officer = Officer(cooperative_id=cooperative_id, **data.model_dump())
    session.add(officer)
    await session.commit()
    return _public(officer)


async def update_officer(
    session: AsyncSession, cooperative_id: int, officer_id: int, patch: OfficerUpdate
) -> OfficerPublic:
    officer = await _require_officer(session, cooperative_id, officer_id)
    changes = patch.model_dump(exclude_unset=True)
    for field in ("role", "name"):
        if field in changes and changes[field] is None:
            raise Invalid.field(["body", field], "cannot be null; leave it out to keep it")
    _check_role(officer.body, changes.get("role", officer.role))
    officer.sqlmodel_update(changes)
    officer.updated_at = utcnow()
    await session.commit()
    return _public(officer)


async def delete_officer(session: AsyncSession, cooperative_id: int, officer_id: int) -> None:
    await _require_officer(session, cooperative_id, officer_id)
    await session.execute(delete(Officer).where(Officer.id == officer_id))
    await session.commit()
