"""The office's calendar day, which decides what is overdue and what is in the future."""

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request


async def office_today(request: Request) -> date:
    return datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()


TodayDep = Annotated[date, Depends(office_today)]
