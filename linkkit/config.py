"""Settings: mode, endpoints, app credentials, registry URL, secret key, public URL.

Settings come from, in order of precedence: keyword arguments, ``LINKKIT_*`` environment variables, a
``linkkit.toml`` file (``$LINKKIT_CONFIG`` or ``./linkkit.toml``), then defaults. Sandbox mode is the default:
every URL points at the local sandbox and the app credentials are read from the sandbox's
``/_sandbox/world`` when not given.

Example:
    >>> from linkkit.config import Settings
    >>> s = Settings(mode="sandbox", sandbox_url="http://127.0.0.1:8765", public_url="http://127.0.0.1:8866")
    >>> s.redirect_uri
    'http://127.0.0.1:8866/voila/render/01_link_accounts.ipynb'
    >>> s.endpoints.login_token
    'http://127.0.0.1:8765/v2/oauth/token/'
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from linkkit.errors import ConfigError
from linkkit.tiktok.endpoints import Endpoints

__all__ = ["DEFAULT_SANDBOX_URL", "ONBOARDING_NOTEBOOK", "Settings", "data_dir"]

log = logging.getLogger(__name__)

DEFAULT_SANDBOX_URL = "http://127.0.0.1:8765"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8866"
ONBOARDING_NOTEBOOK = "01_link_accounts.ipynb"

_ENV_FIELDS = {
    "mode": "LINKKIT_MODE",
    "sandbox_url": "LINKKIT_SANDBOX_URL",
    "public_url": "LINKKIT_PUBLIC_URL",
    "database_url": "LINKKIT_DATABASE_URL",
    "secret_key": "LINKKIT_SECRET_KEY",
    "client_key": "LINKKIT_CLIENT_KEY",
    "client_secret": "LINKKIT_CLIENT_SECRET",
    "app_key": "LINKKIT_APP_KEY",
    "app_secret": "LINKKIT_APP_SECRET",
    "service_id": "LINKKIT_SERVICE_ID",
    "pkce_encoding": "LINKKIT_PKCE_ENCODING",
    "us_seller": "LINKKIT_US_SELLER",
}


def data_dir() -> Path:
    """The per-user data directory (``$LINKKIT_HOME`` or the platform's user data dir)."""
    home = os.environ.get("LINKKIT_HOME")
    path = Path(home) if home else Path(platformdirs.user_data_dir("linkkit", appauthor=False))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)  # it holds the registry and the secret key: private to its owner
    return path


@dataclass(frozen=True)
class Settings:
    """Everything linkkit needs to run, in one immutable value.

    Attributes:
        mode: ``"sandbox"`` (default) or ``"live"``.
        sandbox_url: Base URL of the local sandbox (sandbox mode only).
        public_url: Where Voila serves the notebooks; the OAuth redirect URI is built from it.
        database_url: SQLAlchemy URL of the registry; a SQLite file in :func:`data_dir` by default.
        secret_key: Fernet key(s), comma-separated, newest first; generated once into a 0600 file if unset.
        client_key / client_secret: the TikTok Login Kit app.
        app_key / app_secret / service_id: the TikTok Shop (Partner Center) app.
        pkce_encoding: ``"hex"`` (TikTok's desktop doc) or ``"base64url"`` (RFC 7636, web apps).
        us_seller: Use the US Seller Center / authorization hosts in live mode.
        timeout: Seconds for every HTTP call.
        max_retries: Retries on 429 and 5xx, with exponential backoff.
    """

    mode: str = "sandbox"
    sandbox_url: str = DEFAULT_SANDBOX_URL
    public_url: str = DEFAULT_PUBLIC_URL
    database_url: str = ""
    secret_key: str = field(default="", repr=False)
    client_key: str = ""
    client_secret: str = field(default="", repr=False)
    app_key: str = ""
    app_secret: str = field(default="", repr=False)
    service_id: str = ""
    pkce_encoding: str = "hex"
    us_seller: bool = False
    timeout: float = 15.0
    max_retries: int = 3
    backoff: float = 0.5

    def __post_init__(self) -> None:
        if self.mode not in ("sandbox", "live"):
            raise ConfigError(f"mode must be 'sandbox' or 'live', not {self.mode!r}.")
        if self.pkce_encoding not in ("hex", "base64url"):
            raise ConfigError(f"pkce_encoding must be 'hex' or 'base64url', not {self.pkce_encoding!r}.")
        if self.mode == "live":
            if not self.public_url.startswith("https://") and not _is_loopback(self.public_url):
                raise ConfigError("In live mode the dashboard's public URL must be https:// (or a loopback URL).")
        if self.database_url and not self.database_url.startswith("sqlite") and not self.secret_key:
            raise ConfigError("A shared registry database needs a shared key: set LINKKIT_SECRET_KEY to the same "
                              "Fernet key on every machine (a key generated per machine is refused).")

    def require_credentials(self) -> None:
        """Raise :class:`ConfigError` naming the TikTok app credentials live mode lacks.

        Checked when TikTok is first needed (and up front by commands that talk to TikTok), not when settings
        are built: reading the registry (``linkkit status``, ``export``) needs its URL and key only.
        """
        if self.mode != "live":
            return
        missing = [name for name in ("client_key", "client_secret", "app_key", "app_secret", "service_id")
                   if not getattr(self, name)]
        if missing:
            env = ", ".join(_ENV_FIELDS[name] for name in missing)
            raise ConfigError(f"Live mode needs your TikTok app credentials: set {env} (or linkkit.toml).")

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Build settings from ``linkkit.toml``, the environment and ``overrides`` (highest precedence)."""
        values: dict[str, Any] = {}
        config_path = Path(os.environ.get("LINKKIT_CONFIG", "linkkit.toml"))
        if config_path.is_file():
            try:
                table = tomllib.loads(config_path.read_text(encoding="utf-8")).get("linkkit", {})
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{config_path} is not valid TOML: {exc}") from exc
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{config_path} cannot be read: {exc}") from exc
            if not isinstance(table, dict):
                raise ConfigError(f"{config_path}: [linkkit] must be a table.")
            _check_types(config_path, table)
            values.update(table)
        for name, env in _ENV_FIELDS.items():
            if os.environ.get(env):
                values[name] = os.environ[env]
        values.update({k: v for k, v in overrides.items() if v is not None})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"Unknown setting(s): {', '.join(unknown)}.")
        if isinstance(values.get("us_seller"), str):
            values["us_seller"] = values["us_seller"].lower() in ("1", "true", "yes")
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied."""
        return replace(self, **changes)

    @property
    def is_sandbox(self) -> bool:
        return self.mode == "sandbox"

    @property
    def endpoints(self) -> Endpoints:
        """Base URLs for every TikTok call: the only place the mode changes behaviour."""
        if self.is_sandbox:
            return Endpoints.sandbox(self.sandbox_url)
        return Endpoints.live(us=self.us_seller)

    @property
    def redirect_uri(self) -> str:
        """The onboarding notebook's own Voila URL: TikTok sends the person back here."""
        return f"{self.public_url.rstrip('/')}/voila/render/{ONBOARDING_NOTEBOOK}"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{data_dir() / 'registry.sqlite3'}"


_TYPES: dict[str, tuple[type, ...]] = {"str": (str,), "bool": (bool,), "int": (int,), "float": (int, float)}


def _check_types(path: Path, table: dict[str, Any]) -> None:
    """Refuse a ``[linkkit]`` value of the wrong type (``timeout = "soon"``) before anything uses it."""
    kinds = {f.name: str(f.type) for f in fields(Settings)}
    for name, value in table.items():
        allowed = _TYPES.get(kinds.get(name, ""))
        if allowed and (not isinstance(value, allowed) or (bool not in allowed and isinstance(value, bool))):
            raise ConfigError(f"{path}: [linkkit] {name} must be a {kinds[name]}, not {value!r}.")


def _is_loopback(url: str) -> bool:
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")
