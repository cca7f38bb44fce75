"""The HTTP session every TikTok client uses: timeouts, bounded retries with backoff, no secrets logged.

Retries cover 429 and 5xx (honouring ``Retry-After``) and connection errors, a bounded number of times with
exponential backoff; what still fails becomes a :class:`~linkkit.errors.ProviderError` in the client that made
the call, where TikTok's own error shape is known.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from linkkit.errors import ProviderError

__all__ = ["RETRY_STATUSES", "make_session", "network_error", "parse_json", "status_error"]

log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 500, 502, 503, 504)


def make_session(*, max_retries: int = 3, backoff: float = 0.5, session: requests.Session | None = None
                 ) -> requests.Session:
    """Mount a retrying adapter on ``session`` (a new one when ``None``) and return it."""
    session = session if session is not None else requests.Session()
    retry = Retry(
        total=max_retries,
        connect=max_retries,
        read=0,  # a request that reached TikTok and timed out may have been processed: don't repeat it
        status=max_retries,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,  # TikTok Shop's token endpoints are GETs, Login Kit's are POSTs: retry both
        backoff_factor=backoff,
        backoff_max=8.0,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.trust_env = False  # never route loopback sandbox traffic (or tokens) through a proxy by accident
    return session


def network_error(exc: requests.RequestException, url: str) -> ProviderError:
    """A ProviderError for a request that never got an answer (the URL's query is not included)."""
    where = urlsplit(url)
    return ProviderError(
        f"TikTok could not be reached ({where.netloc}{where.path}): {type(exc).__name__}.",
        reason="provider_unavailable",
        retryable=True,
    )


def status_error(response: requests.Response, *, provider_code: Any = None, log_id: str | None = None
                 ) -> ProviderError | None:
    """The error for a 429 or 5xx that survived the retries, else ``None``."""
    if response.status_code == 429:
        return ProviderError("TikTok is rate limiting requests right now.", reason="rate_limited",
                             provider_code=provider_code, log_id=log_id, status=429, retryable=True)
    if response.status_code >= 500:
        return ProviderError(f"TikTok is unavailable (HTTP {response.status_code}).",
                             reason="provider_unavailable", provider_code=provider_code, log_id=log_id,
                             status=response.status_code, retryable=True)
    return None


def parse_json(response: requests.Response) -> dict[str, Any]:
    """The JSON object in ``response``, or a ``provider_bad_response`` error."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        error = status_error(response)
        if error is not None:
            raise error
        raise ProviderError(
            f"TikTok sent an unreadable answer (HTTP {response.status_code}, not a JSON object).",
            reason="provider_bad_response", status=response.status_code, retryable=True,
        )
    return data
