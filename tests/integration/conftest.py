"""Integration fixtures: a LinkService on a temp registry, wired to the session's in-process sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from linkkit.config import Settings
from linkkit.crypto import TokenBox
from linkkit.linking import LinkService
from linkkit.models import Link, Role, Shop
from linkkit.store import Store

MAPLE = "7494100000000000101"


@dataclass
class Harness:
    """A service plus the sandbox it talks to, with the steps a person would take."""

    service: LinkService
    sandbox_url: str
    settings: Settings

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = requests.request(method, f"{self.sandbox_url}/_sandbox{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def consent(self, url: str, username: str, decision: str = "allow", scopes: list[str] | None = None) -> str:
        assert self.service.sandbox is not None
        return self.service.sandbox.consent(url, username, decision=decision, scopes=scopes)

    def connect(self, seller: str = "maple_seller") -> list[Shop]:
        start = self.service.begin_shop_authorization()
        return list(self.service.complete_authorization(self.consent(start.url, seller)).shops)

    def authorize(self, shop_id: str, role: Role, username: str, **kwargs: Any) -> Link:
        start = self.service.begin_authorization(shop_id, role, **kwargs)
        result = self.service.complete_authorization(self.consent(start.url, username))
        assert result.link is not None
        return result.link

    def bind(self, link: Link) -> Link:
        assert self.service.sandbox is not None
        self.service.sandbox.send_invitation(link.id)
        self.service.sandbox.accept_invitation(link.id)
        return self.service.verify(link.id)

    def counts(self) -> dict[str, int]:
        return self.service.store.counts()


def alive(h: Harness) -> list[str]:
    """The accounts still connected to linkkit's app at TikTok (an unrevoked Login Kit grant), sorted.

    Connections, not grants: TikTok honours every grant of a connected account and its revoke disconnects the
    account as a whole, so a second grant of a connected account (a repair) is not a leak; a connected account
    that no link needs is.
    """
    return sorted({g["username"] for g in h.control("GET", "/grants")["grants"] if not g["revoked"]})


@pytest.fixture
def make_harness(sandbox_server: Any, registry_url: str, secret_key: str) -> Iterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def make(**overrides: Any) -> Harness:
        settings = Settings(sandbox_url=sandbox_server.url, database_url=registry_url,
                            secret_key=secret_key, max_retries=2, backoff=0.01, **overrides)
        service = LinkService(settings, Store(settings.resolved_database_url, TokenBox(secret_key)))
        harness = Harness(service, sandbox_server.url, settings)
        made.append(harness)
        return harness

    requests.post(f"{sandbox_server.url}/_sandbox/reset", json={}, timeout=10).raise_for_status()
    yield make
    requests.delete(f"{sandbox_server.url}/_sandbox/faults", timeout=10)
    for harness in made:
        harness.service.store.close()


@pytest.fixture
def h(make_harness: Callable[..., Harness]) -> Harness:
    return make_harness()
