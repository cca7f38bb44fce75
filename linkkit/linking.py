"""LinkService: the one place that orchestrates TikTok clients, Seller Center rules and the registry.

The flow of one link (design §1, §3.1, §3.2)::

    service = LinkService.from_settings()
    start = service.begin_shop_authorization()          # 1. seller authorizes linkkit on the shop
    service.complete_authorization(callback_url)        #    (any process: Voila starts a kernel per page)
    service.overview(shop_id).can_add(Role.OFFICIAL)    # 2. rules shown before consent
    start = service.begin_authorization(shop_id, Role.OFFICIAL)   # 3. the TikTok account consents
    result = service.complete_authorization(callback_url)         #    rules checked before anything is stored
    service.seller_center_steps(result.link.id)         # 4. the binding happens in Seller Center
    service.verify(result.link.id).status               # 5. CONNECTED only when every check passes

Nothing is stored until TikTok's answer and every rule check pass; every failure is a
:class:`~linkkit.errors.LinkkitError` with a reason code that :mod:`linkkit.troubleshoot` explains.

Example:
    >>> from linkkit.linking import LinkService
    >>> LinkService.__name__
    'LinkService'
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from linkkit import redact, rules
from linkkit.config import Settings, data_dir
from linkkit.crypto import TokenBox, load_or_create_key, new_state
from linkkit.errors import (
    AuthorizationError,
    ConfigError,
    LinkError,
    LinkkitError,
    ProviderError,
    RuleViolation,
    StateMismatch,
)
from linkkit.models import (
    CheckName,
    Link,
    LinkCheck,
    LinkEvent,
    LinkStatus,
    PendingAuthorization,
    Provider,
    Role,
    Shop,
    TikTokAccount,
)
from linkkit.store import Store, StoredToken
from linkkit.tiktok.callback import code_from_callback, parse_callback
from linkkit.tiktok.login_kit import LoginKitFlow, TokenSet
from linkkit.tiktok.sandbox_control import SandboxClock, SandboxControl
from linkkit.tiktok.seller_center import SellerCenterClient
from linkkit.tiktok.shop import ShopAuth, ShopClient
from linkkit.tiktok.signing import new_code_verifier

__all__ = ["AuthorizationResult", "AuthorizationStart", "LinkService", "SandboxActions", "ShopOverview"]

log = logging.getLogger(__name__)

PENDING_TTL = timedelta(minutes=10)  # design §3.1: a pending authorization lives at most 10 minutes
REFRESH_MARGIN = timedelta(minutes=5)  # refresh a little before TikTok's expiry
BINDING_LOOKBACK = timedelta(days=30)  # how far back the shop's analytics are searched for the account


@dataclass(frozen=True)
class AuthorizationStart:
    """Where to send the person, and the pending record that waits for them."""

    provider: Provider
    url: str = field(repr=False)  # carries state: never logged
    pending_id: int
    expires_at: datetime


@dataclass(frozen=True)
class AuthorizationResult:
    """What a completed callback produced."""

    provider: Provider
    pending_id: int
    shops: tuple[Shop, ...] = ()
    link: Link | None = None


@dataclass(frozen=True)
class ShopOverview:
    """A shop and its active links, with the rules that apply before consent."""

    shop: Shop
    official: Link | None
    marketing: tuple[Link, ...]
    now: datetime

    @property
    def links(self) -> tuple[Link, ...]:
        return ((self.official,) if self.official else ()) + self.marketing

    def can_add(self, role: Role, *, replace: bool = False) -> list[rules.Violation]:
        """Violations that refuse a new ``role`` link before anyone signs in (empty = allowed)."""
        found = rules.can_add(self.shop, self.links, role, replace=replace)
        if role is Role.OFFICIAL and replace and self.official is not None:
            found += rules.check_unlink(self.official, self.now)
        return found


def _now_utc() -> datetime:
    return datetime.now(UTC)


class LinkService:
    """Links a shop to TikTok accounts, verifies, repairs and unlinks them.

    Args:
        settings: Mode, endpoints and app credentials.
        store: The registry.
        clock: Current time; in sandbox mode the sandbox's clock, so ``advance`` there is seen here.
    """

    def __init__(self, settings: Settings, store: Store, *, clock: Callable[[], float] | None = None) -> None:
        redact.install()
        self.settings = settings
        self.store = store
        self.endpoints = settings.endpoints
        self._control = SandboxControl(self.endpoints.sandbox_control) if self.endpoints.sandbox_control else None
        self._sandbox_clock = SandboxClock(self._control) if self._control and clock is None else None
        self._clock: Callable[[], float] | None = clock or self._sandbox_clock
        self._resolved: Settings | None = None
        redact.register(settings.client_secret, settings.app_secret, settings.secret_key)
        #: Sandbox-only helpers that drive the emulated Seller Center (``None`` in live mode).
        self.sandbox: SandboxActions | None = SandboxActions(self) if self._control else None

    def __repr__(self) -> str:
        return f"LinkService(mode={self.settings.mode!r}, store={self.store!r})"

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> LinkService:
        """Open the registry named by ``settings`` (loaded from the environment when ``None``)."""
        settings = settings or Settings.load()
        key = settings.secret_key or load_or_create_key(data_dir() / "secret.key")
        return cls(settings, Store(settings.resolved_database_url, TokenBox(key)))

    # --- time and credentials -----------------------------------------------------------------------------

    def now(self) -> datetime:
        if self._clock is None:
            return _now_utc()
        return datetime.fromtimestamp(self._clock(), UTC)

    def _sync_clock(self) -> None:
        if self._sandbox_clock is not None:
            self._sandbox_clock.sync()

    @property
    def credentials(self) -> Settings:
        """Settings with app credentials filled in (from the sandbox's world in sandbox mode)."""
        if self._resolved is None:
            settings = self.settings
            if settings.is_sandbox and not (settings.client_key and settings.app_key) and self._control:
                settings = settings.with_(**_credentials_from_world(self._control.world(), settings.pkce_encoding))
            if not (settings.client_key and settings.client_secret and settings.app_key and settings.app_secret):
                raise ConfigError("TikTok app credentials are missing.", reason="config_invalid")
            redact.register(settings.client_secret, settings.app_secret)
            self._resolved = settings
        return self._resolved

    def _login_flow(self, role: Role) -> LoginKitFlow:
        c = self.credentials
        return LoginKitFlow(
            self.endpoints, client_key=c.client_key, client_secret=c.client_secret, redirect_uri=c.redirect_uri,
            scopes=[need.scope for need in rules.scopes_for(role)], pkce_encoding=c.pkce_encoding,
            timeout=c.timeout, max_retries=c.max_retries, backoff=c.backoff,
        )

    def _shop_auth(self) -> ShopAuth:
        c = self.credentials
        return ShopAuth(self.endpoints, app_key=c.app_key, app_secret=c.app_secret, service_id=c.service_id,
                        timeout=c.timeout, max_retries=c.max_retries, backoff=c.backoff)

    def _shop_client(self, access_token: str) -> ShopClient:
        c = self.credentials
        return ShopClient(self.endpoints, app_key=c.app_key, app_secret=c.app_secret, access_token=access_token,
                          clock=self._clock or (lambda: _now_utc().timestamp()), timeout=c.timeout,
                          max_retries=c.max_retries, backoff=c.backoff, on_clock_skew=self._sync_clock)

    # --- step 1: connect Seller Center --------------------------------------------------------------------

    def begin_shop_authorization(self) -> AuthorizationStart:
        """Start TikTok Shop seller authorization; returns the URL to open."""
        state = new_state()
        expires = self.now() + PENDING_TTL
        pending_id = self.store.add_pending(provider=Provider.SHOP, state=state, code_verifier=None, shop_id=None,
                                            role=None, redirect_uri=self.credentials.redirect_uri,
                                            expires_at=expires)
        self.store.add_event("authorization_started", actor="seller", detail="TikTok Shop seller authorization")
        return AuthorizationStart(Provider.SHOP, self._shop_auth().authorization_url(state=state), pending_id,
                                  expires)

    def connected_shops(self) -> list[Shop]:
        """Shops the seller already authorized linkkit on (no network)."""
        return self.store.shops()

    def sync_shops(self) -> list[Shop]:
        """Re-read the authorized shops with the stored seller tokens."""
        subjects = sorted({shop.seller_open_id for shop in self.store.shops() if shop.seller_open_id})
        for subject in subjects:
            client = self._seller_client(subject)
            for shop in client.authorized_shops(seller_name=self._seller_name(subject), seller_open_id=subject):
                self.store.upsert_shop(shop)
        return self.store.shops()

    def _seller_name(self, subject: str) -> str:
        return next((s.seller_name for s in self.store.shops() if s.seller_open_id == subject), "")

    # --- step 2: choose the link type ---------------------------------------------------------------------

    def shop(self, shop_id: str) -> Shop:
        shop = self.store.shop(shop_id)
        if shop is None:
            raise LinkError("This shop is not connected to linkkit yet. Connect Seller Center first.",
                            reason="shop_not_connected")
        return shop

    def overview(self, shop_id: str) -> ShopOverview:
        shop = self.shop(shop_id)
        active = self.store.links(shop_id)
        official = next((link for link in active if link.role is Role.OFFICIAL), None)
        return ShopOverview(shop, official, tuple(link for link in active if link.role is Role.MARKETING),
                            self.now())

    # --- step 3: authorize the TikTok account -------------------------------------------------------------

    def begin_authorization(self, shop_id: str, role: Role, *, replace: bool = False,
                            expected_username: str | None = None, link_id: int | None = None
                            ) -> AuthorizationStart:
        """Start TikTok Login Kit consent for ``role`` in ``shop_id``.

        Args:
            shop_id: A connected shop.
            role: Official or Marketing.
            replace: Replace the shop's Official account (checked against the 24 h rule now).
            expected_username: The @username the seller means to link; another login is refused.
            link_id: Repair this link (re-authorize, keeping its record and history).

        Raises:
            RuleViolation: The role is refused before consent (limits, 24 h rule for replace).
        """
        role = Role(role)
        if link_id is not None:
            link = self._link(link_id)
            if not link.active:
                raise LinkError("This link was unlinked; link the account again instead.",
                                reason="link_not_found")
            role, shop_id, replace = link.role, link.shop_id, False
            expected_username = expected_username or link.account.username or None
        else:
            violations = self.overview(shop_id).can_add(role, replace=replace)
            if violations:
                raise RuleViolation(violations[0].message, reason=violations[0].reason, violations=violations)
        verifier = new_code_verifier()
        state = new_state()
        expires = self.now() + PENDING_TTL
        flow = self._login_flow(role)
        pending_id = self.store.add_pending(
            provider=Provider.LOGIN_KIT, state=state, code_verifier=verifier, shop_id=shop_id, role=role,
            redirect_uri=flow.redirect_uri, expires_at=expires, link_id=link_id,
            expected_username=(expected_username or "").lstrip("@") or None, replace=replace,
        )
        self.store.add_event("authorization_started", shop_id=shop_id, link_id=link_id, actor="seller",
                             role=role.value, detail="repair" if link_id else ("replace" if replace else ""))
        return AuthorizationStart(Provider.LOGIN_KIT, flow.authorization_url(state=state, code_verifier=verifier),
                                  pending_id, expires)

    def pending(self, pending_id: int) -> PendingAuthorization:
        """The pending authorization, for a tab that polls until another tab completes it."""
        record = self.store.pending(pending_id)
        if record is None:
            raise StateMismatch("That authorization is unknown; start again.", reason="state_mismatch")
        return record

    def complete_authorization(self, callback_url: str) -> AuthorizationResult:
        """Finish an authorization from the URL TikTok redirected to (any process, exactly once).

        Raises:
            StateMismatch: Unknown, expired or already-used ``state``.
            AuthorizationDenied: The person cancelled on TikTok.
            ProviderError: TikTok refused the code (expired, reused, PKCE mismatch …).
            RuleViolation: The account breaks a Seller Center rule; nothing was stored.
        """
        params = parse_callback(callback_url)
        if not params.state:
            raise StateMismatch("The address has no state parameter: it is not a TikTok callback.",
                                reason="state_mismatch")
        claim = self.store.claim_pending(params.state, self.now())
        if isinstance(claim, str):
            messages = {
                "state_mismatch": "This callback does not match an authorization started here (stale tab?).",
                "authorization_reused": "This authorization was already completed; it can be used once.",
                "authorization_expired": "This authorization took longer than 10 minutes and expired.",
            }
            raise StateMismatch(messages[claim], reason=claim)
        record, verifier, replace = claim
        try:
            if record.provider is Provider.SHOP:
                result = self._complete_shop(record, params)
            else:
                result = self._complete_login(record, verifier, replace, params)
        except LinkkitError as exc:
            self.store.finish_pending(record.id, exc.reason)
            self.store.add_event("authorization_failed", shop_id=record.shop_id, link_id=record.link_id,
                                 role=record.role.value if record.role else "", detail=exc.reason)
            raise
        self.store.finish_pending(record.id, "ok", result.link.id if result.link else None)
        return result

    def _complete_shop(self, record: PendingAuthorization, params: Any) -> AuthorizationResult:
        code = code_from_callback(params)
        token = self._shop_auth().get_token(code)
        client = self._shop_client(token.access_token)
        shops = client.authorized_shops(seller_name=token.seller_name, seller_open_id=token.open_id)
        if not shops:
            raise LinkError("TikTok Shop returned no shops for this seller.", reason="shop_not_connected")
        with self.store.transaction() as conn:
            self.store.save_token(Provider.SHOP, token.open_id, access_token=token.access_token,
                                  refresh_token=token.refresh_token, expires_at=token.expires_at,
                                  refresh_expires_at=token.refresh_expires_at, scopes=token.scopes, conn=conn)
            for shop in shops:
                self.store.upsert_shop(shop, conn=conn)
                self.store.add_event("shop_connected", shop_id=shop.id, actor="seller",
                                     detail=f"{shop.name} ({shop.region})", conn=conn)
        return AuthorizationResult(Provider.SHOP, record.id, shops=tuple(shops))

    def _complete_login(self, record: PendingAuthorization, verifier: str | None, replace: bool,
                        params: Any) -> AuthorizationResult:
        assert record.shop_id is not None and record.role is not None
        shop = self.shop(record.shop_id)
        role = record.role
        flow = self._login_flow(role)
        code = code_from_callback(params)
        tokens = flow.exchange_code(code, code_verifier=verifier, now=self.now())
        try:
            account = self._check_account(shop, role, record, tokens, flow, replace)
        except LinkkitError:
            self._revoke_quietly(flow, tokens.access_token)  # we refused the account: leave no grant behind
            raise
        # The registry re-checks the slot rules inside this transaction (a concurrent link may have taken the
        # last slot): when it refuses, nothing is stored and the grant is revoked too.
        with self._revoked_if_refused(flow, tokens.access_token), self.store.transaction() as conn:
            self.store.upsert_account(account, conn=conn)
            self.store.save_token(Provider.LOGIN_KIT, account.open_id, access_token=tokens.access_token,
                                  refresh_token=tokens.refresh_token, expires_at=tokens.expires_at,
                                  refresh_expires_at=tokens.refresh_expires_at, scopes=tokens.scopes, conn=conn)
            if record.link_id is not None:
                link_id = record.link_id
                self.store.update_link(link_id, scopes=tokens.scopes, conn=conn)
                self.store.add_event("repaired", shop_id=shop.id, link_id=link_id, actor="seller",
                                     username=account.username, role=role.value, conn=conn,
                                     detail="re-authorized on TikTok")
            else:
                if replace:
                    old = next((x for x in self.store.links(shop.id) if x.role is Role.OFFICIAL), None)
                    if old is not None:
                        self.store.update_link(old.id, unlinked_at=self.now(), conn=conn)
                        self.store.add_event("replaced", shop_id=shop.id, link_id=old.id, actor="seller",
                                             username=old.account.username, role=old.role.value, conn=conn,
                                             detail=f"replaced by @{account.username}")
                link_id = self.store.insert_link(shop.id, account.open_id, role, tokens.scopes, conn=conn)
                self.store.add_event("authorized", shop_id=shop.id, link_id=link_id, actor="seller",
                                     username=account.username, role=role.value, conn=conn,
                                     detail="TikTok account authorized; finish the link in Seller Center")
        return AuthorizationResult(Provider.LOGIN_KIT, record.id, link=self._link(link_id))

    def _check_account(self, shop: Shop, role: Role, record: PendingAuthorization, tokens: TokenSet,
                       flow: LoginKitFlow, replace: bool) -> TikTokAccount:
        missing = rules.missing_scopes(role, tokens.scopes)
        if missing:
            raise AuthorizationError(f"These permissions were not granted: {', '.join(missing)}.",
                                     reason="scopes_missing")
        account = _account(flow.user_info(tokens.access_token, granted=tokens.scopes))
        if account.open_id != tokens.open_id:
            raise ProviderError("TikTok's user info names another account than the token.",
                                reason="provider_bad_response")
        repaired = self._link(record.link_id) if record.link_id is not None else None
        if repaired is not None and repaired.account.open_id != account.open_id:
            raise LinkError(f"You signed in as @{account.username}, but this link belongs to "
                            f"@{repaired.account.username}.", reason="wrong_account")
        if record.expected_username and account.username.lower() != record.expected_username.lower():
            raise LinkError(f"You signed in as @{account.username}, not @{record.expected_username}.",
                            reason="wrong_account")
        seller_center_rules: list[str] = []
        checker = self._seller_center(shop)
        if checker is not None and account.username:
            # Seller Center's own eligibility check knows what Login Kit does not: region, account type and
            # links in shops we don't manage (sandbox emulation; live Seller Center checks at invitation).
            verdict = checker.eligibility(shop.id, account.username, role.value)
            info = verdict.get("account") or {}
            account = TikTokAccount(**{**account.__dict__, "region": info.get("region") or account.region,
                                       "account_type": info.get("account_type") or account.account_type})
            seller_center_rules = [str(v.get("rule")) for v in verdict.get("violations") or []]
        violations = rules.check_candidate(shop, self.store.links(), account, role, replace=replace,
                                           repair_link_id=record.link_id, seller_center_rules=seller_center_rules)
        if violations:
            raise RuleViolation(violations[0].message, reason=violations[0].reason, violations=violations)
        return account

    @contextmanager
    def _revoked_if_refused(self, flow: LoginKitFlow, access_token: str) -> Iterator[None]:
        try:
            yield
        except LinkkitError:
            self._revoke_quietly(flow, access_token)
            raise

    @staticmethod
    def _revoke_quietly(flow: LoginKitFlow, access_token: str) -> None:
        try:
            flow.revoke(access_token)
        except LinkkitError as exc:
            log.warning("Could not revoke a refused grant (%s); it expires by itself.", exc.reason)

    # --- step 4: Seller Center ----------------------------------------------------------------------------

    def seller_center_steps(self, link_id: int) -> list[str]:
        """The exact clicks that bind the account in Seller Center (TikTok has no API for it)."""
        link = self._link(link_id)
        kind = "Official account" if link.role is Role.OFFICIAL else "Marketing accounts"
        steps = [
            "Open Seller Center and sign in with the shop's seller account.",
            "Go to My account › Linked TikTok accounts (in the TikTok Seller app: Me › Linked TikTok accounts).",
            f"Under {kind}, choose {'Link' if link.role is Role.MARKETING else 'Link / Change'} and search for "
            f"@{link.account.username}.",
            "Send the invitation.",
            f"On the phone signed in to @{link.account.username}, open the TikTok app and accept the invitation "
            "in the inbox.",
            "Come back here and press Verify. It can take a few minutes to show everywhere.",
        ]
        if link.role is Role.OFFICIAL and any(e.kind == "replaced" for e in self.store.events(link.shop_id)):
            steps.insert(2, "Unlink the current Official account first (Seller Center allows it 24 hours after "
                            "it was linked); the shop's products leave its profile until the new link is made.")
        return steps

    def seller_center_url(self, shop_id: str) -> str | None:
        """Where the seller does step 4 (the sandbox's emulated page in sandbox mode)."""
        if self.endpoints.seller_center_api is not None:
            return f"{self.endpoints.seller_center}/linked-accounts?shop_id={shop_id}"
        return self.endpoints.seller_center

    def confirm_binding(self, link_id: int, *, actor: str = "seller") -> Link:
        """Record that the seller sees the account as linked in Seller Center (evidence the UI labels)."""
        link = self._link(link_id)
        self.store.update_link(link.id, binding_evidence="seller_confirmed")
        self.store.add_event("binding_confirmed", shop_id=link.shop_id, link_id=link.id, actor=actor,
                             username=link.account.username, role=link.role.value,
                             detail="seller confirmed Seller Center shows the link")
        return self._link(link_id)

    # --- step 5: verify -----------------------------------------------------------------------------------

    def verify(self, link_id: int) -> Link:
        """Run every check on a link, store them, and return the link with its derived status."""
        link = self._link(link_id)
        if not link.active:
            return link
        now = self.now()
        checks: list[LinkCheck] = []

        def check(name: CheckName, ok: bool, reason: str | None, detail: str) -> None:
            checks.append(LinkCheck(link.id, name, ok, None if ok else reason, detail, now))

        shop = self.shop(link.shop_id)
        user: dict[str, Any] | None = None
        token: StoredToken | None = None
        try:
            token = self._fresh_login_token(link.account.open_id)
            user = self._user_info(link, token)
            check(CheckName.TOKEN_WORKS, True, None, f"Access token valid until {token.expires_at:%Y-%m-%d %H:%M} UTC.")
        except LinkkitError as exc:
            check(CheckName.TOKEN_WORKS, False, exc.reason, exc.message)
        if user is not None:
            same = user.get("open_id") == link.account.open_id
            check(CheckName.IDENTITY_MATCHES, same, "wrong_account",
                  f"Signed in as {user.get('display_name', '')!s}." if same else
                  "TikTok returned a different account for this token.")
            if same:
                self.store.upsert_account(TikTokAccount(**{**_account(user).__dict__,
                                                          "region": link.account.region,
                                                          "account_type": link.account.account_type}))
        else:
            check(CheckName.IDENTITY_MATCHES, False, "token_expired", "Skipped: TikTok access does not work.")
        granted = token.scopes if token else link.scopes
        missing = rules.missing_scopes(link.role, granted)
        check(CheckName.SCOPES_GRANTED, not missing, "scopes_missing",
              "All required permissions are granted." if not missing else f"Missing: {', '.join(missing)}.")
        others = self.store.links()
        violations = rules.check_candidate(shop, others, link.account, link.role, repair_link_id=link.id)
        check(CheckName.RULES_HOLD, not violations, violations[0].reason if violations else None,
              violations[0].message if violations else "Region, limits and roles are within Seller Center's rules.")
        bound_by, detail, reason = self._binding_evidence(shop, link)
        check(CheckName.SELLER_CENTER_BINDING, bound_by is not None, reason, detail)
        with self.store.transaction() as conn:
            self.store.record_checks(link.id, checks, conn=conn)
            values: dict[str, Any] = {"last_verified_at": now}
            if bound_by is not None:
                values["binding_evidence"] = bound_by
                if link.linked_at is None:
                    values["linked_at"] = now
            self.store.update_link(link.id, conn=conn, **values)
            failing = next((c for c in checks if not c.ok), None)
            self.store.add_event(
                "verified" if failing is None else "check_failed", shop_id=link.shop_id, link_id=link.id,
                username=link.account.username, role=link.role.value, conn=conn,
                detail="all checks passed" if failing is None else f"{failing.name.value}: {failing.reason}",
            )
            if bound_by is not None and link.linked_at is None:
                self.store.add_event("linked", shop_id=link.shop_id, link_id=link.id, conn=conn,
                                     username=link.account.username, role=link.role.value,
                                     detail=f"Seller Center binding seen ({bound_by})")
        return self._link(link.id)

    def verify_all(self, shop_id: str | None = None, progress: Callable[[int, int], None] | None = None
                   ) -> list[Link]:
        """Verify every active link (of one shop, or all), reporting ``progress(done, total)``."""
        targets = self.store.links(shop_id)
        results = []
        for done, link in enumerate(targets, start=1):
            results.append(self.verify(link.id))
            if progress is not None:
                progress(done, len(targets))
        return results

    def _binding_evidence(self, shop: Shop, link: Link) -> tuple[str | None, str, str]:
        """(evidence, detail, reason-if-missing) for the Seller Center binding check (design §3.2)."""
        username = link.account.username
        try:
            client = self._seller_client_for_shop(shop)
            since = (self.now() - BINDING_LOOKBACK).date()
            until = self.now().date() + timedelta(days=1)
            account_type = "OFFICIAL_ACCOUNTS" if link.role is Role.OFFICIAL else "MARKETING_ACCOUNTS"
            if _username_in(client.shop_lives(shop.cipher, start_date_ge=since, end_date_lt=until,
                                              account_type=account_type), username) or \
               _username_in(client.shop_videos(shop.cipher, start_date_ge=since, end_date_lt=until,
                                               account_type="LINKED_ACCOUNTS"), username):
                return "shop_analytics", (f"The shop's analytics list @{username}'s content under "
                                          f"{link.role.label} accounts."), ""
            checker = self._seller_center(shop)
            if checker is not None:
                state = checker.linked_accounts(shop.id)
                bound = [state.get("official") or {}] if link.role is Role.OFFICIAL else state.get("marketing") or []
                if any((row or {}).get("username") == username for row in bound):
                    return "seller_center", f"Seller Center lists @{username} as a {link.role.label} account.", ""
        except LinkkitError as exc:
            if link.binding_evidence == "seller_confirmed":
                return "seller_confirmed", "You confirmed Seller Center shows the link.", ""
            return None, f"Could not read the shop's data: {exc.message}", exc.reason
        if link.binding_evidence == "seller_confirmed":
            return "seller_confirmed", "You confirmed Seller Center shows the link (no content seen yet).", ""
        if link.linked_at is not None:
            return None, (f"@{username} no longer shows as linked in Seller Center. It may have been unlinked "
                          "there."), "binding_not_visible"
        return None, (f"Seller Center does not show @{username} as linked yet. Send and accept the invitation, "
                      "then verify again."), "binding_not_visible"

    # --- panel actions ------------------------------------------------------------------------------------

    def links(self, shop_id: str | None = None, *, include_unlinked: bool = False) -> list[Link]:
        return self.store.links(shop_id, include_unlinked=include_unlinked)

    def link(self, link_id: int) -> Link:
        return self._link(link_id)

    def events(self, shop_id: str | None = None, *, kinds: Sequence[str] | None = None,
               link_id: int | None = None, limit: int = 200) -> list[LinkEvent]:
        return self.store.events(shop_id, kinds=kinds, link_id=link_id, limit=limit)

    def unlink(self, link_id: int, *, actor: str = "seller") -> Link:
        """Unlink (refused inside 24 h of linking); revokes linkkit's TikTok grant when no link needs it."""
        link = self._link(link_id)
        if not link.active:
            return link
        violations = rules.check_unlink(link, self.now())
        if violations:
            raise RuleViolation(violations[0].message, reason=violations[0].reason, violations=violations)
        shop = self.shop(link.shop_id)
        checker = self._seller_center(shop)
        if checker is not None and link.account.username:
            state = checker.linked_accounts(shop.id)
            bound = [state.get("official") or {}, *(state.get("marketing") or [])]
            if any((row or {}).get("username") == link.account.username for row in bound):
                checker.unlink(shop.id, link.account.username)  # the emulated Seller Center, in sandbox mode
        still_used = [other for other in self.store.links(open_id=link.account.open_id) if other.id != link.id]
        with self.store.transaction() as conn:
            self.store.update_link(link.id, unlinked_at=self.now(), conn=conn)
            self.store.add_event("unlinked", shop_id=link.shop_id, link_id=link.id, actor=actor,
                                 username=link.account.username, role=link.role.value, conn=conn,
                                 detail="unlinked; finish in Seller Center if it still shows the account")
        if not still_used:
            token = self.store.token(Provider.LOGIN_KIT, link.account.open_id)
            if token is not None:
                self._revoke_quietly(self._login_flow(link.role), token.access_token)
                self.store.delete_token(Provider.LOGIN_KIT, link.account.open_id)
        return self._link(link.id)

    def replace_official(self, shop_id: str, *, expected_username: str | None = None) -> AuthorizationStart:
        """Start replacing the shop's Official account (the old link ends when the new one is authorized)."""
        return self.begin_authorization(shop_id, Role.OFFICIAL, replace=True, expected_username=expected_username)

    # --- tokens -------------------------------------------------------------------------------------------

    def refresh_tokens(self, link_id: int | None = None, *, force: bool = False) -> int:
        """Refresh Login Kit tokens that expire soon (all, or one link's); returns how many were refreshed."""
        targets = [self._link(link_id)] if link_id is not None else self.store.links()
        seen: set[str] = set()
        count = 0
        for link in targets:
            if link.account.open_id in seen:
                continue
            seen.add(link.account.open_id)
            count += int(self._refresh_login_token(link.account.open_id, force=force)[1])
        return count

    def _fresh_login_token(self, open_id: str, *, force: bool = False) -> StoredToken:
        """A usable Login Kit token, refreshed first if it is about to expire."""
        return self._refresh_login_token(open_id, force=force)[0]

    def _refresh_login_token(self, open_id: str, *, force: bool = False) -> tuple[StoredToken, bool]:
        """(token, whether this call refreshed it).

        Rotation-safe: the refresh token is read, spent and its successor stored inside one write lock, so a
        second process refreshing at the same moment waits and then uses the new pair (design §4).
        """
        token = self.store.token(Provider.LOGIN_KIT, open_id)
        if token is None:
            raise ProviderError("linkkit holds no TikTok access for this account; repair the link.",
                                reason="token_revoked")
        if not force and token.expires_at - self.now() > REFRESH_MARGIN:
            return token, False
        link = next(iter(self.store.links(open_id=open_id, include_unlinked=True)), None)
        flow = self._login_flow(link.role if link else Role.MARKETING)
        with self.store.token_lock() as conn:
            current = self.store.token(Provider.LOGIN_KIT, open_id, conn=conn)
            if current is None:
                raise ProviderError("The TikTok access was removed meanwhile.", reason="token_revoked")
            if current.version != token.version:  # another process refreshed while we waited
                return current, False
            fresh = flow.refresh(current.refresh_token, now=self.now())
            self.store.save_token(Provider.LOGIN_KIT, open_id, access_token=fresh.access_token,
                                  refresh_token=fresh.refresh_token, expires_at=fresh.expires_at,
                                  refresh_expires_at=fresh.refresh_expires_at,
                                  scopes=fresh.scopes or current.scopes, conn=conn)
            self.store.add_event("refreshed", link_id=link.id if link else None,
                                 shop_id=link.shop_id if link else None,
                                 username=link.account.username if link else "", conn=conn,
                                 detail="TikTok access token refreshed (refresh token rotated)")
        refreshed = self.store.token(Provider.LOGIN_KIT, open_id)
        assert refreshed is not None
        return refreshed, True

    def _user_info(self, link: Link, token: StoredToken) -> dict[str, Any]:
        flow = self._login_flow(link.role)
        try:
            return flow.user_info(token.access_token, granted=token.scopes)
        except ProviderError as exc:
            if exc.reason != "token_expired":
                raise
            # TikTok says the token is no longer valid before our clock does: refresh once and retry.
            fresh = self._fresh_login_token(link.account.open_id, force=True)
            return flow.user_info(fresh.access_token, granted=fresh.scopes)

    def _seller_client(self, subject: str) -> ShopClient:
        token = self.store.token(Provider.SHOP, subject)
        if token is None:
            raise LinkError("linkkit holds no Seller Center access for this shop; connect it again.",
                            reason="shop_not_connected")
        if token.expires_at - self.now() <= REFRESH_MARGIN:
            token = self._refresh_shop_token(subject, token)
        return self._shop_client(token.access_token)

    def _refresh_shop_token(self, subject: str, token: StoredToken) -> StoredToken:
        with self.store.token_lock() as conn:
            current = self.store.token(Provider.SHOP, subject, conn=conn)
            if current is None or current.version != token.version:
                return current or token
            fresh = self._shop_auth().refresh(current.refresh_token)
            self.store.save_token(Provider.SHOP, subject, access_token=fresh.access_token,
                                  refresh_token=fresh.refresh_token, expires_at=fresh.expires_at,
                                  refresh_expires_at=fresh.refresh_expires_at,
                                  scopes=fresh.scopes or current.scopes, conn=conn)
        refreshed = self.store.token(Provider.SHOP, subject)
        assert refreshed is not None
        return refreshed

    def _seller_client_for_shop(self, shop: Shop) -> ShopClient:
        return self._seller_client(shop.seller_open_id)

    def shop_client(self, shop_id: str) -> ShopClient:
        """A signed TikTok Shop client for ``shop_id`` (analytics loaders use it)."""
        return self._seller_client_for_shop(self.shop(shop_id))

    def _seller_center(self, shop: Shop) -> SellerCenterClient | None:
        if self.endpoints.seller_center_api is None:
            return None
        token = self.store.token(Provider.SHOP, shop.seller_open_id)
        if token is None:
            return None
        return SellerCenterClient(self.endpoints.seller_center_api, access_token=token.access_token,
                                  timeout=self.settings.timeout)

    # --- health -------------------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """Mode, registry, links by status, tokens expiring within 7 days — for ``linkkit status``."""
        now = self.now()
        links = self.store.links()
        by_status: dict[str, int] = {}
        for link in links:
            by_status[link.status.value] = by_status.get(link.status.value, 0) + 1
        soon = now + timedelta(days=7)
        expiring = [link.id for link in links if link.token_expires_at and link.token_expires_at < soon]
        report: dict[str, Any] = {
            "mode": self.settings.mode,
            "registry": self.store.url.split("?")[0],
            "schema_version": self.store.schema_version(),
            "shops": len(self.store.shops()),
            "links": by_status,
            "expiring_within_7_days": expiring,
            "needs_attention": [link.id for link in links if link.status is LinkStatus.NEEDS_ATTENTION],
        }
        if self._control is not None:
            try:
                self._control.clock()
                report["sandbox"] = "up"
            except LinkkitError as exc:
                report["sandbox"] = f"down ({exc.reason})"
        return report

    # --- helpers ------------------------------------------------------------------------------------------

    def _link(self, link_id: int) -> Link:
        link = self.store.link(link_id)
        if link is None:
            raise LinkError(f"There is no link #{link_id}.", reason="link_not_found")
        return link


class SandboxActions:
    """Drive the sandbox's emulated Seller Center, as a seller and a TikTok user would by hand (demo only)."""

    def __init__(self, service: LinkService) -> None:
        self._service = service

    def _client(self, link: Link) -> SellerCenterClient:
        client = self._service._seller_center(self._service.shop(link.shop_id))
        if client is None:
            raise LinkError("Connect Seller Center first.", reason="shop_not_connected")
        return client

    def send_invitation(self, link_id: int) -> dict[str, Any]:
        """Seller Center › Linked TikTok accounts › invite (unlinking a replaced Official there first)."""
        link = self._service.link(link_id)
        client = self._client(link)
        if link.role is Role.OFFICIAL:
            current = (client.linked_accounts(link.shop_id).get("official") or {}).get("username")
            if current and current != link.account.username:
                client.unlink(link.shop_id, current)
        invitation = client.invite(link.shop_id, link.account.username, link.role.value)
        self._service.store.add_event("invitation_sent", shop_id=link.shop_id, link_id=link.id,
                                      username=link.account.username, role=link.role.value, actor="seller",
                                      detail="sandbox Seller Center invitation")
        return invitation

    def accept_invitation(self, link_id: int, password: str = "pass_good") -> dict[str, Any]:
        """Accept the newest pending invitation for the link's account, as that TikTok user."""
        link = self._service.link(link_id)
        client = self._client(link)
        invitations = client.linked_accounts(link.shop_id).get("invitations") or []
        mine = [i for i in invitations if i.get("username") == link.account.username and
                i.get("status", "pending") == "pending"]
        if not mine:
            raise LinkError("There is no pending invitation for this account; send one first.",
                            reason="binding_not_visible")
        accepted = client.accept(str(mine[-1]["id"]), link.account.username, password)
        self._service.store.add_event("invitation_accepted", shop_id=link.shop_id, link_id=link.id,
                                      username=link.account.username, role=link.role.value,
                                      actor=f"@{link.account.username}", detail="accepted in the TikTok app")
        return accepted

    def advance_clock(self, seconds: float) -> None:
        """Move the sandbox's clock forward (tokens expire, the 24 h unlink rule passes)."""
        control = self._service._control
        assert control is not None
        control.advance_clock(seconds)
        self._service._sync_clock()

    def consent(self, authorize_url: str, username: str, password: str = "pass_good", decision: str = "allow",
                scopes: list[str] | None = None) -> str:
        """Submit a consent page as the person would; returns the callback URL."""
        control = self._service._control
        assert control is not None
        return control.consent(authorize_url, username, password, decision, scopes)

    def world(self) -> dict[str, Any]:
        control = self._service._control
        assert control is not None
        return control.world()


def _account(user: dict[str, Any]) -> TikTokAccount:
    """Login Kit's user object → our model (the one place its field names are translated)."""
    return TikTokAccount(
        open_id=str(user["open_id"]),
        display_name=str(user.get("display_name") or ""),
        username=str(user.get("username") or ""),
        avatar_url=str(user.get("avatar_url") or ""),
        union_id=str(user.get("union_id") or ""),
        is_verified=bool(user.get("is_verified", False)),
        follower_count=int(user["follower_count"]) if user.get("follower_count") is not None else None,
    )


def _username_in(pages: Any, username: str) -> bool:
    for page in pages:
        if any(str(row.get("username", "")).lstrip("@").lower() == username.lower() for row in page):
            return True
    return False


def _credentials_from_world(world: dict[str, Any], pkce_encoding: str) -> dict[str, Any]:
    """App credentials from the sandbox's ``/_sandbox/world`` (the desktop app uses TikTok's hex PKCE)."""
    login = (world.get("login_kit") or {}).get("desktop" if pkce_encoding == "hex" else "web")
    shop = world.get("shop_app")
    if not login or not shop:
        raise ConfigError("The sandbox's world does not describe its apps.", reason="config_invalid")
    return {"client_key": login["client_key"], "client_secret": login["client_secret"],
            "app_key": shop["app_key"], "app_secret": shop["app_secret"], "service_id": shop["service_id"]}
