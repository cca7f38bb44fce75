"""TikTok Shop signed API: authorized shops, orders, analytics."""
