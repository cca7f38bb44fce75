"""Seller Center rules as pure functions: every rule yields its reason code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from linkkit import rules
from linkkit.errors import REASON_CODES
from linkkit.models import Link, LinkStatus, Role, Shop, TikTokAccount

NOW = datetime(2026, 11, 1, tzinfo=UTC)
US = Shop(id="1", name="Maple", region="US", seller_type="LOCAL", cipher="c1")
OTHER = Shop(id="2", name="Cedar", region="US", seller_type="LOCAL", cipher="c2")


def acct(n: int, region: str | None = "US", kind: str | None = "business") -> TikTokAccount:
    return TikTokAccount(open_id=f"o{n}", display_name=f"A{n}", username=f"a{n}", region=region, account_type=kind)


def link(n: int, role: Role, shop: Shop = US, linked_hours_ago: float = 48, link_id: int | None = None) -> Link:
    at = NOW - timedelta(hours=linked_hours_ago)
    return Link(id=link_id or n, shop_id=shop.id, account=acct(n), role=role, status=LinkStatus.CONNECTED,
                created_at=at, linked_at=at, unlinked_at=None, last_verified_at=None, token_expires_at=None,
                access_expires_at=None)


def reasons(violations: list[rules.Violation]) -> list[str]:
    return [v.reason for v in violations]


def test_every_rule_has_a_known_reason_and_a_source() -> None:
    for rule in rules.RULES:
        assert rule.reason in REASON_CODES
        assert rule.source and rule.title and rule.text


def test_empty_shop_accepts_both_roles() -> None:
    assert rules.can_add(US, [], Role.OFFICIAL) == []
    assert rules.can_add(US, [], Role.MARKETING) == []


def test_second_official_is_refused_unless_replacing() -> None:
    existing = [link(1, Role.OFFICIAL)]
    assert reasons(rules.can_add(US, existing, Role.OFFICIAL)) == ["official_limit_reached"]
    assert rules.can_add(US, existing, Role.OFFICIAL, replace=True) == []


def test_fifth_marketing_account_is_refused() -> None:
    four = [link(n, Role.MARKETING) for n in range(1, 5)]
    assert reasons(rules.can_add(US, four, Role.MARKETING)) == ["marketing_limit_reached"]
    assert rules.can_add(US, four[:3], Role.MARKETING) == []
    assert rules.can_add(OTHER, four, Role.MARKETING) == [], "another shop's links don't count"


def test_account_in_another_region() -> None:
    assert reasons(rules.check_candidate(US, [], acct(9, region="GB"), Role.MARKETING)) == ["region_mismatch"]


def test_unknown_region_is_not_guessed() -> None:
    assert rules.check_candidate(US, [], acct(9, region=None), Role.MARKETING) == []


def test_personal_account_is_ineligible() -> None:
    assert reasons(rules.check_candidate(US, [], acct(9, kind="personal"), Role.OFFICIAL)) == ["account_ineligible"]


def test_both_roles_in_one_shop() -> None:
    assert reasons(rules.check_candidate(US, [link(3, Role.OFFICIAL)], acct(3), Role.MARKETING)) == ["both_roles"]


def test_same_role_twice_is_already_linked() -> None:
    assert "already_linked" in reasons(rules.check_candidate(US, [link(3, Role.MARKETING)], acct(3), Role.MARKETING))


def test_official_of_another_shop() -> None:
    found = rules.check_candidate(US, [link(5, Role.OFFICIAL, shop=OTHER)], acct(5), Role.OFFICIAL)
    assert reasons(found) == ["already_linked_elsewhere"]


def test_seller_center_verdicts_become_reason_codes() -> None:
    found = rules.check_candidate(US, [], acct(5), Role.MARKETING, seller_center_rules=["marketing_relink_limit"])
    assert reasons(found) == ["relink_limit_reached"]


def test_repair_does_not_count_the_link_against_itself() -> None:
    existing = [link(1, Role.OFFICIAL, link_id=11)]
    assert rules.check_candidate(US, existing, acct(1), Role.OFFICIAL, repair_link_id=11) == []


def test_unlink_only_after_24_hours() -> None:
    young = link(1, Role.MARKETING, linked_hours_ago=23.5)
    assert reasons(rules.check_unlink(young, NOW)) == ["unlink_too_early"]
    assert "1 hour" in rules.check_unlink(young, NOW)[0].message
    assert rules.check_unlink(link(1, Role.MARKETING, linked_hours_ago=24), NOW) == []


def test_required_scopes_per_role() -> None:
    assert rules.missing_scopes(Role.OFFICIAL, ["user.info.basic"]) == ["user.info.profile"]
    assert rules.missing_scopes(Role.MARKETING, ["user.info.basic", "user.info.profile"]) == []
    needs = rules.scopes_for(Role.OFFICIAL)
    assert needs[0].required and not needs[-1].required
