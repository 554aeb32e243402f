"""Every message of the web app, every problem of the API and every text of the launch planner
has its Indonesian words, with the same values in them; the catalogs hold no stale ones; and no
problem or planner text is written with an f-string, which no catalog could hold."""

import ast
import re
from pathlib import Path
from string import Formatter

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "app" / "web" / "translations"


def _messages_in_the_code() -> set[str]:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords: dict[str, tuple[int, ...] | None] = {"_": None, "gettext": None, "ngettext": (1, 2)}
    keywords.update(_extra_keywords())
    found = set()
    for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map, keywords=keywords):
        found.update([message] if isinstance(message, str) else message)
    return found


def _extra_keywords() -> dict[str, tuple[int, ...] | None]:
    """The `-k` keywords of `make i18n-update` (the Makefile's I18N_KEYWORDS)."""
    makefile = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    (line,) = re.findall(r"^I18N_KEYWORDS := (.*)$", makefile, flags=re.MULTILINE)
    keywords: dict[str, tuple[int, ...] | None] = {}
    for spec in re.findall(r"-k (\S+)", line):
        name, _, position = spec.partition(":")
        keywords[name] = (int(position),) if position else None
    return keywords


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


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def test_a_translation_keeps_every_value_of_its_message():
    # A problem's message names its values as {fields}: a translation that dropped or renamed
    # one would fail at the moment someone asks for Indonesian.
    for message in _catalog("id"):
        if message.id and isinstance(message.id, str) and "{" in message.id and message.string:
            assert _fields(message.string) == _fields(message.id), message.id


def test_no_problem_or_planner_text_is_written_with_an_f_string():
    problems = {
        name: position
        for name, position in _extra_keywords().items()
        if name not in ("N_", "ValueError")
    }
    found = []
    for path in sorted([*(ROOT / "app").rglob("*.py"), *(ROOT / "planner").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            called = node.func.attr if isinstance(node.func, ast.Attribute) else None
            called = called or getattr(node.func, "id", None)
            if called not in problems:
                continue
            index = problems[called][0] - 1 if problems[called] else 0
            message = node.args[index] if len(node.args) > index else None
            if message is not None and any(
                isinstance(part, ast.JoinedStr) for part in ast.walk(message)
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, f"f-strings as problem messages (use params=): {found}"


def test_every_import_problem_reaches_the_catalog():
    """Babel's extractor can lose a call: it missed `errors.row(row.number, ..., row=...)`, whose
    message then stayed English on Indonesian pages. The syntax tree does not lose it: every
    literal message of an `ImportErrors.row` or `.query` call must be in the catalog."""
    extracted = _messages_in_the_code()
    missed = []
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            position = {"row": 2, "query": 1}.get(node.func.attr)
            if position is None or len(node.args) <= position:
                continue
            message = node.args[position]
            literal = isinstance(message, ast.Constant) and isinstance(message.value, str)
            if literal and message.value not in extracted:
                missed.append(f"{path.relative_to(ROOT)}:{node.lineno}: {message.value!r}")
    assert not missed, (
        "messages babel did not extract (rename a variable called row):\n" + "\n".join(missed)
    )
