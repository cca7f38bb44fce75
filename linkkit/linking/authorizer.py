"""``Authorizer``: the two OAuth round trips — seller authorization (step 1) and Login Kit consent (step 3).

Nothing is stored until TikTok's answer and every rule check pass; a refused account's grant is revoked. The
pending record is claimed exactly once in any process (Voila answers the callback in another kernel).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from linkkit import rules
from linkkit.crypto import new_state
from linkkit.errors import AuthorizationError, LinkError, LinkkitError, ProviderError, RuleViolation, StateMismatch
from linkkit.linking.ports import Ports
from linkkit.linking.types import AuthorizationResult, AuthorizationStart, ShopOverview
from linkkit.models import (
    EVIDENCE_IMPORTED,
    Link,
    PendingAuthorization,
    Provider,
    Role,
    Shop,
    TikTokAccount,
)
from linkkit.tiktok.callback import code_from_callback, parse_callback
from linkkit.tiktok.login_kit import LoginKitFlow, TokenSet
from linkkit.tiktok.signing import new_code_verifier

__all__ = ["PENDING_TTL", "Authorizer", "account_from_user"]

log = logging.getLogger(__name__)

PENDING_TTL = timedelta(minutes=10)  # design §3.1: a pending authorization lives at most 10 minutes

_CLAIM_MESSAGES = {
    "state_mismatch": "This callback does not match an authorization started here (stale tab?).",
    "authorization_reused": "This authorization was already completed; it can be used once.",
    "authorization_expired": "This authorization took longer than 10 minutes and expired.",
}


def account_from_user(user: dict[str, Any]) -> TikTokAccount:
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


class Authorizer:
    """Begins and completes authorizations.

    Args:
        ports: Clock, registry, TikTok clients, Seller Center.
        overview: The shop's links and rules before consent.
        on_shop_connected: Called for each shop just connected (reconciliation with Seller Center).
    """

    def __init__(self, ports: Ports, overview: Callable[[str], ShopOverview],
                 on_shop_connected: Callable[[Shop], object]) -> None:
        self._p = ports
        self._overview = overview
        self._on_shop_connected = on_shop_connected

    def begin_shop(self) -> AuthorizationStart:
        state = new_state()
        expires = self._p.clock.now() + PENDING_TTL
        auth = self._p.clients.shop_auth()
        pending_id = self._p.registry.add_pending(provider=Provider.SHOP, state=state, code_verifier=None,
                                                  shop_id=None, role=None,
                                                  redirect_uri=self._p.clients.app.redirect_uri, expires_at=expires)
        self._p.event("authorization_started", detail="TikTok Shop seller authorization")
        return AuthorizationStart(Provider.SHOP, auth.authorization_url(state=state), pending_id, expires)

    def begin_login(self, shop_id: str, role: Role, *, replace: bool = False, expected_username: str | None = None,
                    link_id: int | None = None) -> AuthorizationStart:
        role = Role(role)
        if link_id is not None:
            link = self._p.link(link_id)
            if not link.active:
                raise LinkError("This link was unlinked; link the account again instead.", reason="link_not_found")
            role, shop_id, replace = link.role, link.shop_id, False
            expected_username = expected_username or link.account.username or None
        else:
            violations = self._overview(shop_id).can_add(role, replace=replace)
            if violations:
                raise RuleViolation(violations[0].message, reason=violations[0].reason, violations=violations)
        verifier = new_code_verifier()
        state = new_state()
        expires = self._p.clock.now() + PENDING_TTL
        flow = self._p.login_flow(role)
        pending_id = self._p.registry.add_pending(
            provider=Provider.LOGIN_KIT, state=state, code_verifier=verifier, shop_id=shop_id, role=role,
            redirect_uri=flow.redirect_uri, expires_at=expires, link_id=link_id,
            expected_username=(expected_username or "").lstrip("@") or None, replace=replace,
        )
        self._p.event("authorization_started", shop_id=shop_id, link_id=link_id, role=role.value,
                      detail="repair" if link_id else ("replace" if replace else ""))
        return AuthorizationStart(Provider.LOGIN_KIT, flow.authorization_url(state=state, code_verifier=verifier),
                                  pending_id, expires)

    def pending(self, pending_id: int) -> PendingAuthorization:
        record = self._p.registry.pending(pending_id)
        if record is None:
            raise StateMismatch("That authorization is unknown; start again.", reason="state_mismatch")
        return record

    def complete(self, callback_url: str) -> AuthorizationResult:
        params = parse_callback(callback_url)
        if not params.state:
            raise StateMismatch("The address has no state parameter: it is not a TikTok callback.",
                                reason="state_mismatch")
        claim = self._p.registry.claim_pending(params.state, self._p.clock.now())
        if isinstance(claim, str):
            raise StateMismatch(_CLAIM_MESSAGES[claim], reason=claim)
        record, verifier, replace = claim
        try:
            if record.provider is Provider.SHOP:
                result = self._complete_shop(record, params)
            else:
                result = self._complete_login(record, verifier, replace, params)
        except LinkkitError as exc:
            self._p.registry.finish_pending(record.id, exc.reason)
            self._p.event("authorization_failed", shop_id=record.shop_id, link_id=record.link_id,
                          role=record.role.value if record.role else "", detail=exc.reason)
            raise
        if record.provider is Provider.SHOP:
            for shop in result.shops:
                self._on_shop_connected(shop)
        return result

    def _complete_shop(self, record: PendingAuthorization, params: Any) -> AuthorizationResult:
        code = code_from_callback(params)
        token = self._p.clients.shop_auth().get_token(code)
        client = self._p.clients.shop(token.access_token)
        shops = client.authorized_shops(seller_name=token.seller_name, seller_open_id=token.open_id)
        if not shops:
            raise LinkError("TikTok Shop returned no shops for this seller.", reason="shop_not_connected")
        with self._p.registry.transaction() as conn:
            self._p.keeper.save(Provider.SHOP, token.open_id, token, conn=conn)
            self._p.registry.finish_pending(record.id, "ok", conn=conn)  # one commit with what it produced
            for shop in shops:
                self._p.registry.upsert_shop(shop, conn=conn)
                self._p.event("shop_connected", shop_id=shop.id, detail=f"{shop.name} ({shop.region})", conn=conn)
        return AuthorizationResult(Provider.SHOP, record.id, shops=tuple(shops))

    def _complete_login(self, record: PendingAuthorization, verifier: str | None, replace: bool,
                        params: Any) -> AuthorizationResult:
        assert record.shop_id is not None and record.role is not None
        shop = self._p.shop(record.shop_id)
        role = record.role
        flow = self._p.login_flow(role)
        tokens = flow.exchange_code(code_from_callback(params), code_verifier=verifier, now=self._p.clock.now())
        try:
            account = self._check_account(shop, role, record, tokens, flow, replace)
        except LinkkitError:
            self.revoke_quietly(flow, tokens.access_token)  # we refused the account: leave no grant behind
            raise
        p = self._p
        # The registry re-checks the slot rules inside this transaction (a concurrent link may have taken the
        # last slot): when it refuses, nothing is stored and the grant is revoked too.
        with self._revoked_if_refused(flow, tokens.access_token), p.registry.transaction() as conn:
            p.registry.upsert_account(account, conn=conn)
            p.keeper.save(Provider.LOGIN_KIT, account.open_id, tokens, conn=conn)
            if record.link_id is not None:
                link_id = record.link_id
                values: dict[str, Any] = {"scopes": tokens.scopes}
                repaired = p.link(link_id)
                if repaired.binding_evidence == EVIDENCE_IMPORTED:  # found in Seller Center, now authorized
                    values.update(account_open_id=account.open_id, binding_evidence="seller_center")
                p.registry.update_link(link_id, conn=conn, **values)
                p.event("repaired", shop_id=shop.id, link_id=link_id, username=account.username, role=role.value,
                        conn=conn, detail="re-authorized on TikTok")
            else:
                if replace:
                    old = next((x for x in p.links(shop.id) if x.role is Role.OFFICIAL), None)
                    if old is not None:
                        p.registry.update_link(old.id, unlinked_at=p.clock.now(), conn=conn)
                        p.event("replaced", shop_id=shop.id, link_id=old.id, username=old.account.username,
                                role=old.role.value, conn=conn, detail=f"replaced by @{account.username}")
                link_id = p.registry.insert_link(shop.id, account.open_id, role, tokens.scopes, conn=conn)
                p.event("authorized", shop_id=shop.id, link_id=link_id, username=account.username, role=role.value,
                        conn=conn, detail="TikTok account authorized; finish the link in Seller Center")
            p.registry.finish_pending(record.id, "ok", link_id, conn=conn)  # one commit with the link it produced
        return AuthorizationResult(Provider.LOGIN_KIT, record.id, link=p.link(link_id))

    def _check_account(self, shop: Shop, role: Role, record: PendingAuthorization, tokens: TokenSet,
                       flow: LoginKitFlow, replace: bool) -> TikTokAccount:
        missing = rules.missing_scopes(role, tokens.scopes)
        if missing:
            raise AuthorizationError(f"These permissions were not granted: {', '.join(missing)}.",
                                     reason="scopes_missing")
        account = account_from_user(flow.user_info(tokens.access_token, granted=tokens.scopes))
        if account.open_id != tokens.open_id:
            raise ProviderError("TikTok's user info names another account than the token.",
                                reason="provider_bad_response")
        repaired = self._p.link(record.link_id) if record.link_id is not None else None
        if repaired is not None:
            imported = repaired.binding_evidence == EVIDENCE_IMPORTED
            same = (repaired.account.username.lower() == account.username.lower() if imported
                    else repaired.account.open_id == account.open_id)
            if not same:
                raise LinkError(f"You signed in as @{account.username}, but this link belongs to "
                                f"@{repaired.account.username}.", reason="wrong_account")
        if record.expected_username and account.username.lower() != record.expected_username.lower():
            raise LinkError(f"You signed in as @{account.username}, not @{record.expected_username}.",
                            reason="wrong_account")
        seller_center_rules: list[str] = []
        if account.username:
            # Seller Center's own eligibility check knows what Login Kit does not: region, account type and
            # links in shops we don't manage (asked where the port can; live Seller Center checks at invitation).
            verdict = self._p.seller_center.eligibility(shop, account.username, role)
            if verdict is not None:
                account = TikTokAccount(**{**account.__dict__, "region": verdict.region or account.region,
                                           "account_type": verdict.account_type or account.account_type})
                seller_center_rules = list(verdict.rules)
        relevant = self._p.links(shop.id) + [
            link for link in self._p.links(open_id=account.open_id) if link.shop_id != shop.id]
        violations = rules.check_candidate(shop, relevant, account, role, replace=replace,
                                           repair_link_id=record.link_id, seller_center_rules=seller_center_rules)
        if violations:
            raise RuleViolation(violations[0].message, reason=violations[0].reason, violations=violations)
        return account

    def unlink(self, link_id: int, *, actor: str | None = None) -> Link:
        """End a link (only 24 h after linking), then remove the binding in Seller Center where it can be done
        from here, and revoke linkkit's grant when no other link needs it."""
        p = self._p
        link = p.link(link_id)
        if not link.active:
            return link
        violations = rules.check_unlink(link, p.clock.now())
        if violations:
            raise RuleViolation(violations[0].message, reason=violations[0].reason, violations=violations)
        still_used = [other for other in p.links(open_id=link.account.open_id) if other.id != link.id]
        with p.registry.transaction() as conn:
            p.registry.update_link(link.id, unlinked_at=p.clock.now(), conn=conn)
            p.event("unlinked", shop_id=link.shop_id, link_id=link.id, actor=actor, username=link.account.username,
                    role=link.role.value, conn=conn,
                    detail="unlinked; finish in Seller Center if it still shows the account")
        try:  # after the registry: a Seller Center failure leaves linkkit's record consistent
            if link.account.username:
                p.seller_center.unlink(p.shop(link.shop_id), link.account.username)
        except LinkkitError as exc:
            log.warning("Seller Center did not unlink the account (%s); finish it there.", exc.reason)
        if not still_used:
            token = p.registry.token(Provider.LOGIN_KIT, link.account.open_id)
            if token is not None:
                self.revoke_quietly(p.login_flow(link.role), token.access_token)
                p.registry.delete_token(Provider.LOGIN_KIT, link.account.open_id)
        return p.link(link.id)

    @contextmanager
    def _revoked_if_refused(self, flow: LoginKitFlow, access_token: str) -> Iterator[None]:
        try:
            yield
        except LinkkitError:
            self.revoke_quietly(flow, access_token)
            raise

    @staticmethod
    def revoke_quietly(flow: LoginKitFlow, access_token: str) -> None:
        """Revoke a grant; a failure is logged (the grant expires by itself)."""
        try:
            flow.revoke(access_token)
        except LinkkitError as exc:
            log.warning("Could not revoke a refused grant (%s); it expires by itself.", exc.reason)
