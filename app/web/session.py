"""The web app's login and its CSRF token.

The session is Starlette's `SessionMiddleware`: a signed cookie, `HttpOnly`, `SameSite=Lax`,
`Secure` in production, sent again with every answer so that it lapses after
`KOPDES_WEB_IDLE_MINUTES` without a page. It holds the login that `accounts.login` opened (the
same rate limit and audit events as the API's) and is checked on every page as an access token
is (`app.access.auth`): a logout, a new password, role or scope, or a disabled account ends it.

Every unsafe request carries the session's CSRF token, in the form field `csrf_token` or, from
htmx, the `X-CSRF-Token` header.
"""

import hmac
import secrets

from asgi_correlation_id import correlation_id
from fastapi import Request

from app.access.auth import WEB_LOGIN
from app.access.security import decode_access_token
from app.errors import Forbidden
from app.models.account import Role, TokenPair
from app.services import accounts

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_CSRF = "csrf"


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (the login form needs one before a login)."""
    token = request.session.get(_CSRF)
    if not isinstance(token, str):
        token = request.session[_CSRF] = secrets.token_urlsafe(32)
    return token


async def require_csrf(request: Request) -> None:
    """Refuses an unsafe request without the session's CSRF token."""
    if request.method in ("GET", "HEAD"):
        return
    expected = request.session.get(_CSRF)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if not isinstance(expected, str) or sent is None or not hmac.compare_digest(sent, expected):
        raise Forbidden(
            "the form has expired or did not come from this site; reload the page and try again"
        )


def origin(request: Request) -> accounts.Origin:
    return accounts.Origin(
        request_id=correlation_id.get(),
        client_ip=request.client.host if request.client else None,
    )


def begin(request: Request, pair: TokenPair) -> Role:
    """Hold the login that `pair` was issued to, and say whose role it is. A fresh CSRF token
    too: one seen before the login must not outlive it."""
    secret = request.app.state.settings.secret_key.get_secret_value()
    claims = decode_access_token(pair.access_token, secret)
    request.session.clear()
    request.session[WEB_LOGIN] = {
        "user": int(claims["sub"]),
        "family": claims["fam"],
        "version": claims["ver"],
        "refresh": pair.refresh_token,
    }
    csrf_token(request)
    return Role(claims["role"])


def end(request: Request) -> str | None:
    """Forget the login; its refresh token, for `accounts.logout` to revoke."""
    login = request.session.get(WEB_LOGIN)
    request.session.clear()
    return login.get("refresh") if isinstance(login, dict) else None


_NOTICES = "notices"


def flash(request: Request, notice: str) -> None:
    """Say `notice` on the next page (the one a write redirects to)."""
    request.session[_NOTICES] = [*request.session.get(_NOTICES, []), notice]


def take_notices(request: Request) -> list[str]:
    notices = request.session.pop(_NOTICES, [])
    return [n for n in notices if isinstance(n, str)] if isinstance(notices, list) else []
