"""``SandboxActions``: what a seller and a TikTok user do by hand, done for them in the demo (sandbox only)."""

from __future__ import annotations

from typing import Any

from linkkit.errors import LinkkitError
from linkkit.linking.ports import Ports
from linkkit.sandbox_client import SandboxClient
from linkkit.seller_center.emulated import EmulatedSellerCenter

__all__ = ["SandboxActions"]


class SandboxActions:
    """Drive the sandbox's emulated Seller Center, consent pages and clock (demo and tests only).

    Args:
        control: The sandbox's ``/_sandbox/`` controls.
        seller_center: The emulated Seller Center adapter the service uses.
        ports: The service's ports (links, events, clock).
    """

    def __init__(self, control: SandboxClient, seller_center: EmulatedSellerCenter, ports: Ports) -> None:
        self._control = control
        self._seller_center = seller_center
        self._ports = ports

    def __repr__(self) -> str:
        return f"SandboxActions({self._control!r})"

    def send_invitation(self, link_id: int) -> dict[str, Any]:
        """Seller Center › Linked TikTok accounts › invite (unlinking a replaced Official there first)."""
        link = self._ports.link(link_id)
        invitation = self._seller_center.invite(self._ports.shop(link.shop_id), link.account.username, link.role)
        self._ports.event("invitation_sent", shop_id=link.shop_id, link_id=link.id, username=link.account.username,
                          role=link.role.value, detail="sandbox Seller Center invitation")
        return invitation

    def accept_invitation(self, link_id: int, password: str = "pass_good") -> dict[str, Any]:
        """Accept the newest pending invitation for the link's account, as that TikTok user."""
        link = self._ports.link(link_id)
        accepted = self._seller_center.accept(self._ports.shop(link.shop_id), link.account.username, password)
        self._ports.event("invitation_accepted", shop_id=link.shop_id, link_id=link.id,
                          username=link.account.username, role=link.role.value,
                          actor=f"@{link.account.username}", detail="accepted in the TikTok app")
        return accepted

    def advance_clock(self, seconds: float) -> None:
        """Move the sandbox's clock forward (tokens expire, the 24 h unlink rule passes)."""
        self._control.advance_clock(seconds)
        self._ports.clock.sync()

    def consent(self, authorize_url: str, username: str, password: str = "pass_good", decision: str = "allow",
                scopes: list[str] | None = None) -> str:
        """Submit a consent page as the person would; returns the callback URL."""
        return self._control.consent(authorize_url, username, password, decision, scopes)

    def world(self) -> dict[str, Any]:
        """The sandbox's demo world (apps, shops, accounts)."""
        return self._control.world()

    def status(self) -> str:
        """``"up"`` or ``"down (<reason>)"``."""
        try:
            self._control.clock()
        except LinkkitError as exc:
            return f"down ({exc.reason})"
        return "up"
