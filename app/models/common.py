"""Column types and input types shared by the domain models."""

import re
from collections.abc import Callable
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
    WithJsonSchema,
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
Number = Annotated[float, BeforeValidator(_json_number)]


# --- dates -----------------------------------------------------------------------------------

# Every date a client sends, in a body or a query, lies in this range: this is the one place that
# says so. From 1945 (a cooperative revitalised into a Kopdes brings its akta, SK and RAT years
# from long before the programme; RAT years start there too) to the end of 2100 (plans, due dates
# and budget years go no further). Rows stored before the range was enforced are read as they are.
EARLIEST_DATE = date(1945, 1, 1)
LATEST_DATE = date(2100, 12, 31)
_IN_RANGE = f"between {EARLIEST_DATE} and {LATEST_DATE}"

# ISO 8601 text in ASCII digits, with the range's years: the OpenAPI document states these
# patterns, and text is checked against them before pydantic parses it, since pydantic also takes
# a number, or a string of digits, as a Unix timestamp (`{"planned_end": 0}` is 1970-01-01).
_DAY = "(194[5-9]|19[5-9][0-9]|20[0-9][0-9]|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_TIME = "T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]+)?"
_ZONE = "(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
DATE_PATTERN = f"^{_DAY}$"
DATETIME_PATTERN = f"^{_DAY}{_TIME}{_ZONE}$"
QUERY_DATETIME_PATTERN = f"^{_DAY}({_TIME}{_ZONE}?)?$"


def _iso_text(pattern: str, form: str) -> Callable[[object], object]:
    compiled = re.compile(pattern)

    def check(value: object) -> object:
        # Python's own dates pass too (the imports read them from spreadsheet cells); a JSON
        # number or boolean does not.
        if (isinstance(value, str) and compiled.fullmatch(value)) or isinstance(value, date):
            return value
        raise ValueError(f"use ISO 8601 text {_IN_RANGE}: {form}")

    return check


def _in_range(value: date) -> date:
    # A moment by its date as written, before it is moved to UTC (which then cannot overflow).
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(f"must be {_IN_RANGE}")
    return value


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# A day, in a body or a query string.
StrictDate = Annotated[
    date,
    BeforeValidator(_iso_text(DATE_PATTERN, "a day, YYYY-MM-DD")),
    AfterValidator(_in_range),
    Field(json_schema_extra={"pattern": DATE_PATTERN}),
]
PastDate = Annotated[StrictDate, AfterValidator(_not_in_future)]
# A moment sent in a body must say its zone (officers work in WIB, WITA and WIT); kept as UTC.
UtcDatetime = Annotated[
    AwareDatetime,
    BeforeValidator(
        _iso_text(DATETIME_PATTERN, "a moment with its zone, e.g. 2025-08-04T09:30:00+08:00")
    ),
    AfterValidator(_in_range),
    AfterValidator(_as_utc),
    Field(json_schema_extra={"pattern": DATETIME_PATTERN}),
]
# In a query string a moment without a zone, or a day alone, is taken as UTC.
UtcQueryDatetime = Annotated[
    datetime,
    BeforeValidator(
        _iso_text(QUERY_DATETIME_PATTERN, "a day, or a moment, e.g. 2025-08-04T01:30:00Z")
    ),
    AfterValidator(_in_range),
    AfterValidator(_as_utc),
    # Not `format: date-time`, which a day alone or a moment without its zone would break.
    WithJsonSchema({"type": "string", "pattern": QUERY_DATETIME_PATTERN}),
]

Phone = Annotated[Text, Field(max_length=40), AfterValidator(_e164_phone)]
