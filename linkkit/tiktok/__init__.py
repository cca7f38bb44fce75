"""Clients for TikTok's real HTTP contracts only: Login Kit and TikTok Shop (seller authorization, signed calls).

All of linkkit's TikTok HTTP lives in this package, and every transport failure passes
:func:`linkkit.tiktok.http.map_exceptions`. The sandbox's own controls and its emulated Seller Center are not
TikTok contracts: they live in :mod:`linkkit.sandbox_client` and :mod:`linkkit.seller_center.emulated`.
"""
