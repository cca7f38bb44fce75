"""TikTok Shop webhooks the sandbox emits (types 6 and 7), signed and retried."""
