"""Clients for TikTok's real HTTP contracts: Login Kit, TikTok Shop, and (sandbox) Seller Center.

All of linkkit's TikTok HTTP lives in this package.
"""
