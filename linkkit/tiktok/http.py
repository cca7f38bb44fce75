"""The HTTP session every TikTok client uses: timeouts, bounded retries with backoff, no secrets logged.

Retries cover 429 and 5xx (honouring ``Retry-After`` up to :data:`RETRY_AFTER_CAP` seconds; a longer one is not
waited for, the answer stands and becomes reason ``rate_limited`` for a 429) and connection errors, a bounded
number of times with exponential backoff; what still fails becomes a :class:`~linkkit.errors.ProviderError` in
the client that made the call, where TikTok's own error shape is known.

:func:`map_exceptions` is the one place a transport exception becomes a linkkit error (the shape of httpx's
``map_exceptions``): the URL is cut to scheme, host and path before any exception or log line exists, the
original exception is scrubbed of its message, request and response, and it is not chained, so a formatted
traceback cannot show the query (TikTok Shop's token calls carry ``app_secret`` and ``refresh_token`` there).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from linkkit.errors import ProviderError

__all__ = ["RETRY_AFTER_CAP", "RETRY_STATUSES", "make_session", "map_exceptions", "network_error", "parse_json",
           "safe_url", "status_error"]

log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 500, 502, 503, 504)
#: The longest ``Retry-After`` (seconds) a call waits out; nobody should wait longer on a page or a token refresh.
RETRY_AFTER_CAP = 10.0


class _CappedRetry(Retry):
    """urllib3's ``Retry``, except that an answer asking to wait longer than the cap is not retried."""

    def increment(self, method: str | None = None, url: str | None = None,
                  response: BaseHTTPResponse | None = None, error: Exception | None = None,
                  _pool: ConnectionPool | None = None, _stacktrace: TracebackType | None = None) -> Self:
        wait = self.get_retry_after(response) if response is not None else None
        if wait is not None and wait > RETRY_AFTER_CAP:
            log.info("TikTok asked to wait %.0f s (more than %.0f s): not retrying.", wait, RETRY_AFTER_CAP)
            # the adapter hands the answer back as it is (raise_on_status=False): a 429 becomes rate_limited
            raise MaxRetryError(_pool, url or "", None)  # type: ignore[arg-type]
        return super().increment(method, url, response, error, _pool, _stacktrace)


def make_session(*, max_retries: int = 3, backoff: float = 0.5, session: requests.Session | None = None
                 ) -> requests.Session:
    """Mount a retrying adapter on ``session`` (a new one when ``None``) and return it."""
    session = session if session is not None else requests.Session()
    retry = _CappedRetry(
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


def safe_url(url: str) -> str:
    """``url`` without user info, query string or fragment: what may appear in a message or a log."""
    where = urlsplit(url)
    host = where.hostname or ""
    port = f":{where.port}" if where.port else ""
    return f"{where.scheme}://{host}{port}{where.path}" if where.scheme else f"{host}{port}{where.path}"


def network_error(exc: requests.RequestException, url: str) -> ProviderError:
    """A ProviderError for a request that never got an answer (the URL's query is not included)."""
    where = urlsplit(url)
    kind = "timed out" if isinstance(exc, requests.Timeout) else type(exc).__name__
    return ProviderError(
        f"TikTok could not be reached ({where.hostname or ''}{f':{where.port}' if where.port else ''}"
        f"{where.path}): {kind}.",
        reason="provider_unavailable",
        retryable=True,
    )


def _scrub(exc: BaseException) -> None:
    """Empty a transport exception of everything that may carry a URL, header or body."""
    exc.args = (f"{type(exc).__name__} (details withheld: the request may carry secrets)",)
    for attr in ("request", "response"):
        if hasattr(exc, attr):
            try:
                setattr(exc, attr, None)
            except AttributeError:  # pragma: no cover - read-only on some exception types
                pass
    exc.__cause__ = exc.__context__ = None
    exc.__traceback__ = None


@contextmanager
def map_exceptions(url: str) -> Iterator[None]:
    """Turn transport failures inside the block into ``provider_unavailable`` errors, leaking nothing.

    Example:
        >>> import requests
        >>> try:
        ...     with map_exceptions("https://auth.example/api/v2/token/get?app_secret=s3cret"):
        ...         raise requests.ConnectionError("pool: url=/api/v2/token/get?app_secret=s3cret")
        ... except Exception as exc:
        ...     ("s3cret" in str(exc), exc.__cause__ is None, exc.__suppress_context__)
        (False, True, True)
    """
    try:
        yield
    except requests.RequestException as exc:
        error = network_error(exc, url)
        _scrub(exc)
        raise error from None


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
