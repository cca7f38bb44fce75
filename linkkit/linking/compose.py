"""The composition root: the one place that reads the mode and chooses the ports (design §2).

================  ==========================================  ==========================================
port              sandbox mode                                live mode
================  ==========================================  ==========================================
``Clock``         :class:`~linkkit.clock.SandboxClock`        :class:`~linkkit.clock.WallClock`
``Registry``      :class:`~linkkit.store.Store` stamped by the clock above (both modes)
``TikTokClients`` the sandbox's origin; app credentials read   TikTok's hosts; credentials from settings
                  from its world when not configured
``SellerCenter``  :class:`~linkkit.seller_center.emulated.     :class:`~linkkit.seller_center.manual.
                  EmulatedSellerCenter`                        ManualSellerCenter`
================  ==========================================  ==========================================
"""

from __future__ import annotations

from typing import Any

import requests

from linkkit import redact, rules
from linkkit.clock import Clock, SandboxClock, WallClock
from linkkit.config import Settings
from linkkit.errors import ConfigError
from linkkit.identity import SYSTEM_PRINCIPALS, current_actor
from linkkit.linking.ports import Ports
from linkkit.linking.sandbox_actions import SandboxActions
from linkkit.linking.tokens import TokenKeeper
from linkkit.sandbox_client import SandboxClient
from linkkit.seller_center.base import SellerCenter
from linkkit.seller_center.emulated import EmulatedSellerCenter
from linkkit.seller_center.manual import ManualSellerCenter
from linkkit.store import Store
from linkkit.tiktok.clients import AppConfig, TikTokClients
from linkkit.tiktok.http import make_session

__all__ = ["build_ports", "mode_label", "sandbox_needed"]


def _app_config(settings: Settings, world: dict[str, Any] | None = None) -> AppConfig:
    settings.require_credentials()
    values = {"client_key": settings.client_key, "client_secret": settings.client_secret,
              "app_key": settings.app_key, "app_secret": settings.app_secret, "service_id": settings.service_id}
    if world is not None:
        values.update(_credentials_from_world(world, settings.pkce_encoding))
    if not all(values[k] for k in ("client_key", "client_secret", "app_key", "app_secret")):
        raise ConfigError("TikTok app credentials are missing.", reason="config_invalid")
    return AppConfig(redirect_uri=settings.redirect_uri, pkce_encoding=settings.pkce_encoding,
                     timeout=settings.timeout, max_retries=settings.max_retries, backoff=settings.backoff, **values)


def _credentials_from_world(world: dict[str, Any], pkce_encoding: str) -> dict[str, Any]:
    """App credentials from the sandbox's ``/_sandbox/world`` (the desktop app uses TikTok's hex PKCE)."""
    login = (world.get("login_kit") or {}).get("desktop" if pkce_encoding == "hex" else "web")
    shop = world.get("shop_app")
    if not login or not shop:
        raise ConfigError("The sandbox's world does not describe its apps.", reason="config_invalid")
    return {"client_key": login["client_key"], "client_secret": login["client_secret"],
            "app_key": shop["app_key"], "app_secret": shop["app_secret"], "service_id": shop["service_id"]}


def sandbox_needed(settings: Settings) -> bool:
    """Whether ``settings``' mode talks to the local sandbox (the dashboard starts one unless told not to)."""
    return settings.is_sandbox


def mode_label(settings: Settings) -> str:
    """How the command line names ``settings``' mode to a person."""
    return "sandbox mode: no TikTok credentials needed" if settings.is_sandbox else "live"


def build_ports(settings: Settings, registry: Store, *, clock: Clock | None = None,
                session: requests.Session | None = None, actor: str | None = None, system: bool = False
                ) -> tuple[Ports, SandboxActions | None]:
    """Choose every port for ``settings``' mode; the only function that asks which mode it is.

    Args:
        settings: Mode, endpoints, app credentials.
        registry: The registry; unless it already has a clock, it is given the chosen one.
        clock: Override the clock (tests, benchmarks).
        session: The HTTP session every TikTok client sends through (a retrying keep-alive one when ``None``).
        actor: Who acts (default: :func:`linkkit.identity.current_actor`).
        system: Act on every shop (only for :data:`linkkit.identity.SYSTEM_PRINCIPALS`, e.g. the monitor).
    """
    principal = current_actor(explicit=actor)
    if system and principal not in SYSTEM_PRINCIPALS:
        raise ConfigError(f"Only a system principal ({', '.join(sorted(SYSTEM_PRINCIPALS))}) acts on every shop.",
                          reason="config_invalid")
    redact.register(settings.client_secret, settings.app_secret, settings.secret_key)
    endpoints = settings.endpoints
    http = session if session is not None else make_session(max_retries=settings.max_retries,
                                                            backoff=settings.backoff)
    control: SandboxClient | None = None
    if settings.is_sandbox:
        assert endpoints.sandbox_control is not None and endpoints.seller_center_api is not None
        control = SandboxClient(endpoints.sandbox_control)
        sandbox = control
        chosen: Clock = clock or SandboxClock(control)
        configured = settings.client_key and settings.app_key

        def app() -> AppConfig:
            return _app_config(settings, None if configured else sandbox.world())
    else:
        chosen = clock or WallClock()

        def app() -> AppConfig:
            return _app_config(settings)

    if registry.clock is None:
        registry.clock = chosen.now
    clients = TikTokClients(endpoints, app, session=http, clock=chosen.timestamp, on_clock_skew=chosen.sync)
    keeper = TokenKeeper(registry, chosen)
    holder: list[Ports] = []
    seller_center: SellerCenter
    emulated: EmulatedSellerCenter | None = None
    if control is not None:
        assert endpoints.seller_center_api is not None
        emulated = EmulatedSellerCenter(
            endpoints.seller_center_api, endpoints.seller_center,
            access_token=lambda shop: holder[0].shop_access_token(shop),
            shop_client=lambda shop: holder[0].shop_client(shop),
            rule_reasons=rules.SELLER_CENTER_RULE_REASONS, timeout=settings.timeout, session=http)
        seller_center = emulated
    else:
        seller_center = ManualSellerCenter(endpoints.seller_center, lambda shop: holder[0].shop_client(shop))
    ports = Ports(clock=chosen, registry=registry, clients=clients, seller_center=seller_center, keeper=keeper,
                  actor=principal, system=system)
    holder.append(ports)
    actions = SandboxActions(control, emulated, ports) if control is not None and emulated is not None else None
    return ports, actions
