"""Finding full NIKs and phone numbers where they must not be: in responses and logs
(UU 27/2022). Phone numbers are found by libphonenumber, not by the app's own pattern."""

import json
import re
from typing import Any

import phonenumbers
from stdnum.id import nik as stdnum_nik

# 16-digit values that are not a person's NIK, by the JSON field that holds them.
NOT_PERSONAL = {"npwp", "nik_koperasi", "nib"}
# Not in a longer run of letters and digits (a hex request id can hold sixteen digits in a
# row), nor after a decimal point (the digits of a fraction, as on /metrics).
_SIXTEEN_DIGITS = re.compile(r"(?<![0-9A-Za-z.])\d{16}(?![0-9A-Za-z])")
# Nine digits in three groups at least: only such text can hold a phone number, and the
# phone number matcher is too slow to run over every log line.
_MAYBE_PHONE = re.compile(r"\d{3}[\s-]?\d{3}[\s-]?\d{3}")


def nik_like(text: str) -> list[str]:
    return [run for run in _SIXTEEN_DIGITS.findall(text) if stdnum_nik.is_valid(run)]


def leaked_niks(body: str, known: set[str]) -> list[str]:
    """Every known NIK in `body`, and every valid-looking NIK outside the fields that are not
    personal (an NPWP or a cooperative's number can look like a NIK)."""
    leaks = [nik for nik in known if nik in body]
    try:
        document = json.loads(body)
    except ValueError:
        return leaks + nik_like(body)
    return leaks + [run for value in _personal_strings(document) for run in nik_like(value)]


def _personal_strings(node: Any, key: str | None = None) -> list[str]:
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in _personal_strings(v, k)]
    if isinstance(node, list):
        return [s for item in node for s in _personal_strings(item, key)]
    if isinstance(node, str) and key not in NOT_PERSONAL:
        return [node]
    return []


def phone_like(text: str) -> list[str]:
    if not _MAYBE_PHONE.search(text):
        return []
    return [
        match.raw_string
        for match in phonenumbers.PhoneNumberMatcher(text, "ID")
        if _long_enough(match.raw_string)
        and not text[max(match.start - 1, 0) : match.start].isalnum()
        and not text[match.end : match.end + 1].isalnum()
    ]


def leaked_phones(text: str, known: set[str]) -> list[str]:
    """Every known phone number in `text`, as sent or in its +62 form, and every other
    Indonesian phone number it holds."""
    forms = {form for phone in known for form in (phone, _e164(phone)) if _long_enough(form)}
    return [phone for phone in forms if phone in text] + phone_like(text)


def _long_enough(number: str | None) -> bool:
    # A person's number has nine digits or more; shorter runs (an id such as 12345, or a
    # refused "phone" a test sent) turn up in any text.
    return number is not None and len(re.sub(r"\D", "", number)) >= 9


def _e164(phone: str) -> str | None:
    try:
        number = phonenumbers.parse(phone, "ID")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
