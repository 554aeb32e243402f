"""The office's words for the service's codes (`../shared/reference/web-app-notes.md`), in
English here and in Indonesian in the catalog; `gettext` turns each into the page's language."""

from app.errors import N_
from app.models.account import Role
from app.models.cooperative import LegalStage
from app.web.i18n import gettext

_STAGES = {
    LegalStage.none: N_("Not started"),
    LegalStage.sosialisasi: N_("Socialisation"),
    LegalStage.musdesus: N_("Special village meeting"),
    LegalStage.founding_meeting: N_("Founding meeting"),
    LegalStage.notary_deed: N_("Notary deed"),
    LegalStage.sk_ahu_requested: N_("SK AHU requested"),
    LegalStage.sk_ahu_issued: N_("SK AHU issued"),
    LegalStage.registration: N_("Registrations"),
    LegalStage.operating: N_("Operating"),
}
_ROLES = {
    Role.admin: N_("Administrator"),
    Role.officer: N_("Officer"),
    Role.viewer: N_("Viewer"),
    Role.cooperative: N_("Cooperative"),
    Role.integration: N_("Integration"),
}


def stage_names() -> dict[LegalStage, str]:
    return {stage: gettext(name) for stage, name in _STAGES.items()}


def role_names() -> dict[Role, str]:
    return {role: gettext(name) for role, name in _ROLES.items()}
