"""Linking: the one place that orchestrates TikTok clients, Seller Center rules and the registry.

The flow of one link (design §1, §3.1, §3.2)::

    service = LinkService.from_settings()
    start = service.begin_shop_authorization()          # 1. seller authorizes linkkit on the shop
    service.complete_authorization(callback_url)        #    (any process: Voila starts a kernel per page)
    service.overview(shop_id).can_add(Role.OFFICIAL)    # 2. rules shown before consent
    start = service.begin_authorization(shop_id, Role.OFFICIAL)   # 3. the TikTok account consents
    result = service.complete_authorization(callback_url)         #    rules checked before anything is stored
    service.seller_center_steps(result.link.id)         # 4. the binding happens in Seller Center
    service.verify(result.link.id).status               # 5. CONNECTED only with evidence of the binding

Inside: :class:`LinkService` (the façade) over :class:`Authorizer`, :class:`Verifier` and
:class:`TokenKeeper`, on the ports :func:`build_ports` chooses once.

Example:
    >>> from linkkit.linking import LinkService
    >>> LinkService.__name__
    'LinkService'
"""

from linkkit.linking.authorizer import PENDING_TTL, Authorizer
from linkkit.linking.compose import build_ports
from linkkit.linking.ports import Ports
from linkkit.linking.reconcile import reconcile
from linkkit.linking.sandbox_actions import SandboxActions
from linkkit.linking.service import LinkService
from linkkit.linking.tokens import REFRESH_MARGIN, TokenKeeper
from linkkit.linking.types import AuthorizationResult, AuthorizationStart, ShopOverview
from linkkit.linking.verifier import Verifier

__all__ = [
    "PENDING_TTL",
    "REFRESH_MARGIN",
    "AuthorizationResult",
    "AuthorizationStart",
    "Authorizer",
    "LinkService",
    "Ports",
    "SandboxActions",
    "ShopOverview",
    "TokenKeeper",
    "Verifier",
    "build_ports",
    "reconcile",
]
