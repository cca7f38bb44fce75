"""What TikTok appends to the redirect URI, for Login Kit and TikTok Shop alike.

Login Kit sends ``code``, ``scopes`` (granted, comma-separated) and ``state``, or ``error`` and
``error_description`` [TT-LK-DESKTOP]; TikTok Shop sends ``code`` and ``state``, or ``code=null&error=auth_denied``
[TTS-AUTH-202407].

Example:
    >>> parse_callback("http://127.0.0.1:8866/cb?code=abc&scopes=user.info.basic,video.list&state=s").scopes
    ('user.info.basic', 'video.list')
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from linkkit.errors import AuthorizationDenied, StateMismatch, TokenExchangeError

__all__ = ["CallbackParams", "code_from_callback", "parse_callback"]


@dataclass(frozen=True)
class CallbackParams:
    """What TikTok appended to the redirect URI."""

    state: str | None
    code: str | None
    scopes: tuple[str, ...]
    error: str | None
    error_description: str | None

    def __repr__(self) -> str:
        return f"CallbackParams(error={self.error!r}, scopes={self.scopes!r}, state=<hidden>, code=<hidden>)"


def parse_callback(url_or_query: str) -> CallbackParams:
    """Read ``code``/``state``/``scopes`` or ``error`` from a callback URL or bare query string.

    TikTok Shop's denial arrives as ``code=null&error=auth_denied`` [TTS-AUTH-202407]; ``code=null`` is
    treated as no code.
    """
    query = urlsplit(url_or_query).query if "?" in url_or_query or "://" in url_or_query else url_or_query
    params = dict(parse_qsl(query.lstrip("?"), keep_blank_values=True))
    code = params.get("code") or params.get("auth_code")
    if code in ("", "null", "None"):
        code = None
    scopes = tuple(s for s in params.get("scopes", params.get("scope", "")).replace(" ", ",").split(",") if s)
    return CallbackParams(state=params.get("state"), code=code, scopes=scopes, error=params.get("error"),
                          error_description=params.get("error_description"))


def code_from_callback(params: CallbackParams) -> str:
    """The code from a callback, or the error TikTok reported."""
    if params.error:
        if params.error in ("access_denied", "auth_denied"):
            raise AuthorizationDenied("You cancelled the authorization on TikTok's page.")
        raise TokenExchangeError(
            f"TikTok reported an error on the consent page: {params.error}.",
            reason="redirect_uri_mismatch" if "redirect" in (params.error_description or "") else "code_invalid",
        )
    if not params.code:
        raise StateMismatch("The callback carried no authorization code.", reason="state_mismatch")
    return params.code
