"""The web app's languages: Bahasa Indonesia first, English beside it, from Babel catalogs.

The catalogs live in `app/web/translations/<locale>/LC_MESSAGES/messages.po`; `make install`
compiles them (`make i18n-update` refreshes them from the templates and code). Numbers, money and
dates are formatted by Babel for the page's locale, times in the office's zone
(`KOPDES_TIMEZONE`, WITA by default).
"""

from contextvars import ContextVar
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_time, get_timezone
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations, Translations
from fastapi import Request

from app.settings import get_settings
from planner import Text

LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"
LANGUAGE_COOKIE = "bahasa"
CATALOGS = Path(__file__).parent / "translations"

_locale: ContextVar[str] = ContextVar("web_locale", default=DEFAULT_LOCALE)


def negotiate(request: Request) -> str:
    """The page's language: the one the user chose (remembered in a cookie), else the first of
    `Accept-Language` we speak, else Indonesian."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LOCALES:
        return chosen
    return asked_for(request) or DEFAULT_LOCALE


def asked_for(request: Request) -> str | None:
    """The first language of the request's `Accept-Language` that we speak, if any."""
    for tag in _accepted(request.headers.get("Accept-Language", "")):
        language = tag.split("-")[0].lower()
        if language in LOCALES:
            return language
    return None


def _accepted(header: str) -> list[str]:
    """The language tags of an `Accept-Language` header, most wanted first (RFC 9110 §12.5.4)."""
    weighted = []
    for order, item in enumerate(header.split(",")):
        tag, _, parameters = item.strip().partition(";")
        quality = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        if tag and quality > 0:
            weighted.append((-quality, order, tag.strip()))
    return [tag for *_, tag in sorted(weighted)]


def use(locale: str) -> None:
    """From here to the end of the request (each runs in a context of its own), `gettext` and
    the formatters speak `locale`."""
    _locale.set(locale)


def current_locale() -> str:
    return _locale.get()


@cache
def translations(locale: str) -> NullTranslations:
    return Translations.load(CATALOGS, [locale], domain="messages")


def gettext(message: str) -> str:
    return translations(_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_locale.get()).ngettext(singular, plural, n)


def rupiah(amount: int) -> str:
    """`Rp1.250.000`: whole rupiah, as the office writes them."""
    return format_currency(
        amount, "IDR", format="¤#,##0", currency_digits=False, locale=_locale.get()
    )


def number(value: int | float | Decimal | str) -> str:
    """A count or a decimal as the page's language writes it (`1.234,5`); a decimal may come
    as the exact text the API gives it."""
    return format_decimal(value, locale=_locale.get())


def percent(part: int, whole: int) -> str:
    """`part` of `whole` as a whole percentage (`60%`), or a dash when there is no whole."""
    if not whole:
        return "–"
    return format_percent(part / whole, locale=_locale.get())


def say(text: Text) -> str:
    """A sentence of the launch planner in the page's language."""
    return text.render(gettext, number)


def long_date(value: date | str) -> str:
    """`1 Juni 2025`, from a date or the ISO 8601 text the API gives it."""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return format_date(day, "long", locale=_locale.get())


def date_time(value: datetime) -> str:
    """`1 Juni 2025 09.30 WITA`: the moment in the office's time zone."""
    locale, office = _locale.get(), _office_time_zone()
    local = value.astimezone(office)
    time = format_time(local, "short", tzinfo=office, locale=locale)
    zone = format_time(local, "z", tzinfo=office, locale=locale)
    return f"{format_date(local, 'long', locale=locale)} {time} {zone}"


@cache
def _office_time_zone() -> tzinfo:
    return get_timezone(get_settings().timezone)


# Each language in its own words, for the switch.
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}


def office_now() -> datetime:
    """Now, on the office's clock (what a form's date and time fields start at)."""
    return datetime.now(_office_time_zone())


def office_moment(local: str) -> str | None:
    """A form's `datetime-local` value (`2025-06-02T09:30`, the office's clock) as the aware
    ISO 8601 moment the API takes; text that is no such value is passed on, to be refused with
    the field's error."""
    if not local.strip():
        return None
    try:
        moment = datetime.fromisoformat(local)
    except ValueError:
        return local
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_office_time_zone())
    return moment.isoformat()
