"""Pure helpers: the Shop signature and PKCE."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from linkkit.tiktok.signing import code_challenge, new_code_verifier, sign_request, webhook_signature


def test_signature_matches_tiktoks_worked_example() -> None:
    # TTS-SIGN: path /authorization/202309/shops, app_key 29a39d, timestamp 1623812664, secret e59af819cc
    sign = sign_request("/authorization/202309/shops", {"app_key": "29a39d", "timestamp": "1623812664"},
                        app_secret="e59af819cc")
    assert sign == "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"


def test_sign_and_access_token_are_not_signed() -> None:
    base = {"app_key": "k", "timestamp": "1"}
    assert sign_request("/p", base, app_secret="s") == sign_request(
        "/p", {**base, "sign": "x", "access_token": "y"}, app_secret="s")


def test_body_is_signed_except_for_multipart() -> None:
    base = {"app_key": "k", "timestamp": "1"}
    plain = sign_request("/p", base, app_secret="s")
    assert sign_request("/p", base, app_secret="s", body='{"a":1}') != plain
    assert sign_request("/p", base, app_secret="s", body='{"a":1}', multipart=True) == plain


@given(st.dictionaries(st.sampled_from(["b", "a", "c", "shop_cipher", "page_size"]), st.text(max_size=8)))
def test_parameter_order_does_not_matter(params: dict[str, str]) -> None:
    reordered = dict(reversed(list(params.items())))
    assert sign_request("/x", params, app_secret="s") == sign_request("/x", reordered, app_secret="s")


def test_verifier_alphabet_and_length() -> None:
    verifier = new_code_verifier()
    assert re.fullmatch(r"[A-Za-z0-9\-._~]{64}", verifier)
    assert new_code_verifier() != verifier


# RFC 7636 Appendix B: the verifier and its S256 challenge, as published (not recomputed here).
RFC7636_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC7636_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
# TikTok desktop's hex form of the same SHA-256 digest (the RFC's challenge, base64url-decoded, as hex).
RFC7636_HEX = "13d31e961a1ad8ec2f16b10c4c982e0876a878ad6df144566ee1894acb70f9c3"


def test_challenge_encodings() -> None:
    assert code_challenge(RFC7636_VERIFIER, "base64url") == RFC7636_CHALLENGE
    assert code_challenge(RFC7636_VERIFIER, "hex") == RFC7636_HEX
    assert code_challenge(RFC7636_VERIFIER) == RFC7636_HEX  # TikTok desktop's hex is the default


def test_webhook_signature_is_hmac_sha256_of_app_key_and_body_keyed_by_the_secret() -> None:
    """A pinned vector, computed outside linkkit (``printf '%s' "$APP_KEY$BODY" | openssl dgst -sha256 -hmac
    "$APP_SECRET"``): lowercase hex, the app key before the body, the secret as the key."""
    body = b'{"type":6,"shop_id":"7494100000000000101"}'
    assert webhook_signature("6a5b4c3d2e1f0", "s3cr3t-app-secret", body) == (
        "05d68bc62d3a52608513678a09b27f908dc5d8454ae332d16d6cf3b6ea923dd5")
    assert webhook_signature("6a5b4c3d2e1f0", "s3cr3t-app-secret", body + b" ") != webhook_signature(
        "6a5b4c3d2e1f0", "s3cr3t-app-secret", body)
