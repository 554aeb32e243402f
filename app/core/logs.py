"""Logging: one line per record, JSON in production, with personal data masked.

Every record, whether from our code, uvicorn, SQLAlchemy or any library, goes through the
root handler installed here, whose structlog `ProcessorFormatter` adds the request id, renders
the exception text and then masks NIKs and Indonesian phone numbers in every field: no code path
can write a log line that skips the masking.
"""

import logging
import re
import sys
from typing import Any, Literal

import structlog
from asgi_correlation_id import correlation_id
from structlog.typing import EventDict, Processor

from app.models.common import mask_phone

LogFormat = Literal["json", "console"]
HANDLER_NAME = "kopdes"

# Not inside a longer run of letters and digits, so that a hex request id stays whole.
_NIK = re.compile(r"(?<![0-9A-Za-z])\d{16}(?![0-9A-Za-z])")
# +62, 62 or 0 then a mobile number (8xx…) or a landline (area code, then the subscriber),
# optionally grouped with spaces or dashes. Letters and dashes around it rule out matching inside
# ids such as UUIDs. A number that merely starts so (6250000000 rupiah) is masked too: a log line
# that hides too much is the safe mistake.
_PHONE = re.compile(r"(?<![\w+-])(?:\+?62|0)[\s-]?[1-9](?:[\s-]?\d){7,11}(?![\w-])")
# Nine digits in a row, or grouped by single spaces or dashes: every NIK and phone number holds
# such a run. Most values hold none, and one search is cheaper than the two substitutions.
_DIGIT_RUN = re.compile(r"\d(?:[\s-]?\d){8}")


def mask_text(text: str) -> str:
    if not _DIGIT_RUN.search(text):
        return text
    text = _NIK.sub(lambda m: m[0][:4] + "*" * 8 + m[0][-4:], text)
    return _PHONE.sub(_masked_phone, text)


def _masked_phone(found: re.Match[str]) -> str:
    """The number as the API masks a stored one (`+62812*****890`), whatever form it was written
    in: masked as written, a short landline (`0542 12345`) would keep every digit."""
    digits = re.sub(r"\D", "", found[0])
    national = digits[1:] if found[0].startswith("0") else digits[2:]
    return mask_phone("+62" + national) or ""


def _mask(value: Any) -> Any:
    if isinstance(value, str):  # the most common, so tested first
        return mask_text(value)
    if value is None or isinstance(value, (bool, float)):
        return value
    if isinstance(value, int):
        masked = mask_text(str(value))
        return value if masked == str(value) else masked
    if isinstance(value, dict):
        return {key: _mask(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_mask(item) for item in value]
    # Any other object is written as its text, so it is masked as text.
    return mask_text(str(value))


def mask_personal_data(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """Masks NIKs and phone numbers in every value, the message and exception text included."""
    return {key: _mask(value) for key, value in event_dict.items()}


# C0 and C1 control characters: ESC (and CSI, 0x9b) start the sequences by which a terminal
# recolours, retitles or clears itself, and a line break starts what looks like another line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
# Rendered as several lines on purpose; what a client sent is escaped within them.
_MULTILINE = {"exception", "stack"}


def _escaped(found: re.Match[str]) -> str:
    return repr(found[0])[1:-1]  # "\x1b", "\n", "\x9b"


def escape_control_characters(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """For the console: text taken from a request (a URL's path, an error message quoting it) is
    written with its control characters escaped, as the JSON format writes them, so that the
    terminal shows them rather than obeys them."""
    return {
        key: (_CONTROL_BUT_NEWLINE if key in _MULTILINE else _CONTROL).sub(_escaped, value)
        if isinstance(value, str)
        else value
        for key, value in event_dict.items()
    }


def _add_request_id(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    request_id = correlation_id.get()
    if request_id is not None:  # None outside a request
        event_dict.setdefault("request_id", request_id)
    return event_dict


def _drop_color_message(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    event_dict.pop("color_message", None)  # uvicorn's message again, with terminal colours
    return event_dict


# Turns a record into an event dict; shared by stdlib records and structlog's own loggers.
_PRE_CHAIN: list[Processor] = [
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),
    _drop_color_message,
    # Which worker process wrote the line.
    structlog.processors.CallsiteParameterAdder([structlog.processors.CallsiteParameter.PROCESS]),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    _add_request_id,
]


def build_formatter(log_format: LogFormat) -> logging.Formatter:
    rendering: list[Processor] = (
        [structlog.processors.JSONRenderer()]
        if log_format == "json"
        else [escape_control_characters, structlog.dev.ConsoleRenderer()]
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_PRE_CHAIN,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.StackInfoRenderer(),
            # Rendered into text before masking, so a NIK in an exception message is caught.
            structlog.processors.format_exc_info,
            mask_personal_data,
            *rendering,
        ],
    )


def configure_logging(log_format: LogFormat, level: str) -> None:
    """Route every logger to one masked handler on stderr. Safe to call again (each app
    factory call does): it replaces its own handler and leaves others alone."""
    # No line says which thread or source line wrote it; the logging docs' "Optimization"
    # section: a record then skips looking these up (its caller's frame above all).
    logging.logThreads = False
    logging.logMultiprocessing = False
    logging._srcfile = None
    handler = logging.StreamHandler(sys.stderr)
    handler.name = HANDLER_NAME
    handler.setFormatter(build_formatter(log_format))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.name == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn installs its own plain-text handlers before it calls the app factory; its records
    # go to ours instead. Our access line (app.http.observability) replaces uvicorn's.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    # structlog's own loggers, should any code use them, end in the same handler.
    structlog.configure(
        processors=[*_PRE_CHAIN, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
