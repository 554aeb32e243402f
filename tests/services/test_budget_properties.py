"""Stateful property test of the budget ledger, driven through the service layer.

A Hypothesis `RuleBasedStateMachine` creates budget lines, drafts refocusings (some of them
invalid), submits, approves (maker-checker), applies and reverses them, and funds and cancels
trainings, in random order against the real test database (SQLite and PostgreSQL). A small
Python model predicts, for every call, whether the service must accept or refuse it; after
every step the invariants are read back from the database:

- the year's total current ceiling equals its total original ceiling (money is only moved);
- no line is below what is committed on it, and nothing committed is negative;
- every line's ceiling and commitments equal the model's (so a lost or doubled entry shows);
- an applied refocusing (its row and its movements) never changes afterwards;
- every applied refocusing's movements are in the ledger exactly once, and nothing else is.

The ledger is append-only (triggers refuse deletes), so runs do not clean up: each machine run
gets a fiscal year and district of its own, and reads only those.
"""

import asyncio
import itertools
from collections import Counter
from collections.abc import Callable, Coroutine
from datetime import date
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.auth import Caller, user_principal
from app.core.db import build_engine
from app.errors import AppError, Conflict, Forbidden, Invalid
from app.http.idempotency import Writer
from app.models.budget import (
    BudgetEntry,
    BudgetLine,
    BudgetLineCreate,
    MovementIn,
    Refocusing,
    RefocusingCreate,
    RefocusingMovement,
    ReversalCreate,
)
from app.models.mentoring import Training, TrainingCreate, TrainingStatus, TransitionCreate
from app.services import budget, refocusings, regions, trainings
from app.settings import Settings

# Each machine run takes the next (fiscal year, district of Kukar) pair: 75 years x 20
# districts, far more than the examples (and any shrinking) a run of this test needs. The
# years start after 2025, which the API tests use.
_DISTRICTS = sorted(
    row["code"]
    for row in regions.read_region_file()
    if (row["code"] or "").startswith("64.02.") and len(row["code"] or "") == 8
)
_SLOTS = itertools.product(range(2026, 2101), _DISTRICTS)

# Two heads of office: one national, one scoped to Kukar. Either may draft, submit, approve
# or apply; the approver must be neither the drafter nor the submitter.
ACTORS = {
    "a": Caller(
        user_principal({"sub": 1, "name": "prop-admin-a", "role": "admin", "scope": ""}),
        None,
        None,
    ),
    "b": Caller(
        user_principal({"sub": 2, "name": "prop-admin-b", "role": "admin", "scope": "64.02"}),
        None,
        None,
    ),
}
actors = st.sampled_from(sorted(ACTORS))


def as_(session: AsyncSession, who: str) -> Writer:
    """The write handle of actor `who`, on the rule's session."""
    return Writer(session, ACTORS[who])


MISSING_LINE = 2_000_000_000  # an id no line has
DAY = date(2025, 6, 1)
DOCUMENT = {
    "reason": "Pergeseran untuk pelatihan koperasi",
    "legal_basis": "Inpres 1/2025",
    "document_type": "pergeseran",
    "document_number": "900/1/2025",
    "document_date": date(2025, 6, 10),
}
# Amounts of the same order as the ceilings, so that both applies and shortfall refusals
# are common; an empty line (0) now and then.
ceilings = st.sampled_from([0, 2_000, 5_000, 5_000]) | st.integers(0, 5_000)
amounts = st.sampled_from([1, 100, 250, 500]) | st.integers(min_value=1, max_value=2_000)
# Index into the run's lines; -1 names a line that does not exist.
line_picks = st.integers(min_value=-1, max_value=7)
# A movement: from which line, to which other line (an offset, so mostly two different
# lines), how much, and now and then deliberately wrong: within one line, or a missing line.
movements = st.tuples(
    st.integers(min_value=0, max_value=7),
    st.integers(min_value=0, max_value=7),
    amounts,
    st.sampled_from(["valid"] * 8 + ["same_line", "missing_line"]),
)
# Which refocusing or training a step acts on: mostly one in the status the step needs (so
# that the lifecycle draft, submit, approve, apply, reverse is walked to its end often), now
# and then any of them, which the service must refuse when its status is wrong.
choices = st.tuples(st.integers(min_value=0, max_value=20), st.sampled_from([True] * 4 + [False]))


class BudgetLedger(RuleBasedStateMachine):
    database_url = ""

    def __init__(self) -> None:
        super().__init__()
        self.fiscal_year, self.region = next(_SLOTS)
        # Rules are synchronous; each service call runs on this machine's own event loop,
        # where its engine (and the engine's connections) live.
        self.loop = asyncio.new_event_loop()
        self.engine = build_engine(Settings(database_url=self.database_url))
        # The model: what the database must hold.
        self.lines: list[int] = []
        self.original: dict[int, int] = {}
        self.current: dict[int, int] = {}
        self.committed: dict[int, int] = {}
        self.refocusings: list[int] = []
        self.status: dict[int, str] = {}
        self.movements: dict[int, list[tuple[int, int, int]]] = {}
        self.drafted_by: dict[int, str] = {}
        self.submitted_by: dict[int, str] = {}
        self.reversed: set[int] = set()
        self.applied_snapshot: dict[int, Any] = {}
        self.trainings: list[int] = []
        self.training_state: dict[int, tuple[int | None, int, str]] = {}

    def teardown(self) -> None:
        self.loop.run_until_complete(self.engine.dispose())
        self.loop.close()

    # --- plumbing ----------------------------------------------------------------------------

    def call(self, work: Callable[[AsyncSession], Coroutine[Any, Any, Any]]) -> Any:
        async def in_session() -> Any:
            async with AsyncSession(self.engine, expire_on_commit=False) as session:
                return await work(session)

        return self.loop.run_until_complete(in_session())

    def expect(
        self, refusal: type[AppError] | None, work: Callable[[AsyncSession], Coroutine]
    ) -> Any:
        """Run a service call that the model says must succeed (refusal None) or be refused
        with exactly that error. Any other exception propagates and fails the test."""
        try:
            result = self.call(work)
        except AppError as exc:
            assert refusal is not None, f"refused unexpectedly: {exc!r} {exc.args}"
            assert type(exc) is refusal, f"expected {refusal.__name__}, got {exc!r}"
            return None
        assert refusal is None, f"accepted, but the model expected {refusal.__name__}"
        return result

    def line_id(self, pick: int) -> int:
        return MISSING_LINE if pick < 0 else self.lines[pick % len(self.lines)]

    def available(self, line_id: int) -> int:
        return self.current[line_id] - self.committed[line_id]

    # --- budget lines --------------------------------------------------------------------

    @precondition(lambda self: len(self.lines) < 5)
    @rule(ceiling=ceilings, who=actors)
    def create_line(self, ceiling: int, who: str) -> None:
        data = BudgetLineCreate(
            fiscal_year=self.fiscal_year,
            region_code=self.region,
            skpd="Dinas Koperasi dan UKM",
            sub_kegiatan_code="2.17.05.2.01.0001",
            sub_kegiatan_name="Pelatihan perkoperasian",
            kode_rekening=f"5.1.02.02.01.{len(self.lines) + 1:04d}",
            name=f"Line {len(self.lines) + 1}",
            original_ceiling=ceiling,
        )
        line = self.expect(None, lambda s: budget.create_line(as_(s, who), data))
        assert (line.current_ceiling, line.committed, line.available) == (ceiling, 0, ceiling)
        self.lines.append(line.id)
        self.original[line.id] = self.current[line.id] = ceiling
        self.committed[line.id] = 0

    # --- refocusings ---------------------------------------------------------------------

    @precondition(lambda self: len(self.lines) >= 2)
    @rule(picks=st.lists(movements, min_size=1, max_size=2), who=actors)
    def draft(self, picks: list[tuple[int, int, int, str]], who: str) -> None:
        self._draft(picks, who)

    @precondition(lambda self: len(self.lines) >= 2)
    @rule(picks=st.lists(movements, min_size=1, max_size=2), who=actors)
    def draft_submit_approve(self, picks: list[tuple[int, int, int, str]], who: str) -> None:
        """The usual path in one step (the single steps alone rarely reach `approved`)."""
        rid = self._draft(picks, who)
        if rid is not None:
            self.submit((self.refocusings.index(rid), False), who)
            self.approve((self.refocusings.index(rid), False), "b" if who == "a" else "a")

    def _draft(self, picks: list[tuple[int, int, int, str]], who: str) -> int | None:
        moves = []
        for source, offset, amount, kind in picks:
            f = self.lines[source % len(self.lines)]
            t = self.lines[(source + 1 + offset % (len(self.lines) - 1)) % len(self.lines)]
            if kind == "same_line":
                t = f
            elif kind == "missing_line":
                t = MISSING_LINE
            moves.append((f, t, amount))
        # A movement within one line, or from/to a line that does not exist, is refused.
        bad = any(f == t or MISSING_LINE in (f, t) for f, t, _ in moves)
        data = RefocusingCreate(
            fiscal_year=self.fiscal_year,
            region_code=self.region,
            movements=[MovementIn(from_line_id=f, to_line_id=t, amount=a) for f, t, a in moves],
            **DOCUMENT,
        )
        created = self.expect(
            Invalid if bad else None,
            lambda s: refocusings.create_refocusing(as_(s, who), data),
        )
        if created is not None:
            assert created.status == "draft" and created.total_moved == sum(a for *_, a in moves)
            self._track(created.id, moves, who)
            return created.id
        return None

    def _track(self, refocusing_id: int, moves: list[tuple[int, int, int]], who: str) -> None:
        self.refocusings.append(refocusing_id)
        self.drafted_by[refocusing_id] = who
        self.status[refocusing_id] = "draft"
        self.movements[refocusing_id] = moves

    def pick(self, choice: tuple[int, bool], *statuses: str) -> int:
        index, fitting = choice
        candidates = [r for r in self.refocusings if self.status[r] in statuses] if fitting else []
        candidates = candidates or self.refocusings
        return candidates[index % len(candidates)]

    @precondition(lambda self: self.refocusings)
    @rule(choice=choices, who=actors)
    def submit(self, choice: tuple[int, bool], who: str) -> None:
        rid = self.pick(choice, "draft")
        ok = self.status[rid] == "draft"
        if self.expect(None if ok else Conflict, lambda s: refocusings.submit(as_(s, who), rid)):
            self.status[rid] = "submitted"
            self.submitted_by[rid] = who

    @precondition(lambda self: self.refocusings)
    @rule(choice=choices, who=actors)
    def approve(self, choice: tuple[int, bool], who: str) -> None:
        rid = self.pick(choice, "submitted")
        if self.status[rid] != "submitted":
            refusal: type[AppError] | None = Conflict
        elif who in (self.drafted_by[rid], self.submitted_by[rid]):
            refusal = Forbidden  # maker-checker: not one's own
        else:
            refusal = None
        approved = self.expect(refusal, lambda s: refocusings.approve(as_(s, who), rid))
        if approved is not None:
            assert approved.approved_by == ACTORS[who].principal.actor
            assert approved.approved_by not in (approved.created_by, approved.submitted_by)
            self.status[rid] = "approved"

    @precondition(lambda self: self.refocusings)
    @rule(choice=choices, who=actors)
    def apply(self, choice: tuple[int, bool], who: str) -> None:
        rid = self.pick(choice, "approved")
        change: Counter[int] = Counter()
        for f, t, amount in self.movements[rid]:
            change[f] -= amount
            change[t] += amount
        fits = all(self.available(line) + delta >= 0 for line, delta in change.items())
        ok = self.status[rid] == "approved" and fits
        if self.expect(None if ok else Conflict, lambda s: refocusings.apply(as_(s, who), rid)):
            self.status[rid] = "applied"
            for line, delta in change.items():
                self.current[line] += delta
            self.applied_snapshot[rid] = self.call(lambda s: self._read_refocusing(s, rid))

    @precondition(lambda self: self.refocusings)
    @rule(choice=choices, who=actors)
    def reverse(self, choice: tuple[int, bool], who: str) -> None:
        rid = self.pick(choice, "applied")
        ok = self.status[rid] == "applied" and rid not in self.reversed
        data = ReversalCreate(**DOCUMENT)
        reversal = self.expect(
            None if ok else Conflict, lambda s: refocusings.reverse(as_(s, who), rid, data)
        )
        if reversal is not None:
            assert reversal.reverses_id == rid and reversal.status == "draft"
            self.reversed.add(rid)
            self._track(reversal.id, [(t, f, a) for f, t, a in self.movements[rid]], who)

    # --- trainings -----------------------------------------------------------------------

    @precondition(lambda self: self.lines and len(self.trainings) < 12)
    # Costs include 0: a sponsored training is funded without holding anything.
    @rule(pick=line_picks, cost=st.integers(min_value=0, max_value=800), who=actors)
    def create_training(self, pick: int, cost: int, who: str) -> None:
        # pick -1: a training with no budget line yet, which cannot be funded.
        line_id = None if pick < 0 else self.line_id(pick)
        data = TrainingCreate(
            title="Pelatihan perkoperasian",
            region_code=self.region,
            capacity=20,
            estimated_cost=cost,
            budget_line_id=line_id,
        )
        created = self.expect(None, lambda s: trainings.create_training(as_(s, who), data))
        self.trainings.append(created.id)
        self.training_state[created.id] = (line_id, cost, TrainingStatus.waiting_for_budget)

    def pick_training(self, choice: tuple[int, bool], status: TrainingStatus) -> int:
        index, fitting = choice
        candidates = (
            [t for t in self.trainings if self.training_state[t][2] == status] if fitting else []
        )
        candidates = candidates or self.trainings
        return candidates[index % len(candidates)]

    @precondition(lambda self: self.trainings)
    @rule(choice=choices, who=actors)
    def fund(self, choice: tuple[int, bool], who: str) -> None:
        tid = self.pick_training(choice, TrainingStatus.waiting_for_budget)
        line_id, cost, status = self.training_state[tid]
        if status != TrainingStatus.waiting_for_budget:
            refusal: type[AppError] | None = Conflict
        elif line_id is None:
            refusal = Invalid
        elif self.available(line_id) < cost:
            refusal = Conflict
        else:
            refusal = None
        step = TransitionCreate(to=TrainingStatus.funded, occurred_on=DAY)
        if self.expect(refusal, lambda s: trainings.transition(as_(s, who), tid, step)):
            self.committed[line_id] += cost  # type: ignore[index]
            self.training_state[tid] = (line_id, cost, TrainingStatus.funded)

    @precondition(lambda self: self.trainings)
    @rule(choice=choices, who=actors)
    def cancel(self, choice: tuple[int, bool], who: str) -> None:
        tid = self.pick_training(choice, TrainingStatus.funded)
        line_id, cost, status = self.training_state[tid]
        ok = status in (TrainingStatus.waiting_for_budget, TrainingStatus.funded)
        step = TransitionCreate(to=TrainingStatus.cancelled, occurred_on=DAY)
        if self.expect(
            None if ok else Conflict,
            lambda s: trainings.transition(as_(s, who), tid, step),
        ):
            if status == TrainingStatus.funded:
                self.committed[line_id] -= cost  # type: ignore[index]
            self.training_state[tid] = (line_id, cost, TrainingStatus.cancelled)

    # --- reading back --------------------------------------------------------------------

    @staticmethod
    async def _read_refocusing(session: AsyncSession, rid: int) -> Any:
        row = await session.get(Refocusing, rid, populate_existing=True)
        assert row is not None
        moves = await session.execute(
            select(
                RefocusingMovement.id,
                RefocusingMovement.from_line_id,
                RefocusingMovement.to_line_id,
                RefocusingMovement.amount,
            )
            .where(RefocusingMovement.refocusing_id == rid)
            .order_by(RefocusingMovement.id)
        )
        return row.model_dump(), [tuple(m) for m in moves]

    async def _read_state(self, session: AsyncSession) -> dict[str, Any]:
        lines = dict(
            (
                await session.execute(
                    select(BudgetLine.id, BudgetLine.original_ceiling).where(
                        BudgetLine.fiscal_year == self.fiscal_year,
                        BudgetLine.region_code == self.region,
                    )
                )
            ).all()
        )
        sums = await session.execute(
            select(BudgetEntry.budget_line_id, BudgetEntry.kind, func.sum(BudgetEntry.amount))
            .where(BudgetEntry.budget_line_id.in_(list(lines) or [0]))
            .group_by(BudgetEntry.budget_line_id, BudgetEntry.kind)
        )
        by_kind: dict[int, Counter[str]] = {line: Counter() for line in lines}
        for line_id, kind, total in sums:
            by_kind[line_id][kind] += int(total)
        entries = await session.execute(
            select(
                BudgetEntry.refocusing_id,
                BudgetEntry.budget_line_id,
                BudgetEntry.kind,
                BudgetEntry.amount,
            ).where(BudgetEntry.refocusing_id.in_(self.refocusings or [0]))
        )
        ledger: dict[int, Counter[tuple[int, str, int]]] = {}
        for rid, line_id, kind, amount in entries:
            ledger.setdefault(rid, Counter())[(line_id, kind, int(amount))] += 1
        held = await session.execute(
            select(BudgetEntry.training_id, BudgetEntry.kind, func.sum(BudgetEntry.amount))
            .where(BudgetEntry.training_id.in_(self.trainings or [0]))
            .group_by(BudgetEntry.training_id, BudgetEntry.kind)
        )
        holding: Counter[int] = Counter()
        for tid, kind, total in held:
            holding[tid] += int(total) if kind == "commit" else -int(total)
        statuses = dict(
            (
                await session.execute(
                    select(Training.id, Training.status).where(
                        Training.id.in_(self.trainings or [0])
                    )
                )
            ).all()
        )
        snapshots = {
            rid: await self._read_refocusing(session, rid) for rid in self.applied_snapshot
        }
        return {
            "lines": lines,
            "by_kind": by_kind,
            "ledger": ledger,
            "holding": holding,
            "training_status": statuses,
            "snapshots": snapshots,
        }

    @invariant()
    def ledger_keeps_every_rupiah(self) -> None:
        state = self.call(self._read_state)
        lines, by_kind = state["lines"], state["by_kind"]
        assert set(lines) == set(self.lines), "lines appeared or vanished in this year"
        current = {
            line: lines[line] + by_kind[line]["shift_in"] - by_kind[line]["shift_out"]
            for line in lines
        }
        committed = {line: by_kind[line]["commit"] - by_kind[line]["release"] for line in lines}
        # Conserved: refocusing only moves money between lines of the year.
        assert sum(current.values()) == sum(lines.values())
        for line in lines:
            assert committed[line] >= 0, f"line {line} has negative commitments"
            assert current[line] - committed[line] >= 0, f"line {line} is below its commitments"
        # Exact: what the model says every accepted call did, and nothing else.
        assert current == self.current
        assert committed == self.committed

        for rid in self.refocusings:
            expected: Counter[tuple[int, str, int]] = Counter()
            if self.status[rid] == "applied":
                for f, t, amount in self.movements[rid]:
                    expected[(t, "shift_in", amount)] += 1
                    expected[(f, "shift_out", amount)] += 1
            # Once for applied ones (no entry lost or doubled); none for the rest.
            assert state["ledger"].get(rid, Counter()) == expected, f"refocusing {rid}"
        for rid, snapshot in self.applied_snapshot.items():
            assert state["snapshots"][rid] == snapshot, f"applied refocusing {rid} changed"
            assert snapshot[0]["status"] == "applied"

        for tid, (_, cost, status) in self.training_state.items():
            assert state["training_status"][tid] == status
            assert state["holding"][tid] == (cost if status == TrainingStatus.funded else 0)


def test_random_sequences_keep_the_ledger_whole(database_url: str) -> None:
    machine = type("BudgetLedgerOn", (BudgetLedger,), {"database_url": database_url})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=60,
            stateful_step_count=30,
            derandomize=True,  # the same sequences on every run
            deadline=None,  # database round trips vary in time
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
