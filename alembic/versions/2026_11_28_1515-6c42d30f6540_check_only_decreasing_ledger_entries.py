"""check only decreasing ledger entries

The trigger that keeps every line covering its commitments summed the line's whole history for
every entry written. Only an entry that takes money away (shift_out, commit) can break that
rule, so only those are checked now: half the work, under the same locks.

Revision ID: 6c42d30f6540
Revises: 5d7ce92b229f
Create Date: 2026-11-28 15:15:43.778115
"""

from collections.abc import Sequence

from alembic import op

revision: str = "6c42d30f6540"
down_revision: str | None = "5d7ce92b229f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LINE_BALANCE = """
    SELECT
      l.original_ceiling
      + COALESCE(SUM(CASE e.kind WHEN 'shift_in' THEN e.amount
                                 WHEN 'shift_out' THEN -e.amount ELSE 0 END), 0)
      - COALESCE(SUM(CASE e.kind WHEN 'commit' THEN e.amount
                                 WHEN 'release' THEN -e.amount ELSE 0 END), 0)
    FROM budget_line l LEFT JOIN budget_entry e ON e.budget_line_id = l.id
    WHERE l.id = NEW.budget_line_id
    GROUP BY l.original_ceiling
"""


def _postgresql_trigger(when: str) -> str:
    return f"""CREATE CONSTRAINT TRIGGER budget_line_stays_covered AFTER INSERT ON budget_entry
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW {when}
        EXECUTE FUNCTION budget_line_stays_covered()"""


def _sqlite_trigger(when: str) -> str:
    return f"""CREATE TRIGGER budget_line_stays_covered AFTER INSERT ON budget_entry
        WHEN {when} ({_LINE_BALANCE}) < 0
        BEGIN SELECT RAISE(ABORT, 'budget line would fall below its commitments'); END"""


def _replace(postgresql_when: str, sqlite_when: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER budget_line_stays_covered ON budget_entry")
        op.execute(_postgresql_trigger(postgresql_when))
    else:
        op.execute("DROP TRIGGER budget_line_stays_covered")
        op.execute(_sqlite_trigger(sqlite_when))


def upgrade() -> None:
    _replace(
        "WHEN (NEW.kind IN ('shift_out', 'commit'))",
        "NEW.kind IN ('shift_out', 'commit') AND",
    )


def downgrade() -> None:
    _replace("", "")
