"""Token encryption at rest: Fernet, with MultiFernet key rotation.

The key comes from ``LINKKIT_SECRET_KEY`` (one or more Fernet keys, comma-separated, newest first). Without it,
a key is generated once into ``<data dir>/secret.key`` with mode 0600, and the log says where.

Each key has a *fingerprint*: an HMAC-SHA256 of a fixed label under the key, cut to 16 hex digits. The registry
records the fingerprint of the key that encrypted each secret, so a process holding another key is refused with
one clear error instead of failing on every token. A fingerprint reveals nothing about the key.

Example:
    >>> from cryptography.fernet import Fernet
    >>> box = TokenBox(Fernet.generate_key().decode())
    >>> box.decrypt(box.encrypt("act.example")) == "act.example"
    True
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from linkkit.errors import ConfigError, RegistryError

__all__ = ["TokenBox", "fingerprint", "hash_secret", "load_or_create_key", "new_state"]

log = logging.getLogger(__name__)


class TokenBox:
    """Encrypts and decrypts secrets with the newest key; decrypts with any listed key.

    Args:
        keys: Fernet keys, comma-separated, newest first.
    """

    def __init__(self, keys: str) -> None:
        listed = [k.strip() for k in keys.split(",") if k.strip()]
        try:
            self._fernets = [Fernet(k.encode()) for k in listed]
            self._fernet = MultiFernet(self._fernets)
        except (ValueError, TypeError) as exc:
            raise ConfigError("LINKKIT_SECRET_KEY is not a valid Fernet key (or list of keys).") from exc
        self._fingerprints = tuple(fingerprint(k) for k in listed)

    def __repr__(self) -> str:
        return "TokenBox(<keys hidden>)"

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise RegistryError(
                "A stored token cannot be decrypted: the secret key changed. Restore the old key "
                "(list it after the new one in LINKKIT_SECRET_KEY) or re-authorize."
            ) from exc

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt ``ciphertext`` with the newest key."""
        return self._fernet.rotate(ciphertext.encode()).decode()

    @property
    def fingerprints(self) -> tuple[str, ...]:
        """The fingerprint of every key, newest first."""
        return self._fingerprints

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the newest key: the one :meth:`encrypt` uses."""
        return self._fingerprints[0]

    def fingerprint_of(self, ciphertext: str) -> str | None:
        """The fingerprint of the listed key that decrypts ``ciphertext``, or ``None`` when none does."""
        for fp, fernet in zip(self._fingerprints, self._fernets, strict=True):
            try:
                fernet.decrypt(ciphertext.encode())
            except InvalidToken:
                continue
            return fp
        return None


def fingerprint(key: str) -> str:
    """A key's public fingerprint: HMAC-SHA256 of a fixed label under the key's bytes, 16 hex digits.

    Example:
        >>> len(fingerprint(Fernet.generate_key().decode()))
        16
    """
    raw = base64.urlsafe_b64decode(key.strip().encode())
    return hmac.new(raw, b"linkkit registry key fingerprint v1", hashlib.sha256).hexdigest()[:16]


def load_or_create_key(key_file: Path) -> str:
    """Return the key in ``key_file``, creating it (mode 0600) when missing."""
    if key_file.exists():
        return key_file.read_text(encoding="ascii").strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    # Write a private temp file, then link it into place: atomic, and a second process racing us (two Voila
    # kernels starting at once) gets FileExistsError and reads the winner's key instead of a half-written one.
    temp = key_file.with_name(f".{key_file.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    try:
        os.link(temp, key_file)
    except FileExistsError:
        return key_file.read_text(encoding="ascii").strip()
    finally:
        temp.unlink()
    log.warning("Generated a new secret key for token encryption at %s (mode 0600). Back it up.", key_file)
    return key


def hash_secret(value: str) -> str:
    """A one-way SHA-256 hex digest, for looking up ``state`` without storing it."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_state() -> str:
    """A fresh 256-bit URL-safe ``state`` value."""
    return secrets.token_urlsafe(32)
