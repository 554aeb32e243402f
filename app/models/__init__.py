"""Every table module is imported here so that the metadata Alembic compares is complete."""

from app.models.cooperative import Cooperative, CooperativeBusinessUnit, LegalEvent, Officer
from app.models.region import ReferenceDataset, Region

__all__ = [
    "Cooperative",
    "CooperativeBusinessUnit",
    "LegalEvent",
    "Officer",
    "ReferenceDataset",
    "Region",
]
