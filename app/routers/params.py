"""Path and query parameter types shared by the routers."""

from typing import Annotated

from fastapi import Path

# Ids are 32-bit in the database; a larger number cannot name a record (422, not a 500).
RecordId = Annotated[int, Path(ge=1, le=2**31 - 1)]
