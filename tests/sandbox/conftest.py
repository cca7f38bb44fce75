"""Fixtures for the sandbox tests: one real SandboxServer per module, over loopback HTTP."""

from __future__ import annotations

import os
import sys

import pytest

# --import-mode=importlib does not put test directories on sys.path; the helpers live next to this file.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sandbox_helpers import SandboxClient

from linkkit.sandbox import SandboxServer


@pytest.fixture(scope="module")
def sandbox():
    """A running sandbox on a free loopback port, shared by the tests of one module."""
    for var in [v for v in os.environ if v.upper() in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")]:
        os.environ.pop(var)
    server = SandboxServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def sb(sandbox) -> SandboxClient:
    """A client for the module's sandbox, reset to the seeded world before the test."""
    client = SandboxClient(sandbox.url)
    client.reset()
    return client
