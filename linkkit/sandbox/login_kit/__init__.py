"""Login Kit v2 (TikTok for Developers): authorize, token, revoke, user info."""
