"""What TikTok appends to the redirect URI: parsing it, and turning errors into reason codes."""

from __future__ import annotations

import pytest

from linkkit.errors import AuthorizationDenied, StateMismatch, TokenExchangeError
from linkkit.tiktok.callback import CallbackParams, code_from_callback, parse_callback


def test_login_kit_success_from_a_full_url() -> None:
    p = parse_callback("http://127.0.0.1:8866/cb?code=abc&scopes=user.info.basic,video.list&state=s1")
    assert (p.code, p.state, p.scopes, p.error, p.error_description) == (
        "abc", "s1", ("user.info.basic", "video.list"), None, None)


def test_bare_query_strings_with_or_without_question_mark() -> None:
    assert parse_callback("code=abc&state=s").code == "abc"
    p = parse_callback("?code=abc&state=s")
    assert (p.code, p.state) == ("abc", "s")


def test_a_path_with_a_scheme_but_no_query_has_nothing() -> None:
    p = parse_callback("http://127.0.0.1:8866/cb")
    assert (p.code, p.state, p.scopes, p.error) == (None, None, (), None)


def test_shop_auth_code_and_null_codes() -> None:
    assert parse_callback("auth_code=xyz&state=s").code == "xyz"
    assert parse_callback("code=abc&auth_code=xyz").code == "abc"  # Login Kit's name wins
    for empty in ("", "null", "None"):
        assert parse_callback(f"code={empty}&state=s").code is None
    denied = parse_callback("code=null&error=auth_denied&state=s")
    assert (denied.code, denied.error) == (None, "auth_denied")


def test_scopes_separated_by_commas_or_spaces_under_either_name() -> None:
    assert parse_callback("scope=a b,c").scopes == ("a", "b", "c")
    assert parse_callback("scopes=a,,b").scopes == ("a", "b")
    assert parse_callback("scopes=a&scope=z").scopes == ("a",)  # `scopes` wins
    assert parse_callback("state=s").scopes == ()


def test_error_and_description() -> None:
    p = parse_callback("error=access_denied&error_description=User+cancelled&state=s")
    assert (p.error, p.error_description, p.state) == ("access_denied", "User cancelled", "s")


def test_repr_hides_state_and_code() -> None:
    p = parse_callback("code=secret-code&state=secret-state&scopes=a")
    text = repr(p)
    assert "secret-code" not in text and "secret-state" not in text
    assert text == "CallbackParams(error=None, scopes=('a',), state=<hidden>, code=<hidden>)"


def test_the_code_is_returned() -> None:
    assert code_from_callback(parse_callback("code=abc&state=s")) == "abc"


@pytest.mark.parametrize("error", ["access_denied", "auth_denied"])
def test_denial_raises_consent_denied(error: str) -> None:
    with pytest.raises(AuthorizationDenied) as info:
        code_from_callback(parse_callback(f"error={error}&state=s"))
    assert info.value.reason == "consent_denied"
    assert info.value.message == "You cancelled the authorization on TikTok's page."


def test_redirect_errors_and_other_errors() -> None:
    with pytest.raises(TokenExchangeError) as info:
        code_from_callback(parse_callback("error=invalid_request&error_description=redirect_uri+mismatch"))
    assert info.value.reason == "redirect_uri_mismatch"
    assert info.value.message == "TikTok reported an error on the consent page: invalid_request."
    with pytest.raises(TokenExchangeError) as other:
        code_from_callback(parse_callback("error=invalid_request&error_description=bad+scope"))
    assert other.value.reason == "code_invalid"
    with pytest.raises(TokenExchangeError) as bare:
        code_from_callback(CallbackParams(state="s", code="abc", scopes=(), error="server_error",
                                          error_description=None))
    assert bare.value.reason == "code_invalid"  # an error wins over a code


def test_no_code_and_no_error_is_a_state_mismatch() -> None:
    with pytest.raises(StateMismatch) as info:
        code_from_callback(parse_callback("state=s"))
    assert info.value.reason == "state_mismatch"
    assert info.value.message == "The callback carried no authorization code."


def test_a_path_with_a_query_but_no_scheme() -> None:
    p = parse_callback("/voila/render/01_link_accounts.ipynb?code=abc&state=s")
    assert (p.code, p.state) == ("abc", "s")


def test_a_url_without_a_query_yields_no_parameters_from_its_path() -> None:
    assert parse_callback("http://127.0.0.1:8866/cb&code=abc&state=s") == CallbackParams(
        state=None, code=None, scopes=(), error=None, error_description=None)


def test_blank_values_are_kept_as_blank() -> None:
    p = parse_callback("?code=abc&state=&error_description=")
    assert (p.code, p.state, p.error_description) == ("abc", "", "")
    assert parse_callback("auth_code=&state=s").code is None
