"""The office's words for the service's codes (`../shared/reference/web-app-notes.md`), in
English here and in Indonesian in the catalog; `names()` turns them into the page's language."""

from enum import StrEnum
from typing import Any

from app.errors import N_
from app.models.account import Role
from app.models.budget import DocumentType, RefocusingStatus
from app.models.cooperative import BusinessUnit, LegalMilestone, LegalStage, OfficerRole
from app.models.launch import BoardLevel, CheckInOutcome, DelegateRole, HubStatus, Readiness
from app.models.mentoring import Channel, FollowUpStatus, Responsible, Topic, TrainingStatus
from app.web.i18n import gettext
from planner import Format, HubLevel, Item, NoSignalPolicy, Payer, Unit
from planner import Role as AttendeeRole

_WORDS: dict[type[StrEnum], dict[Any, str]] = {
    LegalStage: {
        LegalStage.none: N_("Not started"),
        LegalStage.sosialisasi: N_("Socialisation"),
        LegalStage.musdesus: N_("Special village meeting"),
        LegalStage.founding_meeting: N_("Founding meeting"),
        LegalStage.notary_deed: N_("Notary deed"),
        LegalStage.sk_ahu_requested: N_("SK AHU requested"),
        LegalStage.sk_ahu_issued: N_("SK AHU issued"),
        LegalStage.registration: N_("Registrations"),
        LegalStage.operating: N_("Operating"),
    },
    Role: {
        Role.admin: N_("Administrator"),
        Role.officer: N_("Officer"),
        Role.viewer: N_("Viewer"),
        Role.cooperative: N_("Cooperative"),
        Role.coordinator: N_("Hub coordinator"),
        Role.integration: N_("Integration"),
    },
    BusinessUnit: {
        BusinessUnit.kantor_koperasi: N_("Cooperative office"),
        BusinessUnit.gerai_sembako: N_("Grocery outlet"),
        BusinessUnit.simpan_pinjam: N_("Savings and loans"),
        BusinessUnit.klinik_desa: N_("Village clinic"),
        BusinessUnit.apotek_desa: N_("Village pharmacy"),
        BusinessUnit.cold_storage_pergudangan: N_("Cold storage and warehousing"),
        BusinessUnit.logistik: N_("Logistics"),
        BusinessUnit.lainnya: N_("Other"),
    },
    Channel: {
        Channel.walk_in: N_("Walk-in"),
        Channel.phone: N_("Phone or WhatsApp"),
        Channel.field_visit: N_("Field visit"),
        Channel.online: N_("Online meeting"),
    },
    Topic: {
        Topic.legalitas: N_("Legal entity"),
        Topic.business_plan: N_("Business plan"),
        Topic.simpan_pinjam: N_("Savings and loans"),
        Topic.bookkeeping: N_("Bookkeeping"),
        Topic.rat: N_("Annual members' meeting (RAT)"),
        Topic.tax: N_("Tax"),
        Topic.permits: N_("Permits"),
        Topic.financing: N_("Financing"),
        Topic.outlet_warehouse: N_("Outlet and warehouse"),
        Topic.digital: N_("Digital tools"),
        Topic.other: N_("Other"),
    },
    FollowUpStatus: {
        FollowUpStatus.open: N_("Open"),
        FollowUpStatus.done: N_("Done"),
        FollowUpStatus.cancelled: N_("Cancelled"),
    },
    Responsible: {
        Responsible.officer: N_("Officer"),
        Responsible.cooperative: N_("Cooperative"),
    },
    TrainingStatus: {
        TrainingStatus.waiting_for_budget: N_("Waiting for budget"),
        TrainingStatus.funded: N_("Funded"),
        TrainingStatus.scheduled: N_("Scheduled"),
        TrainingStatus.held: N_("Held"),
        TrainingStatus.cancelled: N_("Cancelled"),
    },
    OfficerRole: {
        OfficerRole.ketua: N_("Chair"),
        OfficerRole.wakil_ketua: N_("Vice chair"),
        OfficerRole.wakil_ketua_bidang_anggota: N_("Vice chair for members"),
        OfficerRole.wakil_ketua_bidang_usaha: N_("Vice chair for business"),
        OfficerRole.sekretaris: N_("Secretary"),
        OfficerRole.bendahara: N_("Treasurer"),
        OfficerRole.anggota: N_("Member"),
    },
    RefocusingStatus: {
        RefocusingStatus.draft: N_("Draft"),
        RefocusingStatus.submitted: N_("Submitted"),
        RefocusingStatus.approved: N_("Approved"),
        RefocusingStatus.applied: N_("Applied"),
    },
    DocumentType: {
        DocumentType.pergeseran: N_("Shift by the head of region's regulation (Perkada)"),
        DocumentType.perubahan_apbd: N_("Budget amendment (Perda Perubahan APBD)"),
    },
    Format: {
        Format.OFFLINE_CENTRAL: N_("In one venue in Tenggarong"),
        Format.ONLINE: N_("Online"),
        Format.HYBRID_HUBS: N_("Hub watch parties"),
    },
    Payer: {
        Payer.OFFICE: N_("The office"),
        Payer.COOPERATIVES: N_("The cooperatives"),
        Payer.PARTICIPANTS: N_("The participants"),
        Payer.OTHERS: N_("Others"),
    },
    AttendeeRole: {
        AttendeeRole.DELEGATE: N_("Cooperative delegates"),
        AttendeeRole.VILLAGE_HEAD: N_("Village heads"),
        AttendeeRole.OFFICIAL: N_("Officials"),
        AttendeeRole.PRESS: N_("Press"),
    },
    HubLevel: {
        HubLevel.DISTRICT: N_("One hub per district"),
        HubLevel.REGENCY: N_("One hub per regency"),
    },
    Item: {
        Item.TRANSPORT: N_("Transport"),
        Item.LODGING: N_("Lodging"),
        Item.PER_DIEM: N_("Per diem"),
        Item.VENUE: N_("Venue"),
        Item.PRODUCTION: N_("Stage production"),
        Item.COMMITTEE: N_("Committee"),
        Item.MEALS: N_("Meals"),
        Item.LICENCE: N_("Platform licence"),
        Item.STUDIO: N_("Streaming studio"),
        Item.HUB_KIT: N_("Hubs"),
        Item.HUB_HALL: N_("Hub halls"),
        Item.POWER: N_("Generators"),
        Item.CEREMONY: N_("Security and health"),
        Item.DATA: N_("Mobile data"),
        Item.TAX: N_("VAT"),
        Item.CONTINGENCY: N_("Contingency"),
    },
    Unit: {
        Unit.DAY: N_("day"),
        Unit.EVENT: N_("event"),
        Unit.HUB: N_("hub"),
        Unit.PERSON: N_("person"),
        Unit.PERSON_DAY: N_("person-day"),
        Unit.PERSON_EVENT: N_("person per event"),
        Unit.PERSON_HOUR: N_("person-hour"),
        Unit.PERSON_KM: N_("person-km"),
        Unit.PERSON_LEG: N_("person per leg"),
        Unit.PERSON_NIGHT: N_("person-night"),
        Unit.TENT_DAY: N_("tent-day"),
        Unit.CHAIR_DAY: N_("chair-day"),
        Unit.M2_DAY: N_("m² per day"),
        Unit.KIT_EVENT: N_("kit per event"),
        Unit.LICENCE: N_("licence"),
        Unit.ATTENDEE: N_("attendee"),
        Unit.HALL: N_("hall"),
        Unit.GENERATOR_DAY: N_("generator-day"),
        Unit.GUARD_DAY: N_("guard-day"),
        Unit.POST_DAY: N_("post-day"),
        Unit.RUPIAH: N_("rupiah"),
    },
    NoSignalPolicy: {
        NoSignalPolicy.HUB: N_("They travel to a hub with a signal"),
        NoSignalPolicy.UNSERVED: N_("They are left unserved"),
    },
    HubStatus: {
        HubStatus.ready: N_("Ready"),
        HubStatus.at_risk: N_("At risk"),
        HubStatus.not_ready: N_("Not ready"),
    },
    Readiness: {
        Readiness.no_coordinator: N_("No coordinator yet"),
        Readiness.venue_unconfirmed: N_("The venue is not confirmed"),
        Readiness.no_screen: N_("The screen or projector is not ready"),
        Readiness.no_sound: N_("The sound system is not ready"),
        Readiness.no_power: N_("The power (mains or generator) is not ready"),
        Readiness.internet_untested: N_("The internet has not been tested"),
        Readiness.internet_too_slow: N_("The internet is too slow"),
        Readiness.internet_thin_margin: N_("The internet is barely fast enough"),
        Readiness.no_rehearsal: N_("No rehearsal yet"),
    },
    DelegateRole: {
        DelegateRole.ketua: N_("Chair"),
        DelegateRole.pengurus: N_("Board member"),
        DelegateRole.pengawas: N_("Supervisor"),
        DelegateRole.anggota: N_("Member"),
        DelegateRole.manajer: N_("Manager"),
        DelegateRole.pendamping: N_("Mentor"),
    },
    BoardLevel: {
        BoardLevel.hub: N_("Per hub"),
        BoardLevel.district: N_("Per district"),
        BoardLevel.regency: N_("Per regency or city"),
        BoardLevel.province: N_("Per province"),
    },
    CheckInOutcome: {
        CheckInOutcome.checked_in: N_("Checked in"),
        CheckInOutcome.already: N_("Already checked in"),
        CheckInOutcome.unknown: N_("Unknown code"),
    },
}
# A milestone that completes a stage is named as the stage is.
_STAGE_CODES = {stage.value for stage in LegalStage}
_WORDS[LegalMilestone] = {
    **{
        m: _WORDS[LegalStage][LegalStage(m.value)]
        for m in LegalMilestone
        if m.value in _STAGE_CODES
    },
    LegalMilestone.nik_koperasi: N_("NIK koperasi"),
    LegalMilestone.npwp: N_("NPWP"),
    LegalMilestone.nib: N_("NIB"),
    LegalMilestone.bank_account: N_("Bank account"),
}


def name_of(code: StrEnum) -> str:
    """The office's word for `code`, in the page's language."""
    return gettext(_WORDS[type(code)][code])


def names(kind: type[StrEnum]) -> dict[StrEnum, str]:
    """Every member of `kind` with its word, in the page's language and the code's order."""
    return {member: name_of(member) for member in kind}
