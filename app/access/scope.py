"""Region scope: which records exist for a caller (BOLA), in one place.

A caller's scope is a Kemendagri region code (`64.02`, Kukar), `""` for the whole country: it
reaches the codes that are the scope or lie inside it (`64.02.06`), never a wider one (`64`).
A cooperative's account also reaches only its own cooperative's records, where a record has
one. Records out of reach answer as if they did not exist.

This is the only module that reads a caller's scope (a test checks): the services ask it for
a yes/no on a code, a 422 for a code a request brings, or the SQL conditions of their queries.
"""

from typing import Any

from sqlalchemy import BindParameter, ColumnElement, String, bindparam, literal, or_, select
from sqlmodel import col

from app.access.auth import Caller, unbound_cooperative_account
from app.core.sql import level_column
from app.errors import N_, Invalid
from app.models.account import ApiKey, Role, UserAccount
from app.models.common import table_of
from app.models.cooperative import Cooperative
from app.models.launch import Launch, LaunchHub, LaunchRegistration

_COOPERATIVES = table_of(Cooperative).c


# --- yes/no -----------------------------------------------------------------------------------


def lies_within(code: str, scope: str) -> bool:
    """Whether region `code` lies within the region scope `scope` (`""` is the whole country)."""
    return scope == "" or code == scope or code.startswith(scope + ".")


def in_caller_scope(caller: Caller, code: str) -> bool:
    return lies_within(code, caller.principal.region_scope)


def account_reaches(account: UserAccount, code: str) -> bool:
    """Whether region `code` lies within the scope of `account` (one being given a task)."""
    return lies_within(code, account.region_scope)


def caller_region(caller: Caller) -> str | None:
    """The region the caller's scope is, None for the whole country."""
    return caller.principal.region_scope or None


# --- refusals ---------------------------------------------------------------------------------


# How a refusal of a code for lying outside the caller's scope is worded (`code`, `scope`).
OUTSIDE_CALLER_SCOPE = N_("{code} lies outside your region ({scope})")


def outside_caller_scope(caller: Caller, code: str) -> dict[str, str]:
    """The values of `OUTSIDE_CALLER_SCOPE` for a refusal of `code`."""
    return {"code": code, "scope": caller.principal.region_scope}


def check_in_caller_scope(caller: Caller, code: str, loc: list[str | int]) -> None:
    """A 422 on the field at `loc` unless region `code` lies within the caller's scope."""
    if not in_caller_scope(caller, code):
        raise Invalid.field(loc, OUTSIDE_CALLER_SCOPE, params=outside_caller_scope(caller, code))


def check_grantable_scope(caller: Caller, scope: str) -> None:
    """A 422 on `region_scope` unless an account or key given `scope` would reach no further
    than the caller: nobody hands out more than they hold."""
    if not in_caller_scope(caller, scope):
        raise Invalid.field(
            ["body", "region_scope"],
            "must lie within your own scope ({scope!r})",
            params={"scope": caller.principal.region_scope},
        )


# --- SQL --------------------------------------------------------------------------------------


def code_in_region(column: Any, region: str | BindParameter[str]) -> ColumnElement[bool]:
    """The code in `column`, of any level, is `region` (a code, or one bound later) or lies
    inside it."""
    return or_(column == region, column.startswith(region + "."))


def code_in_caller_scope(caller: Caller, column: Any) -> list[ColumnElement[bool]]:
    """Conditions (none for the whole country) that the code in `column`, of any level, lies
    within the caller's scope."""
    scope = caller.principal.region_scope
    return [code_in_region(column, scope)] if scope else []


def levels_in_region(columns: Any, region: str) -> ColumnElement[bool]:
    """The record whose level columns (`province_code` ... `village_code`) are among `columns`
    lies in `region`: an indexed equality on the column of `region`'s level."""
    return level_column(columns, len(region)) == region


def levels_in_caller_scope(caller: Caller, columns: Any) -> list[ColumnElement[bool]]:
    """Conditions (none for the whole country) that the record whose level columns are among
    `columns` lies within the caller's scope."""
    scope = caller.principal.region_scope
    return [levels_in_region(columns, scope)] if scope else []


def credentials_in_caller_scope(
    caller: Caller, credential: type[UserAccount] | type[ApiKey]
) -> list[ColumnElement[bool]]:
    """Conditions that user accounts or API keys (`credential`) have a scope within the
    caller's: an office manages only the credentials it could have issued."""
    return code_in_caller_scope(caller, credential.region_scope)


# --- a cooperative's own account --------------------------------------------------------------


def own_cooperative_id(caller: Caller) -> int:
    """The cooperative a cooperative account is bound to; a 403 when it is bound to none.
    Conditions take it from here, never from the principal: compared with None, SQL would read
    `IS NULL` and match every record of no cooperative."""
    cooperative_id = caller.principal.cooperative_id
    if cooperative_id is None:
        raise unbound_cooperative_account()
    return cooperative_id


def of_own_cooperative(caller: Caller, column: Any) -> list[ColumnElement[bool]]:
    """For a cooperative's account, the condition that `column` holds its own cooperative's id;
    none for other callers."""
    if caller.role is Role.cooperative:
        return [column == own_cooperative_id(caller)]
    return []


def sees_cooperative(caller: Caller, cooperative: Cooperative) -> bool:
    """Whether a loaded `cooperative` exists for the caller, by the rule of
    `cooperative_scope_values`."""
    return in_caller_scope(caller, cooperative.village_code) and (
        caller.role is not Role.cooperative or cooperative.id == own_cooperative_id(caller)
    )


# --- launch day ------------------------------------------------------------------------------
# A launch belongs to an office's region, and its hubs and registrations lie in regions of their
# own: a national launch has hubs in every regency. An office sees the launches of its region
# and of the regions around it, and of those only the hubs and registrations within its own; a
# hub's coordinator sees the launches and hubs they coordinate, and whoever registered there.


def _coordinated_hubs(caller: Caller) -> Any:
    return select(col(LaunchHub.id)).where(col(LaunchHub.coordinator_id) == caller.principal.id)


def launches_in_caller_reach(caller: Caller) -> list[ColumnElement[bool]]:
    """Conditions on `launch`: its region holds the caller's or lies within it; for a
    coordinator, one of its hubs is theirs."""
    if caller.role is Role.coordinator:
        hubs = select(col(LaunchHub.launch_id)).where(
            col(LaunchHub.coordinator_id) == caller.principal.id
        )
        return [col(Launch.id).in_(hubs)]
    scope = caller.principal.region_scope
    return [_launch_reaches(literal(scope))] if scope else []


def _launch_reaches(scope: BindParameter[str]) -> ColumnElement[bool]:
    """`launch`'s region holds the region `scope` or lies within it."""
    region = col(Launch.region)
    return or_(code_in_region(region, scope), region == "", scope.startswith(region + "."))


def runs_launch(caller: Caller, launch: Launch) -> bool:
    """Whether the caller's office is the one the launch belongs to (or holds its region)."""
    return caller.role is not Role.coordinator and in_caller_scope(caller, launch.region)


def hubs_in_caller_reach(caller: Caller) -> list[ColumnElement[bool]]:
    """Conditions on `launch_hub`: it serves a region within the caller's; for a coordinator,
    it is theirs."""
    if caller.role is Role.coordinator:
        return [col(LaunchHub.coordinator_id) == caller.principal.id]
    return code_in_caller_scope(caller, LaunchHub.region_code)


def reach_key(caller: Caller) -> tuple[Any, ...]:
    """What decides which hubs and delegates the caller reaches: callers with the same key see
    the same board."""
    principal = caller.principal
    if caller.role is Role.coordinator:
        return (caller.role, principal.id)
    return (caller.role is Role.cooperative, principal.region_scope, principal.cooperative_id)


def hub_reach_values(caller: Caller) -> dict[str, Any]:
    """The caller's reach over hubs, as named values for a statement built once per shape
    (`hub_reach_conditions`): `coordinator` for a coordinator, `scope` for an office below the
    whole country."""
    if caller.role is Role.coordinator:
        return {"coordinator": caller.principal.id}
    scope = caller.principal.region_scope
    return {"scope": scope} if scope else {}


def hub_reach_conditions(names: tuple[str, ...]) -> list[ColumnElement[bool]]:
    """The conditions on `launch_hub` and its `launch` that the values `names` (from
    `hub_reach_values`) put, as `hubs_in_caller_reach` and `launches_in_caller_reach` do; a
    coordinator's own hub is of a launch they see."""
    if "coordinator" in names:
        return [col(LaunchHub.coordinator_id) == bindparam("coordinator")]
    if "scope" in names:
        scope = bindparam("scope", type_=String)
        return [code_in_region(col(LaunchHub.region_code), scope), _launch_reaches(scope)]
    return []


def coordinates(caller: Caller, hub: LaunchHub) -> bool:
    return caller.role is Role.coordinator and hub.coordinator_id == caller.principal.id


def registrations_in_caller_reach(caller: Caller) -> list[ColumnElement[bool]]:
    """Conditions on `launch_registration`: its cooperative's village lies within the caller's
    region (its own cooperative, for a cooperative's account); for a coordinator, it is at one
    of their hubs."""
    if caller.role is Role.coordinator:
        return [col(LaunchRegistration.hub_id).in_(_coordinated_hubs(caller))]
    return [
        *code_in_caller_scope(caller, LaunchRegistration.village_code),
        *of_own_cooperative(caller, LaunchRegistration.cooperative_id),
    ]


# --- the cooperative statements built once per shape -----------------------------------------
# The hot cooperative reads compile one statement per set of condition names and bind the
# values on each request. A region's name carries its code's length, which picks the level
# column (`scope_5`: regency_code), so that one statement serves every region of a level.


def cooperative_scope_values(caller: Caller) -> dict[str, Any]:
    """The caller's scope over cooperatives, as named values: `scope_<length>` for an office
    below the whole country, `own` for a cooperative's account."""
    values: dict[str, Any] = {}
    scope = caller.principal.region_scope
    if scope:
        values[f"scope_{len(scope)}"] = scope
    if caller.role is Role.cooperative:
        values["own"] = own_cooperative_id(caller)
    return values


def cooperative_region_values(region: str | None) -> dict[str, str]:
    """A `region` filter over cooperatives, as a named value `region_<length>`."""
    return {f"region_{len(region)}": region} if region else {}


def cooperative_condition(name: str, value: BindParameter[Any]) -> ColumnElement[bool] | None:
    """The condition that a value named by `cooperative_scope_values` or
    `cooperative_region_values` puts on cooperatives; None for any other name."""
    kind, _, code_length = name.partition("_")
    if kind in ("region", "scope"):
        return level_column(_COOPERATIVES, int(code_length)) == value
    if kind == "own":
        return _COOPERATIVES.id == value
    return None
