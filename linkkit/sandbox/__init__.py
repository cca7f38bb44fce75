"""linkkit.sandbox: a local HTTP server that speaks TikTok's contracts, seeded with a demo world.

A separate program: the rest of linkkit knows it only through URLs. See ``COVERAGE.md`` for what is
emulated and how faithfully.

Example:
    >>> from linkkit.sandbox import SandboxServer
    >>> with SandboxServer(port=0) as sandbox:          # doctest: +SKIP
    ...     print(sandbox.url)
    http://127.0.0.1:54321
"""

from .server import SandboxServer

__all__ = ["SandboxServer"]
