"""``Authorizer``: the two OAuth round trips — seller authorization (step 1) and Login Kit consent (step 3).

Nothing is stored until TikTok's answer and every rule check pass; a refused account's grant is revoked. The
pending record is claimed exactly once in any process (Voila answers the callback in another kernel).

Crash safety: a Login Kit grant is recorded as *held* in the revocation outbox as soon as TikTok issues it; the
commit that stores the link releases it, every other ending (refused, abandoned) makes it due. Unlinking and
replacing move the token into the outbox in the same transaction as the registry change. The outbox is drained
after each such transaction (and on service start), so a process killed anywhere leaves no grant alive.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from linkkit import rules
from linkkit.crypto import new_state
from linkkit.errors import AuthorizationError, LinkError, LinkkitError, ProviderError, RuleViolation, StateMismatch
from linkkit.linking._crashpoints import crash_point
from linkkit.linking.outbox import Revoker
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
    "authorization_abandoned": "This authorization was interrupted before it finished; start again.",
}


def _unlinked() -> LinkError:
    """A repair of a link that is no longer active (unlinked before it began, or in another tab meanwhile)."""
    return LinkError("This link was unlinked; link the account again instead.", reason="link_not_found")


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
        on_shop_connected: Called for each shop just connected (reconciliation with Seller Center).
    """

    def __init__(self, ports: Ports, on_shop_connected: Callable[[Shop], object]) -> None:
        self._p = ports
        self._on_shop_connected = on_shop_connected
        self.revoker = Revoker(ports)

    def begin_shop(self) -> AuthorizationStart:
        state = new_state()
        expires = self._p.clock.now() + PENDING_TTL
        auth = self._p.clients.shop_auth()
        with self._p.registry.transaction() as conn:  # the pending row and its event: one commit
            pending_id = self._p.registry.add_pending(provider=Provider.SHOP, state=state, code_verifier=None,
                                                      shop_id=None, role=None, conn=conn,
                                                      redirect_uri=self._p.clients.app.redirect_uri,
                                                      expires_at=expires)
            self._p.event("authorization_started", detail="TikTok Shop seller authorization", conn=conn)
        return AuthorizationStart(Provider.SHOP, auth.authorization_url(state=state), pending_id, expires)

    def begin_login(self, shop: Shop, role: Role, *, replace: bool = False, expected_username: str | None = None,
                    link_id: int | None = None) -> AuthorizationStart:
        """Mint a Login Kit authorization for ``shop`` (the caller checked the principal's access to it)."""
        role = Role(role)
        shop_id = shop.id
        if link_id is not None:
            link = self._p.registry.link(link_id, with_checks=False)  # role, shop, account, whether active
            if link is None:
                raise LinkError(f"There is no link #{link_id}.", reason="link_not_found")
            if link.shop_id != shop.id:  # the link's own shop decides (``shop``'s access is checked already)
                self._p.check_access(link.shop_id)
            if not link.active:
                raise _unlinked()
            role, shop_id, replace = link.role, link.shop_id, False
            expected_username = expected_username or link.account.username or None
        else:
            # The rules before consent, on the shop's active links read in one query (no checks needed).
            active = self._p.registry.active_links_touching(shop.id)
            official = next((x for x in active if x.role is Role.OFFICIAL), None)
            overview = ShopOverview(shop, official,
                                    tuple(x for x in active if x.role is Role.MARKETING), self._p.clock.now())
            violations = overview.can_add(role, replace=replace)
            if violations:
                raise RuleViolation(violations[0].message, reason=violations[0].reason, violations=violations)
        verifier = new_code_verifier()
        state = new_state()
        expires = self._p.clock.now() + PENDING_TTL
        flow = self._p.login_flow(role)
        with self._p.registry.transaction() as conn:  # the pending row and its event: one commit
            pending_id = self._p.registry.add_pending(
                provider=Provider.LOGIN_KIT, state=state, code_verifier=verifier, shop_id=shop_id, role=role,
                redirect_uri=flow.redirect_uri, expires_at=expires, link_id=link_id,
                expected_username=(expected_username or "").lstrip("@") or None, replace=replace, conn=conn,
            )
            self._p.event("authorization_started", shop_id=shop_id, link_id=link_id, role=role.value,
                          detail="repair" if link_id else ("replace" if replace else ""), conn=conn)
        return AuthorizationStart(Provider.LOGIN_KIT, flow.authorization_url(state=state, code_verifier=verifier),
                                  pending_id, expires)

    def pending(self, pending_id: int) -> PendingAuthorization:
        """The pending record; a claim whose process died is resolved (from what was stored) once expired."""
        record = self._p.registry.pending(pending_id)
        if record is None:
            raise StateMismatch("That authorization is unknown; start again.", reason="state_mismatch")
        if record.used_at is not None and record.outcome is None and record.expires_at <= self._p.clock.now():
            self.resolve_dead_claims()
            record = self._p.registry.pending(pending_id) or record
            self.drain_quietly()  # an abandoned claim's grant
        return record

    def resolve_dead_claims(self) -> int:
        """End every expired claim without an outcome (its process died) from what the registry holds."""
        resolved = 0
        for record in self._p.registry.stale_claims(self._p.clock.now()):
            done = self._p.registry.resolve_claim(record.id, self._p.clock.now())
            if done is not None:
                resolved += 1
                self._p.event("authorization_resolved", shop_id=done.shop_id, link_id=done.result_link_id,
                              role=done.role.value if done.role else "", detail=str(done.outcome))
        return resolved

    def complete(self, callback_url: str) -> AuthorizationResult:
        params = parse_callback(callback_url)
        if not params.state:
            raise StateMismatch("The address has no state parameter: it is not a TikTok callback.",
                                reason="state_mismatch")
        claim = self._p.registry.claim_pending(params.state, self._p.clock.now())
        if isinstance(claim, str):
            raise StateMismatch(_CLAIM_MESSAGES[claim], reason=claim)
        record, verifier, replace = claim
        crash_point("complete.claimed")
        try:
            if record.provider is Provider.SHOP:
                result = self._complete_shop(record, params)
            else:
                result = self._complete_login(record, verifier, replace, params)
        except LinkkitError as exc:
            crash_point("complete.refused")
            with self._p.registry.transaction() as conn:  # the outcome and "revoke the held grant" together
                self._p.registry.finish_pending(record.id, exc.reason, conn=conn)
                self._p.registry.revoke_held(record.id, exc.reason, conn=conn)
                self._p.event("authorization_failed", shop_id=record.shop_id, link_id=record.link_id,
                              role=record.role.value if record.role else "", detail=exc.reason, conn=conn)
            self.drain_quietly()
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
                if not self._p.system:  # whoever connects a shop (signed in as its seller) owns it
                    self._p.registry.add_access(shop.id, self._p.actor, "owner", self._p.actor, conn=conn)
                self._p.event("shop_connected", shop_id=shop.id, detail=f"{shop.name} ({shop.region})", conn=conn)
        return AuthorizationResult(Provider.SHOP, record.id, shops=tuple(shops))

    def _complete_login(self, record: PendingAuthorization, verifier: str | None, replace: bool,
                        params: Any) -> AuthorizationResult:
        assert record.shop_id is not None and record.role is not None
        shop = self._p.shop(record.shop_id)
        role = record.role
        flow = self._p.login_flow(role)
        tokens = flow.exchange_code(code_from_callback(params), code_verifier=verifier, now=self._p.clock.now())
        crash_point("complete.exchanged")
        # Recorded before anything else: if this process dies from here on, recovery revokes the grant unless
        # the link below committed. A refusal (here or by the registry) makes it due in complete().
        self._p.registry.hold_grant(Provider.LOGIN_KIT, tokens.open_id, tokens.access_token, record.id)
        crash_point("complete.held")
        account, repaired = self._check_account(shop, role, record, tokens, flow, replace)
        crash_point("complete.checked")
        p = self._p
        retired = False
        # The registry re-checks the slot rules inside this transaction (a concurrent link may have taken the
        # last slot): when it refuses, nothing is stored and the held grant is revoked through the outbox.
        with p.registry.transaction() as conn:
            p.registry.upsert_account(account, conn=conn)
            p.registry.lock_account(account.open_id, conn=conn)  # unlink of this account waits, then sees us
            # A token this account gave before (another shop, a repaired link) is overwritten, never revoked:
            # TikTok's revoke would disconnect the account, taking the grant just issued with it.
            p.keeper.save(Provider.LOGIN_KIT, account.open_id, tokens, conn=conn)
            if repaired is not None:
                link_id = repaired.id
                # one conditional update: refused when another tab unlinked it while this one was on TikTok
                if not p.registry.reauthorize_link(link_id, account.open_id, tokens.scopes, conn=conn):
                    raise _unlinked()
                p.event("repaired", shop_id=shop.id, link_id=link_id, username=account.username, role=role.value,
                        conn=conn, detail="re-authorized on TikTok")
            else:
                if replace:
                    old = next((x for x in p.registry.active_links_touching(shop.id, conn=conn)
                                if x.role is Role.OFFICIAL), None)
                    if old is not None:
                        p.registry.update_link(old.id, unlinked_at=p.clock.now(), conn=conn)
                        if old.account.open_id != account.open_id and not p.registry.links(
                                open_id=old.account.open_id, conn=conn):
                            retired = p.registry.retire_token(Provider.LOGIN_KIT, old.account.open_id, "replaced",
                                                              conn=conn)
                        p.event("replaced", shop_id=shop.id, link_id=old.id, username=old.account.username,
                                role=old.role.value, conn=conn, detail=f"replaced by @{account.username}")
                link_id = p.registry.insert_link(shop.id, account.open_id, role, tokens.scopes, conn=conn)
                p.event("authorized", shop_id=shop.id, link_id=link_id, username=account.username, role=role.value,
                        conn=conn, detail="TikTok account authorized; finish the link in Seller Center")
            p.registry.finish_pending(record.id, "ok", link_id, conn=conn)  # one commit with the link it produced
            p.registry.release_held(record.id, conn=conn)  # the grant is now the stored token
            stored = p.registry.link(link_id, conn=conn)  # what was just stored (the shop's access: ``p.shop``)
            crash_point("complete.storing")
        crash_point("complete.stored")
        if retired:
            self.drain_quietly()  # the replaced Official's grant
        assert stored is not None
        return AuthorizationResult(Provider.LOGIN_KIT, record.id, link=stored)

    def _check_account(self, shop: Shop, role: Role, record: PendingAuthorization, tokens: TokenSet,
                       flow: LoginKitFlow, replace: bool) -> tuple[TikTokAccount, Link | None]:
        """The account behind ``tokens`` once every rule allows it, and the link being repaired (if any)."""
        missing = rules.missing_scopes(role, tokens.scopes)
        if missing:
            raise AuthorizationError(f"These permissions were not granted: {', '.join(missing)}.",
                                     reason="scopes_missing")
        account = account_from_user(flow.user_info(tokens.access_token, granted=tokens.scopes))
        if account.open_id != tokens.open_id:
            raise ProviderError("TikTok's user info names another account than the token.",
                                reason="provider_bad_response")
        # The shop's and the account's active links (one query): the rules read them, and a repaired link is
        # among them unless it was unlinked meanwhile.
        relevant = self._p.registry.active_links_touching(shop.id, account.open_id)
        repaired = None
        if record.link_id is not None:
            repaired = next((x for x in relevant if x.id == record.link_id and x.shop_id == shop.id), None)
            if repaired is None:
                raise _unlinked()
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
        violations = rules.check_candidate(shop, relevant, account, role, replace=replace,
                                           repair_link_id=record.link_id, seller_center_rules=seller_center_rules)
        if violations:
            raise RuleViolation(violations[0].message, reason=violations[0].reason, violations=violations)
        return account, repaired

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
        crash_point("unlink.begin")
        with p.registry.transaction() as conn:
            p.registry.lock_account(link.account.open_id, conn=conn)  # a relink of this account takes turns
            current = p.registry.links(include_unlinked=True, open_id=link.account.open_id, conn=conn)
            if not any(x.id == link.id and x.active for x in current):
                return p.link(link.id)  # another process unlinked it meanwhile
            p.registry.update_link(link.id, unlinked_at=p.clock.now(), conn=conn)
            p.event("unlinked", shop_id=link.shop_id, link_id=link.id, actor=actor, username=link.account.username,
                    role=link.role.value, conn=conn,
                    detail="unlinked; finish in Seller Center if it still shows the account")
            # Decided inside the transaction: a link of this account committed by another tab keeps the token.
            if not any(x.active and x.id != link.id for x in current):
                p.registry.retire_token(Provider.LOGIN_KIT, link.account.open_id, "unlinked", conn=conn)
            crash_point("unlink.storing")
        crash_point("unlink.stored")
        try:  # after the registry: a Seller Center failure leaves linkkit's record consistent
            if link.account.username:
                p.seller_center.unlink(p.shop(link.shop_id), link.account.username)
        except LinkkitError as exc:
            log.warning("Seller Center did not unlink the account (%s); finish it there.", exc.reason)
        self.drain_quietly()
        return p.link(link.id)

    def drain_quietly(self) -> None:
        """Drain the outbox after a transaction; a failure leaves the rows for the next drain."""
        try:
            self.revoker.drain()
        except LinkkitError as exc:
            log.warning("The revocation outbox was not drained (%s); the next drain retries.", exc.reason)

    @staticmethod
    def revoke_quietly(flow: LoginKitFlow, access_token: str) -> None:
        """Revoke a grant; a failure is logged (the grant expires by itself)."""
        try:
            flow.revoke(access_token)
        except LinkkitError as exc:
            log.warning("Could not revoke a refused grant (%s); it expires by itself.", exc.reason)
