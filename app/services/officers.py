"""A cooperative's officers: its board (pengurus) and supervisors (pengawas)."""

from limits import RateLimitItemPerHour
from limits.aio.strategies import MovingWindowRateLimiter
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller
from app.access.rate_limits import RateLimit
from app.access.security import NikCipher
from app.errors import AppError, Invalid, NotFound, TooManyRequests
from app.http import sync_feed
from app.http.conditional import require_if_match
from app.http.idempotency import Writer
from app.http.pagination import CursorCodec, PageParams, page_by_id
from app.http.sync_feed import SyncPage
from app.models.common import mask_phone, utcnow
from app.models.cooperative import (
    PENGAWAS_ROLES,
    Cooperative,
    Officer,
    OfficerBody,
    OfficerCreate,
    OfficerNik,
    OfficerPublic,
    OfficerUpdate,
    mask_nik,
)
from app.models.sync import DeletedRecord, RecordKind
from app.services import audit
from app.services.cooperatives import PHONE_MASKED_ROLES, lock_cooperative, require_cooperative


def _present(caller: Caller, officer: Officer) -> OfficerPublic:
    public = OfficerPublic.model_validate(officer)
    if caller.role in PHONE_MASKED_ROLES and public.phone:
        return public.model_copy(update={"phone": mask_phone(public.phone)})
    return public


def _set_nik(officer: Officer, nik: str | None, cipher: NikCipher) -> None:
    officer.nik_ciphertext = cipher.encrypt(nik) if nik else None
    officer.nik_masked = mask_nik(nik) if nik else None


def _check_role(body: str, role: str) -> None:
    if body == OfficerBody.pengawas and role not in PENGAWAS_ROLES:
        raise Invalid.field(["body", "role"], "a pengawas is either 'ketua' or 'anggota'")


async def _require_officer(
    session: AsyncSession, caller: Caller, cooperative_id: int, officer_id: int
) -> tuple[Cooperative, Officer]:
    """The officer, if its cooperative exists for this caller."""
    cooperative = await require_cooperative(session, caller, cooperative_id)
    officer = await session.get(Officer, officer_id)
    if officer is None or officer.cooperative_id != cooperative_id:
        raise _no_officer(cooperative_id, officer_id)
    return cooperative, officer


async def _lock_officer(
    writer: Writer, cooperative_id: int, officer_id: int
) -> tuple[Cooperative, Officer]:
    """The officer, if its cooperative exists for the writer's caller, locked."""
    cooperative = await require_cooperative(writer.session, writer.caller, cooperative_id)
    officer = await writer.lock(Officer, officer_id, col(Officer.cooperative_id) == cooperative_id)
    if officer is None:
        raise _no_officer(cooperative_id, officer_id)
    return cooperative, officer


def _no_officer(cooperative_id: int, officer_id: int) -> NotFound:
    return NotFound(
        "cooperative {cooperative_id} has no officer {officer_id}",
        params={"cooperative_id": cooperative_id, "officer_id": officer_id},
    )


def _audit(
    session: AsyncSession,
    caller: Caller,
    action: str,
    cooperative: Cooperative,
    officer_id: int | None,
    *,
    before: OfficerPublic | None = None,
    after: OfficerPublic | None = None,
) -> None:
    audit.record(
        session,
        caller,
        action=action,
        resource_type="officer",
        resource_id=officer_id,
        region_code=cooperative.village_code,
        before=before,
        after=after,
    )


async def list_officers(
    session: AsyncSession,
    caller: Caller,
    codec: CursorCodec,
    page: PageParams,
    cooperative_id: int,
    updated_since: int | None,
) -> SyncPage[OfficerPublic]:
    await require_cooperative(session, caller, cooperative_id)
    if updated_since is not None:
        changes = await sync_feed.changes_page(
            session,
            select(Officer).where(col(Officer.cooperative_id) == cooperative_id),
            Officer.change,
            since=updated_since,
            codec=codec,
            page=page,
            scope={"cooperative": cooperative_id},
            removed=sync_feed.tombstones(RecordKind.officer, caller, cooperative_id=cooperative_id),
        )
        return changes.page([_present(caller, o) for o in changes.rows])
    found = await page_by_id(
        session,
        Officer,
        [Officer.cooperative_id == cooperative_id],
        codec,
        page,
        {"cooperative": cooperative_id},
    )
    return SyncPage(
        items=[_present(caller, o) for o in found.rows],
        next_cursor=found.next_cursor,
        total=found.total,
    )


async def get_officer(
    session: AsyncSession, caller: Caller, cooperative_id: int, officer_id: int
) -> OfficerPublic:
    _, officer = await _require_officer(session, caller, cooperative_id, officer_id)
    return _present(caller, officer)


class NikReadLimit:
    """How many full NIKs one account may read per hour. Many reads in a row look like copying
    NIKs out: past the limit a read is refused (429), and the first refusal of the hour goes
    into the audit trail."""

    def __init__(self, limiter: MovingWindowRateLimiter, reads_per_hour: int) -> None:
        self.reads_per_hour = reads_per_hour
        self._reads = RateLimit(limiter, RateLimitItemPerHour(reads_per_hour), "nik-read")
        self._reached = RateLimit(limiter, RateLimitItemPerHour(1), "nik-read-limit-reached")

    async def check(self, writer: Writer, cooperative: Cooperative, officer_id: int) -> None:
        caller = writer.caller
        wait = await self._reads.hit(caller.principal.actor)
        if wait is None:
            return
        if await self._reached.hit(caller.principal.actor) is None:
            audit.record(
                writer.session,
                caller,
                action="officer.nik_read_limit_reached",
                resource_type="officer",
                resource_id=officer_id,
                region_code=cooperative.village_code,
                after={"reads_per_hour": self.reads_per_hour},
                outcome="refused",
            )
            await writer.commit()
        raise TooManyRequests(
            "you have read {reads_per_hour} full NIKs within the last hour, as many as one account"
            " may; wait before reading another",
            retry_after=wait,
            params={"reads_per_hour": self.reads_per_hour},
        )


async def read_officer_nik(
    writer: Writer,
    cipher: NikCipher,
    limit: NikReadLimit,
    cooperative_id: int,
    officer_id: int,
) -> OfficerNik:
    """The full NIK, for roles allowed to see it and within the hourly limit; the read itself
    is audited."""
    session, caller = writer.session, writer.caller
    cooperative, officer = await _require_officer(session, caller, cooperative_id, officer_id)
    if officer.nik_ciphertext is None:
        raise NotFound(
            "officer {officer_id} has no NIK on record", params={"officer_id": officer_id}
        )
    await limit.check(writer, cooperative, officer_id)
    try:
        nik = cipher.decrypt(officer.nik_ciphertext)
    except ValueError:
        raise AppError(
            "the stored NIK cannot be decrypted with the configured key; the administrator "
            "must restore the KOPDES_NIK_ENCRYPTION_KEY it was written with"
        ) from None
    _audit(session, caller, "officer.nik_read", cooperative, officer_id)
    await writer.commit()
    return OfficerNik(officer_id=officer_id, nik=nik)


async def create_officer(
    writer: Writer, cipher: NikCipher, cooperative_id: int, data: OfficerCreate
) -> OfficerPublic:
    session, caller = writer.session, writer.caller
    # Locked, so that the cooperative cannot be removed between this check and the insert.
    cooperative = await lock_cooperative(writer, cooperative_id)
    _check_role(data.body, data.role)
    officer = Officer(cooperative_id=cooperative_id, **data.model_dump(exclude={"nik"}))
    _set_nik(officer, data.nik, cipher)
    session.add(officer)
    await session.flush()
    _audit(
        session,
        caller,
        "officer.create",
        cooperative,
        officer.id,
        after=OfficerPublic.model_validate(officer),
    )
    await writer.record(_present(caller, officer))
    await writer.commit()
    return _present(caller, officer)


async def update_officer(
    writer: Writer,
    cipher: NikCipher,
    cooperative_id: int,
    officer_id: int,
    patch: OfficerUpdate,
    *,
    if_match: str | None,
) -> OfficerPublic:
    session, caller = writer.session, writer.caller
    cooperative, officer = await _lock_officer(writer, cooperative_id, officer_id)
    before = OfficerPublic.model_validate(officer)
    changes = patch.model_dump(exclude_unset=True)
    require_if_match(if_match, _present(caller, officer), "officer")
    _check_role(officer.body, changes.get("role", officer.role))
    if "nik" in changes:
        _set_nik(officer, changes.pop("nik"), cipher)
    officer.sqlmodel_update(changes)
    officer.updated_at = utcnow()
    _audit(
        session,
        caller,
        "officer.update",
        cooperative,
        officer_id,
        before=before,
        after=OfficerPublic.model_validate(officer),
    )
    await writer.commit()
    return _present(caller, officer)


async def delete_officer(
    writer: Writer,
    cooperative_id: int,
    officer_id: int,
    *,
    if_match: str | None,
) -> None:
    session, caller = writer.session, writer.caller
    cooperative, officer = await _lock_officer(writer, cooperative_id, officer_id)
    require_if_match(if_match, _present(caller, officer), "officer")
    before = OfficerPublic.model_validate(officer)
    session.add(
        DeletedRecord(
            kind=RecordKind.officer,
            record_id=officer_id,
            region_code=cooperative.village_code,
            cooperative_id=cooperative_id,
        )
    )
    await session.execute(delete(Officer).where(col(Officer.id) == officer_id))
    _audit(session, caller, "officer.delete", cooperative, officer_id, before=before)
    await writer.commit()
