"""Every table module is imported here so that the metadata Alembic compares is complete."""

from app.models.account import ApiKey, RefreshToken, UserAccount
from app.models.audit import AuditEvent
from app.models.budget import (
    BudgetEntry,
    BudgetLine,
    Refocusing,
    RefocusingMovement,
    RefocusingTraining,
)
from app.models.cooperative import Cooperative, CooperativeBusinessUnit, LegalEvent, Officer
from app.models.idempotency import IdempotencyRecord
from app.models.launch import (
    Launch,
    LaunchCheckIn,
    LaunchHub,
    LaunchRegistration,
    LaunchWalkIn,
)
from app.models.launch_plan import LaunchPlan
from app.models.mentoring import (
    Consultation,
    ConsultationTopic,
    FollowUp,
    Training,
    TrainingAttendee,
    TrainingInvitation,
    TrainingTransition,
)
from app.models.region import ReferenceDataset, Region
from app.models.sync import DeletedRecord, SyncClock
from app.models.target import SkAhuTarget

__all__ = [
    "ApiKey",
    "AuditEvent",
    "BudgetEntry",
    "BudgetLine",
    "IdempotencyRecord",
    "Launch",
    "LaunchCheckIn",
    "LaunchHub",
    "LaunchPlan",
    "LaunchRegistration",
    "LaunchWalkIn",
    "Refocusing",
    "RefocusingMovement",
    "RefocusingTraining",
    "Consultation",
    "ConsultationTopic",
    "FollowUp",
    "RefreshToken",
    "SkAhuTarget",
    "UserAccount",
    "Cooperative",
    "CooperativeBusinessUnit",
    "DeletedRecord",
    "LegalEvent",
    "Officer",
    "ReferenceDataset",
    "Region",
    "SyncClock",
    "Training",
    "TrainingAttendee",
    "TrainingInvitation",
    "TrainingTransition",
]
