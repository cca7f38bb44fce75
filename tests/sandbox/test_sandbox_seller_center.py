"""The emulated Seller Center "Linked TikTok accounts": state, eligibility, invitations and every rule."""

from __future__ import annotations

import pytest
from sandbox_helpers import CEDAR, MAPLE, NOVA_UK

pytestmark = pytest.mark.integration


@pytest.fixture()
def maple(sb):
    return sb.shop_tokens("maple_seller")["access_token"]


def _rules(sb, token, username, role, shop_id=MAPLE):
    r = sb.sc("/linked-accounts/eligibility", token, {"shop_id": shop_id, "username": username, "role": role})
    assert r["code"] == 0, r
    return {v["rule"] for v in r["data"]["violations"]}


def test_seed_state(sb):
    cedar = sb.shop_tokens("cedar_seller")["access_token"]
    state = sb.linked(cedar, CEDAR)
    assert state["code"] == 0
    data = state["data"]
    assert data["official"]["username"] == "cedar.official"
    assert {m["username"] for m in data["marketing"]} == {"cedar.promo1", "cedar.promo2"}
    history = [(h["username"], h["role"]) for h in data["history"]]
    assert ("cedar.founder", "official") in history
    assert history.count(("cedar.hopper", "marketing")) == 10
    nova = sb.linked(sb.shop_tokens("nova_seller")["access_token"], NOVA_UK)["data"]
    assert nova["official"]["username"] == "nova.uk"
    empty = sb.linked(sb.shop_tokens("maple_seller")["access_token"], MAPLE)["data"]
    assert empty["official"] is None
    assert empty["marketing"] == [] == empty["invitations"]


def test_auth_errors(sb, maple):
    assert sb.linked("TTP_nope", MAPLE)["code"] == 36009004
    assert sb.linked(maple, CEDAR)["code"] == 101000
    assert sb.linked(maple, "123")["code"] == 40403
    r = sb.post("/seller-center/api/invitations", data="{", headers={"x-tts-access-token": maple})
    assert r.json()["code"] == 40001
    assert sb.sc("/invitations", maple, {"shop_id": MAPLE, "username": "maple.deals", "role": "boss"})["code"] == 40001
    unknown = sb.sc("/linked-accounts/eligibility", maple, {"shop_id": MAPLE, "username": "ghost", "role": "official"})
    assert unknown["code"] == 40401


def test_eligibility_shape(sb, maple):
    r = sb.sc(
        "/linked-accounts/eligibility", maple, {"shop_id": MAPLE, "username": "maple.official", "role": "official"}
    )
    assert r["data"] == {
        "eligible": True,
        "account": {
            "username": "maple.official",
            "display_name": "Maple & Co",
            "region": "US",
            "account_type": "business",
        },
        "violations": [],
    }


def test_invite_accept_flow(sb, maple):
    inv = sb.sc("/invitations", maple, {"shop_id": MAPLE, "username": "maple.official", "role": "official"})
    assert inv["code"] == 0
    assert inv["data"]["status"] == "pending"
    assert sb.linked(maple, MAPLE)["data"]["invitations"][0]["id"] == inv["data"]["id"]
    path = f"/invitations/{inv['data']['id']}/accept"
    assert sb.sc(path, maple, {"username": "maple.official", "password": "bad"})["code"] == 40301
    assert sb.sc(path, maple, {"username": "maple.deals", "password": "pass_good"})["code"] == 40302
    assert (
        sb.sc("/invitations/inv999/accept", maple, {"username": "maple.official", "password": "pass_good"})["code"]
        == 40402
    )
    ok = sb.sc(path, maple, {"username": "maple.official", "password": "pass_good"})
    assert ok["code"] == 0
    assert ok["data"]["link"]["role"] == "official"
    assert sb.sc(path, maple, {"username": "maple.official", "password": "pass_good"})["code"] == 40902
    state = sb.linked(maple, MAPLE)["data"]
    assert state["official"]["username"] == "maple.official"
    assert state["invitations"][0]["status"] == "accepted"


def test_invitation_expires_after_48h(sb, maple):
    inv = sb.sc("/invitations", maple, {"shop_id": MAPLE, "username": "maple.deals", "role": "marketing"})
    sb.advance(48 * 3600 + 1)
    r = sb.sc(f"/invitations/{inv['data']['id']}/accept", maple, {"username": "maple.deals", "password": "pass_good"})
    assert r["code"] == 40902
    assert r["data"]["status"] == "expired"


def test_rule_eligible_account(sb, maple):
    assert _rules(sb, maple, "jo.personal", "marketing") == {"eligible_account"}


def test_rule_same_region(sb, maple):
    assert _rules(sb, maple, "london.creator", "official") == {"same_region"}
    r = sb.sc("/invitations", maple, {"shop_id": MAPLE, "username": "london.creator", "role": "official"})
    assert r["code"] == 40901
    assert r["data"]["violations"][0]["rule"] == "same_region"


def test_rule_official_one_shop(sb, maple):
    assert _rules(sb, maple, "cedar.official", "official") == {"official_one_shop"}


def test_rule_marketing_relink_limit(sb, maple):
    assert _rules(sb, maple, "cedar.hopper", "marketing") == {"marketing_relink_limit"}


def test_rules_one_official_already_linked_not_both_roles(sb, maple):
    sb.link(maple, MAPLE, "maple.official", "official")
    assert _rules(sb, maple, "maple.deals", "official") == {"one_official"}
    assert _rules(sb, maple, "maple.official", "official") == {"already_linked"}
    assert _rules(sb, maple, "maple.official", "marketing") == {"not_both_roles"}


def test_rule_marketing_max_four_rechecked_on_accept(sb, maple):
    for name in ("maple.deals", "maple.studio", "maple.live"):
        sb.link(maple, MAPLE, name, "marketing")
    fourth = sb.sc("/invitations", maple, {"shop_id": MAPLE, "username": "maple.unbox", "role": "marketing"})
    fifth = sb.sc("/invitations", maple, {"shop_id": MAPLE, "username": "maple.extra", "role": "marketing"})
    assert fourth["code"] == fifth["code"] == 0
    assert (
        sb.sc(
            f"/invitations/{fourth['data']['id']}/accept", maple, {"username": "maple.unbox", "password": "pass_good"}
        )["code"]
        == 0
    )
    late = sb.sc(
        f"/invitations/{fifth['data']['id']}/accept", maple, {"username": "maple.extra", "password": "pass_good"}
    )
    assert late["code"] == 40901
    assert [v["rule"] for v in late["data"]["violations"]] == ["marketing_max_four"]
    assert _rules(sb, maple, "maple.extra", "marketing") == {"marketing_max_four"}
    assert len(sb.linked(maple, MAPLE)["data"]["marketing"]) == 4


def test_rule_unlink_after_24h(sb, maple):
    sb.link(maple, MAPLE, "maple.deals", "marketing")
    early = sb.sc("/linked-accounts/unlink", maple, {"shop_id": MAPLE, "username": "maple.deals"})
    assert early["code"] == 40901
    assert early["data"]["violations"][0]["rule"] == "unlink_after_24h"
    sb.advance(24 * 3600 + 1)
    later = sb.sc("/linked-accounts/unlink", maple, {"shop_id": MAPLE, "username": "maple.deals"})
    assert later["code"] == 0
    assert later["data"]["link"]["unlinked_at"] is not None
    assert sb.sc("/linked-accounts/unlink", maple, {"shop_id": MAPLE, "username": "maple.deals"})["code"] == 40903
    state = sb.linked(maple, MAPLE)["data"]
    assert state["marketing"] == []
    assert state["history"][-1]["unlinked_at"] is not None


def test_seller_center_page_escapes_display_names(sb, maple):
    sb.link(maple, MAPLE, "html.name", "marketing")
    page = sb.get("/seller-center/linked-accounts", params={"shop_id": MAPLE})
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "<b>Bold</b>" not in page.text
    assert "<img src=x" not in page.text
    assert "&lt;b&gt;Bold&lt;/b&gt;&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert sb.get("/seller-center/linked-accounts", params={"shop_id": "0"}).status_code == 404
