"""Who may call which route: the one table every route must appear in.

A test walks `app.routes` and fails for any route missing here, and another runs every role
against every route. Region scoping (which records) is enforced in the services; this table
decides only which operations a role may call at all.
"""

from enum import StrEnum

from app.models.account import ApiScope, Role


class Permission(StrEnum):
    public = "public"  # no credentials needed
    authenticated = "authenticated"  # any valid user or API key
    regions_read = "regions_read"
    cooperatives_read = "cooperatives_read"
    cooperatives_create = "cooperatives_create"
    cooperatives_update = "cooperatives_update"
    cooperatives_delete = "cooperatives_delete"
    legal_write = "legal_write"
    officers_read = "officers_read"
    officers_write = "officers_write"
    nik_read = "nik_read"
    stats_read = "stats_read"
    targets_write = "targets_write"
    planner_use = "planner_use"
    launch_plans_write = "launch_plans_write"
    launches_read = "launches_read"
    launches_write = "launches_write"
    launch_hubs_ready = "launch_hubs_ready"
    launch_registrations_write = "launch_registrations_write"
    launch_check_in = "launch_check_in"
    consultations_read = "consultations_read"
    consultations_create = "consultations_create"
    consultations_write = "consultations_write"
    exports_read = "exports_read"
    trainings_read = "trainings_read"
    trainings_write = "trainings_write"
    calendar_read = "calendar_read"
    budget_read = "budget_read"
    budget_write = "budget_write"
    budget_approve = "budget_approve"
    users_manage = "users_manage"
    api_keys_manage = "api_keys_manage"
    audit_read = "audit_read"


P = Permission
_READ = {
    P.regions_read,
    P.cooperatives_read,
    P.officers_read,
    P.stats_read,
    P.planner_use,
    P.consultations_read,
    P.exports_read,
    P.trainings_read,
    P.calendar_read,
    P.budget_read,
    P.launches_read,
}
_OFFICE_WRITE = {
    P.cooperatives_create,
    P.cooperatives_update,
    P.cooperatives_delete,
    P.legal_write,
    P.officers_write,
    P.nik_read,
    P.consultations_create,
    P.consultations_write,
    P.trainings_write,
    P.budget_write,
    P.launch_plans_write,
    P.launches_write,
    P.launch_hubs_ready,
    P.launch_registrations_write,
    P.launch_check_in,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.admin: frozenset(
        # The head of office approves refocusings (maker-checker: never their own) and sets
        # the office's SK AHU targets.
        _READ
        | _OFFICE_WRITE
        | {P.users_manage, P.api_keys_manage, P.audit_read, P.budget_approve, P.targets_write}
    ),
    Role.officer: frozenset(_READ | _OFFICE_WRITE),
    Role.viewer: frozenset(_READ),
    # Bound to one cooperative by the services; may change a documented subset of its fields.
    Role.cooperative: frozenset(
        {
            P.regions_read,
            P.cooperatives_read,
            P.cooperatives_update,
            P.officers_read,
            P.officers_write,
            P.consultations_read,
            P.consultations_create,  # as a request the office accepts or declines
            P.trainings_read,  # only the trainings its cooperative is invited to
            P.launches_read,  # the launches around it, and its own delegates
            P.launch_registrations_write,  # its own delegates
        }
    ),
    # Bound to the hubs given to them by the services: readies them and checks people in there.
    Role.coordinator: frozenset({P.launches_read, P.launch_hubs_ready, P.launch_check_in}),
    Role.integration: frozenset(),  # an API key's permissions come from its scopes
}

API_SCOPE_PERMISSIONS: dict[ApiScope, frozenset[Permission]] = {
    ApiScope.regions_read: frozenset({P.regions_read}),
    ApiScope.cooperatives_read: frozenset({P.cooperatives_read}),
    # Officers are people: their names and masked contacts need a scope of their own.
    ApiScope.officers_read: frozenset({P.officers_read}),
    ApiScope.stats_read: frozenset({P.stats_read}),
    ApiScope.planner_use: frozenset({P.planner_use}),
}

_COOP = "/api/v1/cooperatives/{cooperative_id}"
_OFFICER = _COOP + "/officers/{officer_id}"
_TRAINING = "/api/v1/trainings/{training_id}"
_LAUNCH = "/api/v1/launches/{launch_id}"
_HUB = _LAUNCH + "/hubs/{hub_id}"
_REGISTRATION = _LAUNCH + "/registrations/{registration_id}"

ROUTE_PERMISSIONS: dict[tuple[str, str], Permission] = {
    ("GET", "/healthz"): P.public,
    ("GET", "/readyz"): P.public,
    # Not an API operation: the route checks KOPDES_METRICS_TOKEN itself
    # (app/http/observability.py).
    ("GET", "/metrics"): P.public,
    ("GET", "/docs"): P.public,
    ("GET", "/redoc"): P.public,
    # The web app's pages (app/web/pages.py).
    ("GET", "/masuk"): P.public,
    ("POST", "/masuk"): P.public,
    ("POST", "/keluar"): P.public,
    ("POST", "/bahasa"): P.public,
    ("GET", "/akun"): P.authenticated,
    ("POST", "/akun"): P.authenticated,
    ("GET", "/"): P.stats_read,
    ("POST", "/target-sk-ahu"): P.targets_write,
    ("POST", "/target-sk-ahu/{target_id}/hapus"): P.targets_write,
    ("GET", "/koperasi"): P.cooperatives_read,
    ("GET", "/koperasi/unduh"): P.exports_read,
    ("GET", "/koperasi/{cooperative_id}"): P.cooperatives_read,
    ("POST", "/koperasi/{cooperative_id}/tahapan"): P.legal_write,
    ("GET", "/koperasi/{cooperative_id}/ubah"): P.cooperatives_update,
    ("POST", "/koperasi/{cooperative_id}/ubah"): P.cooperatives_update,
    ("GET", "/koperasi/{cooperative_id}/pengurus/{officer_id}/nik"): P.nik_read,
    ("POST", "/koperasi/{cooperative_id}/pengurus/{officer_id}/nik"): P.nik_read,
    ("GET", "/meja"): P.consultations_create,
    ("GET", "/meja/pilihan"): P.consultations_create,
    ("POST", "/meja"): P.consultations_create,
    ("GET", "/konsultasi/{consultation_id}"): P.consultations_read,
    ("GET", "/tindak-lanjut"): P.consultations_read,
    ("POST", "/tindak-lanjut/{follow_up_id}"): P.consultations_write,
    ("GET", "/unduh"): P.exports_read,
    ("GET", "/unduh/konsultasi"): P.exports_read,
    ("GET", "/unduh/pelatihan"): P.exports_read,
    # The budget summary is budget data, as its API export is.
    ("GET", "/unduh/anggaran"): P.budget_read,
    ("GET", "/rencana"): P.planner_use,
    ("POST", "/rencana"): P.planner_use,
    ("POST", "/rencana/simpan"): P.launch_plans_write,
    ("GET", "/rencana/banding"): P.planner_use,
    ("GET", "/rencana/{plan_id}"): P.planner_use,
    ("POST", "/rencana/{plan_id}/hapus"): P.launch_plans_write,
    # Launch day (app/web/launches.py).
    ("GET", "/peluncuran"): P.launches_read,
    ("POST", "/peluncuran"): P.launches_write,
    ("GET", "/peluncuran/{launch_id}"): P.launches_read,
    ("POST", "/peluncuran/{launch_id}/ubah"): P.launches_write,
    ("GET", "/peluncuran/{launch_id}/hub/{hub_id}"): P.launches_read,
    ("POST", "/peluncuran/{launch_id}/hub/{hub_id}/kesiapan"): P.launch_hubs_ready,
    ("POST", "/peluncuran/{launch_id}/hub/{hub_id}/ubah"): P.launches_write,
    ("POST", "/peluncuran/{launch_id}/hub/{hub_id}/delegasi"): P.launch_registrations_write,
    ("POST", "/peluncuran/{launch_id}/hub/{hub_id}/delegasi/{registration_id}/pindah"): (
        P.launch_registrations_write
    ),
    ("POST", "/peluncuran/{launch_id}/hub/{hub_id}/delegasi/{registration_id}/batal"): (
        P.launch_registrations_write
    ),
    ("GET", "/peluncuran/{launch_id}/hub/{hub_id}/check-in"): P.launch_check_in,
    ("POST", "/peluncuran/{launch_id}/hub/{hub_id}/check-in"): P.launch_check_in,
    ("GET", "/peluncuran/{launch_id}/papan"): P.launches_read,
    ("GET", "/peluncuran/{launch_id}/papan/stream"): P.launches_read,
    ("GET", "/peluncuran/{launch_id}/impor"): P.launch_registrations_write,
    ("POST", "/peluncuran/{launch_id}/impor"): P.launch_registrations_write,
    ("GET", "/peluncuran/{launch_id}/kehadiran"): P.launches_read,
    # What a launch cost is budget data, as the API's own routes say.
    ("GET", "/peluncuran/{launch_id}/biaya"): P.budget_read,
    ("POST", "/peluncuran/{launch_id}/biaya"): P.budget_write,
    ("GET", "/peluncuran/{launch_id}/biaya/katalog"): P.budget_read,
    ("GET", "/anggaran"): P.budget_read,
    ("POST", "/anggaran"): P.budget_write,
    ("GET", "/anggaran/impor"): P.budget_write,
    ("POST", "/anggaran/impor"): P.budget_write,
    ("GET", "/pergeseran"): P.budget_read,
    ("GET", "/pergeseran/baru"): P.budget_write,
    ("POST", "/pergeseran/baru"): P.budget_write,
    ("GET", "/pergeseran/{refocusing_id}"): P.budget_read,
    ("POST", "/pergeseran/{refocusing_id}/ajukan"): P.budget_write,
    ("POST", "/pergeseran/{refocusing_id}/setujui"): P.budget_approve,
    ("POST", "/pergeseran/{refocusing_id}/terapkan"): P.budget_write,
    ("POST", "/pergeseran/{refocusing_id}/balik"): P.budget_write,
    ("GET", "/pelatihan"): P.trainings_read,
    ("GET", "/pelatihan/baru"): P.trainings_write,
    ("POST", "/pelatihan/baru"): P.trainings_write,
    ("GET", "/pelatihan/{training_id}"): P.trainings_read,
    ("POST", "/pelatihan/{training_id}/langkah"): P.trainings_write,
    ("POST", "/pelatihan/{training_id}/undangan"): P.trainings_write,
    ("GET", "/pelatihan/{training_id}/hadir"): P.trainings_read,
    ("POST", "/pelatihan/{training_id}/hadir"): P.trainings_write,
    ("GET", "/pelatihan/{training_id}/daftar-hadir"): P.trainings_read,
    # Kalender and Admin (app/web/calendar.py, app/web/admin.py): as their API routes.
    ("GET", "/kalender"): P.calendar_read,
    ("POST", "/kalender/tautan"): P.calendar_read,
    ("POST", "/kalender/cabut"): P.calendar_read,
    ("GET", "/admin/pengguna"): P.users_manage,
    ("GET", "/admin/pengguna/baru"): P.users_manage,
    ("POST", "/admin/pengguna/baru"): P.users_manage,
    ("GET", "/admin/pengguna/{user_id}"): P.users_manage,
    ("POST", "/admin/pengguna/{user_id}/peran"): P.users_manage,
    ("POST", "/admin/pengguna/{user_id}/sandi"): P.users_manage,
    ("POST", "/admin/pengguna/{user_id}/status"): P.users_manage,
    ("GET", "/admin/kunci-api"): P.api_keys_manage,
    ("POST", "/admin/kunci-api"): P.api_keys_manage,
    ("POST", "/admin/kunci-api/{api_key_id}/cabut"): P.api_keys_manage,
    ("GET", "/admin/audit"): P.audit_read,
    ("POST", "/api/v1/auth/token"): P.public,
    ("POST", "/api/v1/auth/refresh"): P.public,
    ("POST", "/api/v1/auth/logout"): P.public,
    ("GET", "/api/v1/auth/me"): P.authenticated,
    ("GET", "/api/v1/regions"): P.regions_read,
    ("GET", "/api/v1/regions/{code}"): P.regions_read,
    ("GET", "/api/v1/cooperatives"): P.cooperatives_read,
    ("POST", "/api/v1/cooperatives"): P.cooperatives_create,
    ("POST", "/api/v1/cooperatives/import"): P.cooperatives_create,
    ("GET", _COOP): P.cooperatives_read,
    ("PATCH", _COOP): P.cooperatives_update,
    ("DELETE", _COOP): P.cooperatives_delete,
    ("GET", _COOP + "/legal-events"): P.cooperatives_read,
    ("POST", _COOP + "/legal-events"): P.legal_write,
    ("GET", _COOP + "/officers"): P.officers_read,
    ("POST", _COOP + "/officers"): P.officers_write,
    ("GET", _OFFICER): P.officers_read,
    ("PATCH", _OFFICER): P.officers_write,
    ("DELETE", _OFFICER): P.officers_write,
    ("GET", _OFFICER + "/nik"): P.nik_read,
    ("GET", "/api/v1/stats/legal-progress"): P.stats_read,
    ("GET", "/api/v1/stats/mentoring"): P.stats_read,
    ("GET", "/api/v1/stats/headline"): P.stats_read,
    ("GET", "/api/v1/sk-ahu-targets"): P.stats_read,
    ("POST", "/api/v1/sk-ahu-targets"): P.targets_write,
    ("GET", "/api/v1/sk-ahu-targets/{target_id}"): P.stats_read,
    ("DELETE", "/api/v1/sk-ahu-targets/{target_id}"): P.targets_write,
    ("GET", "/api/v1/sk-ahu-targets/{target_id}/progress"): P.stats_read,
    ("POST", "/api/v1/planner/launch-comparison"): P.planner_use,
    ("POST", "/api/v1/planner/launch-comparison/chart"): P.planner_use,
    ("GET", "/api/v1/planner/catalog"): P.planner_use,
    ("GET", "/api/v1/launch-plans"): P.planner_use,
    ("POST", "/api/v1/launch-plans"): P.launch_plans_write,
    ("GET", "/api/v1/launch-plans/{plan_id}"): P.planner_use,
    ("DELETE", "/api/v1/launch-plans/{plan_id}"): P.launch_plans_write,
    ("GET", "/api/v1/launches"): P.launches_read,
    ("POST", "/api/v1/launches"): P.launches_write,
    ("GET", _LAUNCH): P.launches_read,
    ("PATCH", _LAUNCH): P.launches_write,
    ("GET", _LAUNCH + "/board"): P.launches_read,
    ("GET", _LAUNCH + "/board/stream"): P.launches_read,
    ("GET", _LAUNCH + "/attendance"): P.launches_read,
    # What a launch cost is budget data, as the budget's own routes are.
    ("GET", _LAUNCH + "/costs"): P.budget_read,
    ("POST", _LAUNCH + "/costs"): P.budget_write,
    ("GET", _LAUNCH + "/costs/catalog"): P.budget_read,
    ("GET", _LAUNCH + "/hubs"): P.launches_read,
    ("POST", _LAUNCH + "/hubs"): P.launches_write,
    ("GET", _HUB): P.launches_read,
    ("PATCH", _HUB): P.launches_write,
    ("PATCH", _HUB + "/readiness"): P.launch_hubs_ready,
    ("POST", _HUB + "/check-ins"): P.launch_check_in,
    ("GET", _LAUNCH + "/registrations"): P.launches_read,
    ("POST", _LAUNCH + "/registrations"): P.launch_registrations_write,
    ("POST", _LAUNCH + "/registrations/import"): P.launch_registrations_write,
    ("GET", _REGISTRATION): P.launches_read,
    ("PATCH", _REGISTRATION): P.launch_registrations_write,
    ("DELETE", _REGISTRATION): P.launch_registrations_write,
    ("GET", _REGISTRATION + "/qr"): P.launches_read,
    ("GET", "/api/v1/consultations"): P.consultations_read,
    ("POST", "/api/v1/consultations"): P.consultations_create,
    ("GET", "/api/v1/consultations/{consultation_id}"): P.consultations_read,
    ("PATCH", "/api/v1/consultations/{consultation_id}"): P.consultations_write,
    ("DELETE", "/api/v1/consultations/{consultation_id}"): P.consultations_write,
    ("POST", "/api/v1/consultations/{consultation_id}/accept"): P.consultations_write,
    ("POST", "/api/v1/consultations/{consultation_id}/decline"): P.consultations_write,
    ("POST", "/api/v1/consultations/{consultation_id}/follow-ups"): P.consultations_write,
    ("GET", "/api/v1/follow-ups"): P.consultations_read,
    ("GET", "/api/v1/follow-ups/{follow_up_id}"): P.consultations_read,
    ("PATCH", "/api/v1/follow-ups/{follow_up_id}"): P.consultations_write,
    ("GET", "/api/v1/trainings"): P.trainings_read,
    ("POST", "/api/v1/trainings"): P.trainings_write,
    ("GET", _TRAINING): P.trainings_read,
    ("PATCH", _TRAINING): P.trainings_write,
    ("POST", _TRAINING + "/transitions"): P.trainings_write,
    ("GET", _TRAINING + "/invitations"): P.trainings_read,
    ("POST", _TRAINING + "/invitations"): P.trainings_write,
    ("GET", _TRAINING + "/attendance"): P.trainings_read,
    ("POST", _TRAINING + "/attendance"): P.trainings_write,
    ("GET", "/api/v1/calendar.ics"): P.calendar_read,
    ("POST", "/api/v1/calendar/feed-token"): P.calendar_read,
    ("POST", "/api/v1/calendar/feed-token/revoke"): P.calendar_read,
    # A phone calendar cannot send a header: the route checks the signed feed token in its
    # required `token` parameter itself (app/routers/calendar.py).
    ("GET", "/api/v1/calendar/feed.ics"): P.public,
    ("GET", "/api/v1/exports/cooperatives"): P.exports_read,
    ("GET", "/api/v1/exports/consultations"): P.exports_read,
    ("GET", "/api/v1/exports/trainings"): P.exports_read,
    # The budget summary is budget data: whoever may read the budget may export it.
    ("GET", "/api/v1/exports/budget-summary"): P.budget_read,
    ("GET", "/api/v1/budget-lines"): P.budget_read,
    ("POST", "/api/v1/budget-lines"): P.budget_write,
    ("POST", "/api/v1/budget-lines/import"): P.budget_write,
    ("GET", "/api/v1/budget-lines/{line_id}"): P.budget_read,
    ("GET", "/api/v1/budget/summary"): P.budget_read,
    ("GET", "/api/v1/refocusings"): P.budget_read,
    ("POST", "/api/v1/refocusings"): P.budget_write,
    ("GET", "/api/v1/refocusings/{refocusing_id}"): P.budget_read,
    ("PATCH", "/api/v1/refocusings/{refocusing_id}"): P.budget_write,
    ("POST", "/api/v1/refocusings/{refocusing_id}/submit"): P.budget_write,
    ("POST", "/api/v1/refocusings/{refocusing_id}/approve"): P.budget_approve,
    ("POST", "/api/v1/refocusings/{refocusing_id}/apply"): P.budget_write,
    ("POST", "/api/v1/refocusings/{refocusing_id}/reverse"): P.budget_write,
    ("GET", "/api/v1/users"): P.users_manage,
    ("POST", "/api/v1/users"): P.users_manage,
    ("GET", "/api/v1/users/{user_id}"): P.users_manage,
    ("PATCH", "/api/v1/users/{user_id}"): P.users_manage,
    ("GET", "/api/v1/api-keys"): P.api_keys_manage,
    ("POST", "/api/v1/api-keys"): P.api_keys_manage,
    ("GET", "/api/v1/api-keys/{api_key_id}"): P.api_keys_manage,
    ("DELETE", "/api/v1/api-keys/{api_key_id}"): P.api_keys_manage,
    ("GET", "/api/v1/audit-events"): P.audit_read,
}
