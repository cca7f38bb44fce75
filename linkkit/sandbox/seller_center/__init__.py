"""The emulated Seller Center "Linked TikTok accounts" (no public TikTok API exists)."""
