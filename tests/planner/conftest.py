import datetime as dt
from decimal import Decimal

import pytest

from planner import Event


@pytest.fixture
def event() -> Event:
    return Event(dt.date(2026, 3, 2), Decimal(3))
