"""TikTok Shop request signing and PKCE helpers (pure functions).

Shop signature [TTS-SIGN]: HMAC-SHA256 (key = app_secret) over
``app_secret + path + sorted(key + value for query params except sign/access_token) + body + app_secret``,
lowercase hex. The body is the exact string sent (not re-serialised) and is skipped for multipart uploads.

PKCE: TikTok's desktop Login Kit doc wants the **hex** SHA-256 of the verifier as the challenge
[TT-LK-DESKTOP]; RFC 7636 (and TikTok web apps that accept it) use base64url without padding.

Example:
    >>> sign_request("/authorization/202309/shops", {"app_key": "29a39d", "timestamp": "1623812664"},
    ...              app_secret="e59af819cc")[:16]
    'b596b73e0cc6de07'
    >>> code_challenge("amanaplanacanalpanama", "hex")[:12]
    'db23744ce765'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping

__all__ = ["code_challenge", "new_code_verifier", "sign_request", "webhook_signature"]

_EXCLUDED = frozenset({"sign", "access_token", "x-tts-access-token"})


def sign_request(path: str, params: Mapping[str, object], *, app_secret: str, body: str = "",
                 multipart: bool = False) -> str:
    """The ``sign`` query parameter for a TikTok Shop API call."""
    canonical = "".join(f"{key}{params[key]}" for key in sorted(params) if key not in _EXCLUDED)
    message = f"{path}{canonical}"
    if body and not multipart:
        message += body
    wrapped = f"{app_secret}{message}{app_secret}"
    return hmac.new(app_secret.encode(), wrapped.encode(), hashlib.sha256).hexdigest()


def new_code_verifier(length: int = 64) -> str:
    """A fresh PKCE verifier from ``[A-Za-z0-9-._~]`` (43–128 characters)."""
    if not 43 <= length <= 128:
        raise ValueError("a PKCE code verifier has 43 to 128 characters")
    # base64url's alphabet is a subset of the verifier's; 6 random bits per character (one call, not one per char)
    return secrets.token_urlsafe(length)[:length]


def code_challenge(verifier: str, encoding: str = "hex") -> str:
    """The S256 challenge for ``verifier``: ``"hex"`` (TikTok desktop) or ``"base64url"`` (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    if encoding == "hex":
        return digest.hex()
    if encoding == "base64url":
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    raise ValueError(f"unknown PKCE encoding {encoding!r}")


def webhook_signature(app_key: str, app_secret: str, raw_body: bytes) -> str:
    """TikTok Shop's webhook ``Authorization`` header: lowercase hex HMAC-SHA256 (key = app_secret) of
    ``app_key + raw_body``, on the body exactly as received (the formula client libraries implement; TikTok's
    webhook page only points to its signing guide)."""
    return hmac.new(app_secret.encode(), app_key.encode() + raw_body, hashlib.sha256).hexdigest()
