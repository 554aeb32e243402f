"""Every message of the web app has its Indonesian words, and the catalogs hold no stale ones."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "app" / "web" / "translations"


def _messages_in_the_code() -> set[str]:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    # As `make i18n-update` extracts them: an input rule's ValueError is shown next to its field.
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "ValueError": None}
    found = set()
    for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map, keywords=keywords):
        found.update([message] if isinstance(message, str) else message)
    return found


def _texts(message: str | tuple[str, ...]) -> tuple[str, ...]:
    """A message's texts: one, or its singular and plural."""
    return (message,) if isinstance(message, str) else tuple(message)


def _catalog(locale: str):  # type: ignore[no-untyped-def]
    with (CATALOGS / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po)


def test_every_message_has_its_indonesian_words():
    in_code = _messages_in_the_code()
    assert len(in_code) > 40
    indonesian = {text: m for m in _catalog("id") if m.id for text in _texts(m.id)}
    missing = sorted(in_code - indonesian.keys())
    assert not missing, f"not in the Indonesian catalog (make i18n-update): {missing}"
    untranslated = sorted(
        text
        for text in in_code
        if not all(_texts(indonesian[text].string)) or indonesian[text].fuzzy
    )
    assert not untranslated, f"no Indonesian words yet, or fuzzy: {untranslated}"


def test_the_catalogs_hold_only_messages_the_code_uses():
    in_code = _messages_in_the_code()
    for locale in ("id", "en"):
        catalog = _catalog(locale)
        stale = sorted(
            text for m in catalog if m.id for text in _texts(m.id) if text not in in_code
        )
        assert not stale, f"{locale}: messages no code uses (make i18n-update): {stale}"
        assert not catalog.obsolete, f"{locale}: obsolete entries left in the catalog"
