"""Token encryption at rest: Fernet, with MultiFernet key rotation.

The key comes from ``LINKKIT_SECRET_KEY`` (one or more Fernet keys, comma-separated, newest first). Without it,
a key is generated once into ``<data dir>/secret.key`` with mode 0600, and the log says where.

Example:
    >>> from cryptography.fernet import Fernet
    >>> box = TokenBox(Fernet.generate_key().decode())
    >>> box.decrypt(box.encrypt("act.example")) == "act.example"
    True
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from linkkit.errors import ConfigError, RegistryError

__all__ = ["TokenBox", "hash_secret", "load_or_create_key", "new_state"]

log = logging.getLogger(__name__)


class TokenBox:
    """Encrypts and decrypts secrets with the newest key; decrypts with any listed key.

    Args:
        keys: Fernet keys, comma-separated, newest first.
    """

    def __init__(self, keys: str) -> None:
        try:
            self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])
        except (ValueError, TypeError) as exc:
            raise ConfigError("LINKKIT_SECRET_KEY is not a valid Fernet key (or list of keys).") from exc

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
