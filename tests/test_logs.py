"""The log format masks personal data wherever in a record it is, in both formats."""

import json
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.logs import _NIK, _PHONE, build_formatter, mask_text
from tests.factories import VALID_NIK
from tests.pii import leaked_niks, leaked_phones

PHONES = [
    "+62 812 3456 7890",
    "0812-3456-7890",
    "6281234567890",
    "+62215551234",
    # Landlines, as dialled within Indonesia (Jakarta, Balikpapan) and with 62 in front.
    "021 555 1234",
    "0542-7238-9517",
    "62 542 7238 9517",
]
HEX_ID = "f6402125304850002a0b1c2d3e4f5a6b"  # an id whose digits look like a NIK


class Person:
    def __str__(self) -> str:
        return f"Person(nik={VALID_NIK}, phone={PHONES[0]})"


def _record() -> logging.LogRecord:
    try:
        raise ValueError(f"no account for {VALID_NIK} / {PHONES[1]}")
    except ValueError as error:
        record = logging.LogRecord(
            "kopdes.test",
            logging.ERROR,
            __file__,
            1,
            "calling %s about %s",
            (PHONES[2], Person()),
            (type(error), error, error.__traceback__),
        )
    record.__dict__.update(
        {
            "contact": {"phones": PHONES},
            "nik_number": int(VALID_NIK),
            "kept": 1_250_000_000,
            "trace": HEX_ID,
            # Any text a client sends can hold a number: a path, as the access line has it.
            "path": "/api/v1/cooperatives/054272389517",
        }
    )
    return record


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_every_part_of_a_record_is_masked(log_format):
    line = build_formatter(log_format).format(_record())
    assert not leaked_niks(line, {VALID_NIK}), line
    assert not leaked_phones(line, set(PHONES)), line
    assert "6402********0001" in line and "ValueError: no account" in line
    if log_format == "json":
        record = json.loads(line)
        assert record["kept"] == 1_250_000_000  # an amount of rupiah is not a phone number
        assert record["trace"] == HEX_ID  # ids stay whole, or lines could not be matched up
        assert record["nik_number"] == "6402********0001"
        assert record["level"] == "error" and record["logger"] == "kopdes.test"


# Shaped like phone numbers and NIKs, at every length the patterns take, with neighbours that
# may or may not end them.
_PERSONAL_LOOKING = st.builds(
    "".join,
    st.tuples(
        st.sampled_from(["", " ", "a", "-", "+", "7"]),
        st.one_of(
            st.from_regex(r"(\+?62|0)[ -]?[1-9]([ -]?[0-9]){6,12}", fullmatch=True),
            st.from_regex(r"[0-9]{14,17}", fullmatch=True),
        ),
        st.sampled_from(["", " ", "a", "-", "5"]),
    ),
)


@settings(max_examples=1000, derandomize=True)
@given(_PERSONAL_LOOKING)
def test_no_nik_or_phone_slips_past_the_quick_check(text):
    """`mask_text` looks for a run of digits before it substitutes; whatever it passes over must
    hold no NIK and no phone number."""
    if _NIK.search(text) or _PHONE.search(text):
        assert mask_text(text) != text


def test_the_console_writes_control_characters_escaped():
    """A terminal interprets ESC sequences (colours, the window title, moving the cursor), and a
    line break would start a forged line: what a client sent, such as the path of its URL, is
    shown escaped, as the JSON format shows it."""
    try:
        raise ValueError("bad\x1b]0;title\x07 input")
    except ValueError as error:
        record = logging.LogRecord(
            "kopdes.access",
            logging.ERROR,
            __file__,
            1,
            "request to %s",
            ("/api/v1/\x1b[2J\r\nFORGED line",),
            (type(error), error, error.__traceback__),
        )
    record.path = "/api/v1/regions/\x1b[31mred\x9b\x00"
    line = build_formatter("console").format(record)

    assert r"/api/v1/regions/\x1b[31mred\x9b\x00" in line
    assert r"request to /api/v1/\x1b[2J\r\nFORGED line" in line
    assert r"bad\x1b]0;title\x07 input" in line
    for raw in ("\x1b[31mred", "\x1b[2J", "\x1b]0;", "\x07", "\x9b", "\r", "\x00"):
        assert raw not in line
    # The traceback keeps its own line breaks; nothing a client sent adds one.
    assert "Traceback (most recent call last)" in line
    assert not any(part.startswith("FORGED") for part in line.splitlines())
