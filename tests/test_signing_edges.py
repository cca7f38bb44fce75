"""Edges of the Shop signature and PKCE helpers that tests/tiktok/test_signing.py leaves open.

Each test pins a behaviour the mutation run (`make mutate`) showed no other fast test checked.
"""

from __future__ import annotations

import pytest

from linkkit.tiktok.signing import code_challenge, new_code_verifier, sign_request

BASE = {"app_key": "29a39d", "timestamp": "1623812664"}


def test_signed_body_still_covers_the_path_and_parameters() -> None:
    body = '{"a":1}'
    signed = sign_request("/p", BASE, app_secret="s", body=body)
    assert sign_request("/q", BASE, app_secret="s", body=body) != signed
    assert sign_request("/p", {**BASE, "timestamp": "1623812665"}, app_secret="s", body=body) != signed


@pytest.mark.parametrize("length", [43, 128])
def test_verifier_lengths_at_the_bounds_are_allowed(length: int) -> None:
    assert len(new_code_verifier(length)) == length


@pytest.mark.parametrize("length", [42, 129])
def test_verifier_lengths_outside_the_bounds_are_refused(length: int) -> None:
    with pytest.raises(ValueError, match="a PKCE code verifier has 43 to 128 characters") as info:
        new_code_verifier(length)
    assert str(info.value) == "a PKCE code verifier has 43 to 128 characters"


def test_unknown_challenge_encoding_is_refused() -> None:
    with pytest.raises(ValueError) as info:
        code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "plain")
    assert str(info.value) == "unknown PKCE encoding 'plain'"


def test_base64url_challenge_has_no_padding_and_non_ascii_verifiers_are_refused() -> None:
    # a 32-byte digest is 43 base64url characters plus one '=' of padding, which PKCE drops
    challenge = code_challenge("x" * 43, "base64url")
    assert len(challenge) == 43 and "=" not in challenge
    with pytest.raises(UnicodeEncodeError):
        code_challenge("é" * 43, "hex")
