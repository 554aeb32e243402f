"""Column types and input types shared by the domain models."""

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any

import phonenumbers
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
)
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

# Input models reject unknown fields. Strictness is per type (StrictInt, StrictBool, StrictStr)
# rather than model-wide, because FastAPI validates parsed JSON in Python mode, where a
# model-wide strict mode would also refuse ISO date strings and enum values.
INPUT_CONFIG = ConfigDict(extra="forbid", str_strip_whitespace=True)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_WIT = timezone(timedelta(hours=9))


def utcnow() -> datetime:
    return datetime.now(UTC)


def mask_phone(phone: str | None) -> str | None:
    """`+6281234567890` -> `+62812*****890`: enough to recognise, not enough to call."""
    if not phone:
        return phone
    return phone[:6] + "*" * max(len(phone) - 9, 0) + phone[-3:]


def _not_in_future(value: date) -> date:
    # The office works in WIB/WITA/WIT; UTC+9 is the latest "today" anywhere in Indonesia.
    latest_today = datetime.now(UTC).astimezone(_WIT).date()
    if value > latest_today:
        raise ValueError("date is in the future; record only what has happened")
    return value


def _e164_phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "ID")
    except phonenumbers.NumberParseException:
        raise ValueError(
            "not a phone number; use e.g. 0812-3456-7890 or +62 812 3456 7890"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    if number.country_code != 62:
        raise ValueError("not an Indonesian number (+62)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _json_number(value: object) -> object:
    # A float field would otherwise take `false` or "1.5"; JSON numbers only.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    return value


# Characters no text may hold: the C0 controls but tab, line feed and carriage return (CRLF line
# breaks); DEL and the C1 controls; lone surrogates; U+FFFE and U+FFFF. Nobody types them on
# purpose, PostgreSQL cannot store NUL or a surrogate, and XML (so an XLSX export) cannot hold
# the C0 ones. Exports replace any that older records hold (app/services/exports.py).
UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _printable(text: str) -> str:
    # Refused up front, on every backend alike.
    if found := UNPRINTABLE.search(text):
        raise ValueError(
            f"must not contain the control character U+{ord(found.group()):04X}; use printable "
            "text (tabs and line breaks are allowed)"
        )
    return text


Text = Annotated[StrictStr, AfterValidator(_printable)]
Name = Annotated[Text, Field(min_length=1, max_length=200)]
ShortText = Annotated[Text, Field(min_length=1, max_length=200)]
LongText = Annotated[Text, Field(min_length=1, max_length=4000)]
Count = Annotated[StrictInt, Field(ge=0, le=10_000_000)]
Flag = StrictBool
PastDate = Annotated[date, AfterValidator(_not_in_future)]
Number = Annotated[float, BeforeValidator(_json_number)]


def _as_utc(moment: datetime) -> datetime:
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None


# A moment sent in a body must say its zone (officers work in WIB, WITA and WIT); kept as UTC.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_as_utc)]


def _iso_text(value: object) -> object:
    # Pydantic would read "0" or "1700000000" in a query string as a Unix timestamp.
    if isinstance(value, str) and not re.match(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("use an ISO 8601 date, YYYY-MM-DD")
    return value


# In a query string a date is YYYY-MM-DD, and a moment without a zone is taken as UTC.
QueryDate = Annotated[date, BeforeValidator(_iso_text)]
UtcQueryDatetime = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_as_utc)]
Phone = Annotated[Text, Field(max_length=40), AfterValidator(_e164_phone)]
