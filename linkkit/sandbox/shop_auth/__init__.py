"""TikTok Shop seller authorization: the consent page and the token endpoints."""
