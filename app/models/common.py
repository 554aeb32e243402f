"""Column types and input types shared by the domain models."""

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any, TypeVar, cast

import phonenumbers
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError
from sqlalchemy import DateTime, Table, inspect
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

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


def table_of(model: type[SQLModel]) -> Table:
    """The table of a table model, typed: SQLModel does not declare `__table__`."""
    return cast(Table, inspect(model).local_table)


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


# White space as input text loses it around itself (str.isspace), for the patterns the document
# states. Spelled out, since `\s` differs between Python's regular expressions and JSON Schema's
# (ECMA-262).
WHITE_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
AROUND = f"[{WHITE_SPACE}]*"

# How a phone number may be written (`0812-3456-7890`, `+62 812 3456 7890`, `(0541) 123456`):
# the document states it, and it is checked before phonenumbers, which would also read letters
# as keypad digits.
PHONE_PATTERN = f"^{AROUND}\\+?[{WHITE_SPACE}().-]*([0-9][{WHITE_SPACE}().-]*){{7,15}}$"
_PHONE_TEXT = re.compile(PHONE_PATTERN)


def _e164_phone(value: str) -> str:
    if not _PHONE_TEXT.match(value):
        raise ValueError(
            "write the number in digits, with spaces, dashes, dots or brackets between them "
            "if you like, e.g. 0812-3456-7890 or +62 812 3456 7890"
        )
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


# Characters no text may hold: the C0 controls but tab, line feed and carriage return (CRLF line
# breaks); DEL and the C1 controls; lone surrogates; U+FFFE and U+FFFF. Nobody types them on
# purpose, PostgreSQL cannot store NUL or a surrogate, and XML (so an XLSX export) cannot hold
# the C0 ones. Exports replace any that older records hold (app/services/exports.py).
UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _printable(value: Any) -> Any:
    # Refused up front, on every backend alike, and before the input models strip white space:
    # Python counts U+0085 (a C1 control) as white space, which must not make it vanish.
    if isinstance(value, str) and (found := UNPRINTABLE.search(value)):
        raise ValueError(
            f"must not contain the control character U+{ord(found.group()):04X}; use printable "
            "text (tabs and line breaks are allowed)"
        )
    return value


Text = Annotated[StrictStr, BeforeValidator(_printable)]
# Text that must not be empty holds something besides white space.
NOT_BLANK = f"[^{WHITE_SPACE}]"
_SOMETHING = {"pattern": NOT_BLANK}
Name = Annotated[Text, Field(min_length=1, max_length=200, json_schema_extra=_SOMETHING)]
ShortText = Annotated[Text, Field(min_length=1, max_length=200, json_schema_extra=_SOMETHING)]
LongText = Annotated[Text, Field(min_length=1, max_length=4000, json_schema_extra=_SOMETHING)]
Count = Annotated[StrictInt, Field(ge=0, le=10_000_000)]
Flag = StrictBool
# A JSON number (an integer too), never `false` or "1.5", and finite.
Number = Annotated[StrictFloat, Field(allow_inf_nan=False)]

T = TypeVar("T")


def _not_null(value: object) -> object:
    if value is None:
        raise PydanticCustomError(
            "null_forbidden", "cannot be null; leave it out to keep the current value"
        )
    return value


def _not_nullable(schema: dict[str, Any]) -> None:
    """The field's schema without its null branch and its default (null)."""
    options = [option for option in schema.pop("anyOf", []) if option != {"type": "null"}]
    if len(options) == 1:
        schema.update({**options[0], **schema})
    elif options:
        schema["anyOf"] = options
    schema.pop("default", None)


# A field of a change (PATCH) that may be left out, to keep what is there, but not cleared: the
# document shows it as not nullable, and a null is refused naming it.
Omittable = Annotated[
    T | None,
    BeforeValidator(_not_null),
    Field(json_schema_extra=_not_nullable),
]


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

Phone = Annotated[
    Text,
    Field(max_length=40, json_schema_extra={"pattern": PHONE_PATTERN}),
    AfterValidator(_e164_phone),
]
