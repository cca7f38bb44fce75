"""The ``/_sandbox/`` test controls: reset, clock, faults, holds, recorded requests, webhooks."""
