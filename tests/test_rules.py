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


# --------------------------------------------------------------------------- exact words and edge cases
# (written to kill the mutants `make mutate` found surviving: each asserts something a seller would see)


def test_violations_name_their_rule_and_say_what_to_do() -> None:
    [official] = rules.check_candidate(US, [link(1, Role.OFFICIAL)], acct(2), Role.OFFICIAL)
    assert (official.rule, official.reason) == ("one_official", "official_limit_reached")
    assert official.message == ("This shop already has an Official account. Choose 'Replace the Official account' "
                                "to change it.")
    full = [link(n, Role.MARKETING) for n in range(1, 5)]
    [marketing] = rules.can_add(US, full, Role.MARKETING)
    assert (marketing.rule, marketing.reason) == ("marketing_max_four", "marketing_limit_reached")
    assert marketing.message == ("This shop already has 4 Marketing accounts. Unlink one (24 hours after it was "
                                 "linked) first.")
    [region] = rules.check_candidate(US, [], acct(3, region="GB"), Role.MARKETING)
    assert region.message == "This account is registered in GB, but the shop sells in US. Use an account from US."
    [personal] = rules.check_candidate(US, [], acct(4, kind="personal"), Role.MARKETING)
    assert (personal.rule, personal.message) == ("eligible_account", rules._BY_ID["eligible_account"].text)


def test_replacing_the_official_account_is_allowed_only_when_asked() -> None:
    existing = [link(1, Role.OFFICIAL)]
    assert reasons(rules.check_candidate(US, existing, acct(2), Role.OFFICIAL)) == ["official_limit_reached"]
    assert rules.check_candidate(US, existing, acct(2), Role.OFFICIAL, replace=True) == []
    # replace=True does not lift the Marketing limit
    full = [link(n, Role.MARKETING) for n in range(1, 5)]
    assert reasons(rules.check_candidate(US, full, acct(9), Role.MARKETING, replace=True)) == [
        "marketing_limit_reached"]


def test_capacity_and_account_rules_add_up() -> None:
    # the shop is full AND the account is from the wrong region: both are reported, capacity first
    existing = [link(1, Role.OFFICIAL)]
    found = rules.check_candidate(US, existing, acct(2, region="GB"), Role.OFFICIAL)
    assert reasons(found) == ["official_limit_reached", "region_mismatch"]


def test_repair_skips_capacity_but_not_account_rules() -> None:
    existing = [link(1, Role.OFFICIAL, link_id=11), link(2, Role.OFFICIAL, shop=OTHER, link_id=12)]
    # the shop's own Official account, re-authorized: no capacity rule, but a region change still counts
    moved = acct(1, region="GB")
    assert reasons(rules.check_candidate(US, existing, moved, Role.OFFICIAL, repair_link_id=11)) == [
        "region_mismatch"]
    # without repair_link_id the same account is "already linked"
    assert "already_linked" in reasons(rules.check_candidate(US, existing, acct(1), Role.OFFICIAL))


def test_official_of_another_shop_only_counts_official_links_of_that_account() -> None:
    # account 2 is a Marketing account elsewhere: it may become this shop's Official account
    elsewhere = [link(2, Role.MARKETING, shop=OTHER)]
    assert rules.check_candidate(US, elsewhere, acct(2), Role.OFFICIAL) == []
    # another account is Official elsewhere: irrelevant
    assert rules.check_candidate(US, [link(3, Role.OFFICIAL, shop=OTHER)], acct(2), Role.OFFICIAL) == []
    # this account is Official elsewhere: refused; as a Marketing account it is not this rule
    assert reasons(rules.check_candidate(US, [link(2, Role.OFFICIAL, shop=OTHER)], acct(2), Role.OFFICIAL)) == [
        "already_linked_elsewhere"]
    assert rules.check_candidate(US, [link(2, Role.OFFICIAL, shop=OTHER)], acct(2), Role.MARKETING) == []


def test_seller_center_verdicts_skip_unknown_duplicates_and_what_repair_or_replace_lift() -> None:
    verdicts = ["no_such_rule", "same_region", "marketing_relink_limit", "eligible_account"]
    found = rules.check_candidate(US, [], acct(5, region="GB"), Role.MARKETING, seller_center_rules=verdicts)
    # the unknown id is skipped (not the end of the list), same_region is not reported twice
    assert reasons(found) == ["region_mismatch", "relink_limit_reached", "account_ineligible"]
    # re-authorizing an existing link: capacity verdicts are lifted, the others stay
    existing = [link(5, Role.MARKETING, link_id=15)]
    repaired = rules.check_candidate(US, existing, acct(5), Role.MARKETING, repair_link_id=15,
                                     seller_center_rules=["marketing_relink_limit", "eligible_account"])
    assert reasons(repaired) == ["account_ineligible"]
    # replacing the Official account lifts only Seller Center's one_official verdict
    replaced = rules.check_candidate(US, [], acct(6), Role.OFFICIAL, replace=True,
                                     seller_center_rules=["one_official", "eligible_account"])
    assert reasons(replaced) == ["account_ineligible"]
    plain = rules.check_candidate(US, [], acct(6), Role.OFFICIAL, seller_center_rules=["one_official"])
    assert reasons(plain) == ["official_limit_reached"]


def test_unlink_counts_from_when_the_account_was_linked() -> None:
    # created (authorized) two days ago but bound in Seller Center an hour ago: too early
    recent = link(1, Role.MARKETING, linked_hours_ago=1)
    recent = Link(**{**recent.__dict__, "created_at": NOW - timedelta(hours=48)})
    assert reasons(rules.check_unlink(recent, NOW)) == ["unlink_too_early"]


def test_unlink_message_rounds_the_hours_left() -> None:
    def left(hours_ago: float) -> str:
        return rules.check_unlink(link(1, Role.MARKETING, linked_hours_ago=hours_ago), NOW)[0].message

    assert left(22.5) == ("This account was linked less than 24 hours ago. You can unlink it in about 2 hours.")
    assert left(23.5).endswith("in about 1 hour.")
    assert left(23.99).endswith("in about 1 hour.")
    assert left(0).endswith("in about 24 hours.")
