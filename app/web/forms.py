"""What the web forms take, and their errors in the page's language next to each field.

A form's rules are its API model's (the same pydantic types); only the words are the page's.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from app.errors import Invalid
from app.models.account import Password
from app.web.i18n import gettext


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str
    new_password: Password
    repeat_password: str

    @field_validator("repeat_password")
    @classmethod
    def _repeated(cls, repeated: str, info: ValidationInfo) -> str:
        if repeated != info.data.get("new_password", repeated):
            raise ValueError("the two new passwords differ")
        return repeated


def field_errors(invalid: ValidationError | Invalid) -> dict[str, str]:
    """Each field's first error, in the page's language; the form's own under `""`."""
    found: dict[str, str] = {}
    if isinstance(invalid, Invalid):
        for error in invalid.errors or [{"loc": [], "msg": invalid.detail}]:
            found.setdefault(_field(error["loc"]), gettext(error["msg"]))
        return found
    for detail in invalid.errors(include_url=False):
        found.setdefault(_field(detail["loc"]), _message(detail))
    return found


def _field(loc: Any) -> str:
    names = [part for part in loc if isinstance(part, str) and part != "body"]
    return names[-1] if names else ""


def _message(error: Any) -> str:
    context = error.get("ctx") or {}
    if error["type"] in ("string_too_short", "too_short"):
        return gettext("Use at least %(count)s characters.") % {"count": context["min_length"]}
    if error["type"] in ("string_too_long", "too_long"):
        return gettext("Use at most %(count)s characters.") % {"count": context["max_length"]}
    if error["type"] == "value_error" and "differ" in error["msg"]:
        return gettext("The two new passwords differ: type the same one twice.")
    return gettext("Check this field.")
