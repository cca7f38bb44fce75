"""The boundary between sellers sharing one registry: owners, members, and ``not_your_shop``.

alice connects a shop and links an account through the real sandbox HTTP server; bob (another principal on the
same registry) tries the 14 actions an adversarial review succeeded at. Each is refused with ``not_your_shop``;
the registry's rows are unchanged, the grant is still alive at the sandbox and TikTok's side saw no request (no
invitation sent, no token refreshed or revoked). Then alice grants bob access and bob can verify.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from linkkit.config import Settings
from linkkit.crypto import TokenBox
from linkkit.errors import AccessDenied, ConfigError, InvalidInput, LinkError
from linkkit.linking import LinkService
from linkkit.models import Link, LinkStatus, Role
from linkkit.store import Store
from linkkit.ui.wizard import Wizard

pytestmark = pytest.mark.integration

MAPLE = "7494100000000000101"


class World:
    """alice's and bob's services on one registry and the sandbox behind them."""

    def __init__(self, sandbox_url: str, registry_url: str, secret_key: str) -> None:
        self.sandbox_url = sandbox_url
        self.settings = Settings(sandbox_url=sandbox_url, database_url=registry_url, secret_key=secret_key,
                                 max_retries=2, backoff=0.01)
        self.services: list[LinkService] = []

    def service(self, actor: str, **kwargs: Any) -> LinkService:
        store = Store(self.settings.resolved_database_url, TokenBox(self.settings.secret_key or ""))
        try:
            made = LinkService(self.settings, store, actor=actor, **kwargs)
        except BaseException:
            store.close()
            raise
        self.services.append(made)
        return made

    def control(self, method: str, path: str) -> Any:
        response = requests.request(method, f"{self.sandbox_url}/_sandbox{path}", timeout=10)
        response.raise_for_status()
        return response.json()

    def alive(self) -> list[str]:
        return sorted(g["username"] for g in self.control("GET", "/grants")["grants"] if not g["revoked"])

    def seen(self) -> list[str]:
        """Requests TikTok's side saw since the last ``clear``."""
        return [f"{r['method']} {r['path']}" for r in self.control("GET", "/requests")["requests"]]

    def clear(self) -> None:
        self.control("DELETE", "/requests")


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in the registry (the monitor's too), in a stable order."""
    with store.engine.connect() as conn:
        reflected = sa.MetaData()
        reflected.reflect(conn)
        return {table.name: sorted(tuple(map(repr, row)) for row in conn.execute(sa.select(table)))
                for table in reflected.sorted_tables}


@pytest.fixture
def world(sandbox_server: Any, registry_url: str, secret_key: str) -> Iterator[World]:
    requests.post(f"{sandbox_server.url}/_sandbox/reset", json={}, timeout=10).raise_for_status()
    made = World(sandbox_server.url, registry_url, secret_key)
    yield made
    for service in made.services:
        service.store.close()


def authorize(service: LinkService, role: Role, username: str) -> Link:
    assert service.sandbox is not None
    start = service.begin_authorization(MAPLE, role)
    result = service.complete_authorization(service.sandbox.consent(start.url, username))
    assert result.link is not None
    return result.link


def connect_and_link(service: LinkService) -> Link:
    """alice: connect Seller Center, authorize the Official account, bind it, and wait out the 24 h rule."""
    assert service.sandbox is not None
    start = service.begin_shop_authorization()
    service.complete_authorization(service.sandbox.consent(start.url, "maple_seller"))
    link = authorize(service, Role.OFFICIAL, "maple.official")
    service.sandbox.send_invitation(link.id)
    service.sandbox.accept_invitation(link.id)
    linked = service.verify(link.id)
    service.sandbox.advance_clock(25 * 3600)  # unlinking is allowed now: a refusal below is the boundary's
    return linked


def bobs_actions(bob: LinkService, link_id: int, unbound_id: int) -> dict[str, Callable[[], Any]]:
    """The 14 actions of the review, each naming alice's shop or link (``unbound_id``: authorized, no
    invitation yet). With the check disabled, all but ``grant_self_access`` (only owners grant) succeed."""
    assert bob.sandbox is not None
    sandbox = bob.sandbox
    today = dt.date(2026, 11, 1)
    return {
        "list_shop_links": lambda: bob.links(MAPLE),
        "read_link": lambda: bob.link(link_id),
        "shop_overview": lambda: bob.overview(MAPLE),
        "shop_events": lambda: bob.events(MAPLE),
        "read_orders": lambda: bob.analytics_data(MAPLE, today, today + dt.timedelta(days=30)),
        "shop_api_client": lambda: bob.shop_client(MAPLE),
        "verify": lambda: bob.verify(link_id),
        "verify_shop": lambda: bob.verify_all(MAPLE),
        "refresh": lambda: bob.refresh_tokens(link_id, force=True),
        "repair_link": lambda: bob.begin_authorization(MAPLE, Role.OFFICIAL, link_id=link_id),
        "unlink": lambda: bob.unlink(link_id),
        "send_invitation": lambda: sandbox.send_invitation(unbound_id),
        "link_another_account": lambda: bob.begin_authorization(MAPLE, Role.MARKETING),
        "grant_self_access": lambda: bob.grant_access(MAPLE, "bob"),
    }


def test_repairing_another_sellers_link_through_ones_own_shop_is_refused(world: World) -> None:
    alice = world.service("alice")
    link = connect_and_link(alice)
    bob = world.service("bob")
    assert bob.sandbox is not None
    start = bob.begin_shop_authorization()
    bobs = bob.complete_authorization(bob.sandbox.consent(start.url, "cedar_seller")).shops[0]
    before = snapshot(alice.store)
    with pytest.raises(AccessDenied) as caught:  # his own shop in the call, alice's link to repair
        bob.begin_authorization(bobs.id, Role.OFFICIAL, link_id=link.id)
    assert caught.value.reason == "not_your_shop"
    assert snapshot(alice.store) == before


def test_another_seller_is_refused_all_14_actions_and_nothing_changes(world: World) -> None:
    alice = world.service("alice")
    link = connect_and_link(alice)
    assert link.status is LinkStatus.CONNECTED
    unbound = authorize(alice, Role.MARKETING, "maple.deals")
    bob = world.service("bob")
    before, grants = snapshot(alice.store), world.alive()
    assert grants == ["maple.deals", "maple.official"]
    world.clear()

    actions = bobs_actions(bob, link.id, unbound.id)
    assert len(actions) == 14
    refused: dict[str, str] = {}
    for name, action in actions.items():
        with pytest.raises(AccessDenied) as caught:
            action()
        refused[name] = caught.value.reason
    assert refused == dict.fromkeys(actions, "not_your_shop")
    assert "belongs to another owner" in str(caught.value) and MAPLE not in str(caught.value)

    # Listings show bob nothing of alice's: no shop, no link, no event, no interval, no link in his health.
    assert bob.connected_shops() == [] and bob.links() == [] and bob.links(include_unlinked=True) == []
    assert bob.events() == [] and bob.link_intervals() == [] and bob.verify_all() == []
    assert bob.refresh_tokens() == 0 and bob.health()["links"] == {} and bob.health()["shops"] == 0
    # The dashboard opened at ?shop_id=alice's shop shows the refusal, not the shop.
    wizard = Wizard(bob)
    wizard.start(f"shop_id={MAPLE}")
    assert wizard.shop is None and wizard.overview is None
    assert wizard.reporter.problem is not None and wizard.reporter.problem.code == "not_your_shop"

    assert snapshot(alice.store) == before, "bob's refused actions changed the registry"
    assert world.alive() == grants, "alice's grant was revoked"
    assert world.seen() == [], "TikTok's side saw a request (an invitation, a refresh or a revoke)"
    assert [s.id for s in alice.connected_shops()] == [MAPLE] and alice.link(link.id).active

    # alice gives bob access: now he can verify, but only an owner changes who has access.
    assert alice.grant_access(MAPLE, "bob") is True and alice.grant_access(MAPLE, "bob") is False
    assert [(a.principal, a.role) for a in alice.access(MAPLE)] == [("alice", "owner"), ("bob", "member")]
    assert bob.verify(link.id).status is LinkStatus.CONNECTED
    assert [s.id for s in bob.connected_shops()] == [MAPLE]
    with pytest.raises(AccessDenied) as denied:
        bob.grant_access(MAPLE, "mallory")
    assert denied.value.reason == "not_your_shop"
    assert alice.revoke_access(MAPLE, "bob") is True
    with pytest.raises(AccessDenied):
        bob.verify(link.id)
    kinds = [e.kind for e in alice.events(MAPLE, kinds=["access_granted", "access_revoked"])]
    assert kinds == ["access_revoked", "access_granted"]


def test_the_connecting_principal_owns_the_shop_and_the_last_owner_stays(world: World) -> None:
    alice = world.service("alice")
    assert alice.sandbox is not None
    start = alice.begin_shop_authorization()
    alice.complete_authorization(alice.sandbox.consent(start.url, "maple_seller"))
    assert [(a.principal, a.role, a.granted_by) for a in alice.access(MAPLE)] == [("alice", "owner", "alice")]
    assert {e.actor for e in alice.events(MAPLE, kinds=["shop_connected"])} == {"alice"}
    before = snapshot(alice.store)
    with pytest.raises(InvalidInput) as last:
        alice.revoke_access(MAPLE, "alice")
    assert last.value.reason == "invalid_input" and snapshot(alice.store) == before
    alice.grant_access(MAPLE, "carol", role="owner")
    assert alice.revoke_access(MAPLE, "alice") is True  # another owner remains
    with pytest.raises(AccessDenied):
        alice.overview(MAPLE)


def test_the_monitor_is_a_system_principal_by_flag_not_by_name(world: World) -> None:
    alice = world.service("alice")
    link = connect_and_link(alice)
    named = world.service("monitor")  # a user who happens to be called "monitor" is an ordinary principal
    with pytest.raises(AccessDenied):
        named.verify(link.id)
    monitor = world.service("monitor", system=True)
    assert monitor.verify(link.id).status is LinkStatus.CONNECTED
    assert [s.id for s in monitor.connected_shops()] == [MAPLE]
    with pytest.raises(ConfigError):
        world.service("bob", system=True)


def test_an_unknown_shop_is_still_not_connected(world: World) -> None:
    bob = world.service("bob")
    with pytest.raises(LinkError) as caught:
        bob.overview("no-such-shop")
    assert caught.value.reason == "shop_not_connected"


def test_cli_access_grant_revoke_list(world: World, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    from linkkit.cli import main

    alice = world.service("alice")
    assert alice.sandbox is not None
    start = alice.begin_shop_authorization()
    alice.complete_authorization(alice.sandbox.consent(start.url, "maple_seller"))
    monkeypatch.setenv("LINKKIT_SANDBOX_URL", world.sandbox_url)
    monkeypatch.setenv("LINKKIT_DATABASE_URL", world.settings.database_url or "")
    monkeypatch.setenv("LINKKIT_SECRET_KEY", world.settings.secret_key or "")
    before = snapshot(alice.store)
    monkeypatch.setenv("LINKKIT_ACTOR", "bob")
    assert main(["access", "grant", MAPLE, "bob"]) == 1
    assert "belongs to another owner" in capsys.readouterr().err and snapshot(alice.store) == before
    monkeypatch.setenv("LINKKIT_ACTOR", "alice")
    assert main(["access", "grant", MAPLE, "bob"]) == 0
    assert "bob now has access" in capsys.readouterr().out
    assert main(["access", "list", MAPLE, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["access"]
    assert [(r["user"], r["role"], r["granted_by"]) for r in listed] == [("alice", "owner", "alice"),
                                                                          ("bob", "member", "alice")]
    with pytest.raises(SystemExit) as usage:  # no USER: a usage error, as argparse's own (exit 2)
        main(["access", "revoke", MAPLE])
    assert usage.value.code == 2
    assert "needs a USER" in capsys.readouterr().err
    assert main(["access", "revoke", MAPLE, "bob"]) == 0
    assert [a.principal for a in alice.access(MAPLE)] == ["alice"]


def test_two_owners_removing_each_other_at_once_leave_one_owner(world: World) -> None:
    alice = world.service("alice")
    assert alice.sandbox is not None
    start = alice.begin_shop_authorization()
    alice.complete_authorization(alice.sandbox.consent(start.url, "maple_seller"))
    alice.grant_access(MAPLE, "carol", role="owner")
    carol = world.service("carol")
    for _ in range(3):  # a few rounds: the race is real only when both read before either commits
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def remove(me: LinkService, other: str) -> None:
            barrier.wait()
            try:
                outcomes.append("removed" if me.revoke_access(MAPLE, other) else "absent")
            except (AccessDenied, InvalidInput) as exc:
                outcomes.append(exc.reason)

        threads = [threading.Thread(target=remove, args=(alice, "carol")),
                   threading.Thread(target=remove, args=(carol, "alice"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        owners = [a.principal for a in alice.store.access_list(MAPLE) if a.role == "owner"]
        assert len(owners) == 1 and outcomes.count("removed") == 1, outcomes
        survivor = alice if owners == ["alice"] else carol
        survivor.grant_access(MAPLE, "carol" if survivor is alice else "alice", role="owner")
