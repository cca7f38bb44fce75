"""Token encryption at rest, the key file, and the state helpers (linkkit.crypto)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from linkkit import crypto
from linkkit.crypto import TokenBox, hash_secret, load_or_create_key, new_state
from linkkit.errors import ConfigError, RegistryError


def test_round_trip_and_ciphertext_hides_the_secret() -> None:
    box = TokenBox(Fernet.generate_key().decode())
    sealed = box.encrypt("act.secret-token")
    assert "act.secret-token" not in sealed
    assert box.decrypt(sealed) == "act.secret-token"


def test_keys_list_newest_first_with_spaces_and_empty_items() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed_old = TokenBox(old).encrypt("t")
    both = TokenBox(f" {new} , {old} ,")
    assert both.decrypt(sealed_old) == "t"
    # the newest key encrypts: a box with only the new key reads it
    assert TokenBox(new).decrypt(both.encrypt("u")) == "u"
    rotated = both.rotate(sealed_old)
    assert TokenBox(new).decrypt(rotated) == "t"
    with pytest.raises(RegistryError):
        TokenBox(old).decrypt(rotated)


@pytest.mark.parametrize("keys", ["", "not-a-key", "   ,  "])
def test_invalid_keys_are_a_config_error(keys: str) -> None:
    with pytest.raises(ConfigError) as info:
        TokenBox(keys)
    assert info.value.reason == "config_invalid"
    assert info.value.message == "LINKKIT_SECRET_KEY is not a valid Fernet key (or list of keys)."


def test_a_changed_key_is_a_registry_error_that_says_what_to_do() -> None:
    sealed = TokenBox(Fernet.generate_key().decode()).encrypt("t")
    with pytest.raises(RegistryError) as info:
        TokenBox(Fernet.generate_key().decode()).decrypt(sealed)
    assert info.value.reason == "registry_error"
    assert info.value.message == (
        "A stored token cannot be decrypted: the secret key changed. Restore the old key "
        "(list it after the new one in LINKKIT_SECRET_KEY) or re-authorize.")


def test_repr_hides_the_keys() -> None:
    key = Fernet.generate_key().decode()
    assert repr(TokenBox(key)) == "TokenBox(<keys hidden>)"


def test_key_file_is_created_private_and_reused(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    key_file = tmp_path / "data" / "linkkit" / "secret.key"  # parents created too
    with caplog.at_level(logging.WARNING, logger="linkkit.crypto"):
        key = load_or_create_key(key_file)
    TokenBox(key)  # a valid Fernet key
    assert key_file.read_text(encoding="ascii") == key + "\n"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in key_file.parent.iterdir()] == ["secret.key"]  # no temp file left behind
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, f"Generated a new secret key for token encryption at {key_file} (mode 0600). Back it up.")]
    assert key not in caplog.text
    assert load_or_create_key(key_file) == key


def test_key_file_race_reads_the_winners_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "secret.key"
    winner = Fernet.generate_key().decode()
    real_link = os.link

    def lose_the_race(src: str, dst: str) -> None:
        Path(dst).write_text(winner + "\n", encoding="ascii")  # another process linked first
        real_link(src, str(dst) + ".unused")
        raise FileExistsError(dst)

    monkeypatch.setattr(crypto.os, "link", lose_the_race)
    assert load_or_create_key(key_file) == winner
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.key", "secret.key.unused"]


def test_hash_secret_is_sha256_hex() -> None:
    # FIPS 180-2's "abc" vector
    assert hash_secret("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_new_state_is_256_bits_url_safe_and_fresh() -> None:
    a, b = new_state(), new_state()
    assert len(a) == 43 and a != b
    assert set(a) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


# --- key fingerprints -------------------------------------------------------------------------------------------

#: A fixed Fernet key (32 bytes 0x00..0x1f, urlsafe base64) and its fingerprint, pinned: the registry stores
#: fingerprints, so a change to the formula would make every existing registry look foreign.
FIXED_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
FIXED_FINGERPRINT = "bb9a71850c93c929"


def test_fingerprint_is_pinned_for_a_known_key() -> None:
    assert crypto.fingerprint(FIXED_KEY) == FIXED_FINGERPRINT
    assert crypto.fingerprint(f"  {FIXED_KEY}\n") == FIXED_FINGERPRINT  # surrounding white space is not the key


def test_fingerprints_differ_between_keys_and_reveal_nothing() -> None:
    keys = [Fernet.generate_key().decode() for _ in range(20)]
    prints = [crypto.fingerprint(k) for k in keys]
    assert len(set(prints)) == len(keys)
    for key, fp in zip(keys, prints, strict=True):
        assert len(fp) == 16 and int(fp, 16) >= 0
        assert fp not in key and fp.lower() not in key.lower()


def test_box_fingerprints_are_newest_first() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    box = TokenBox(f"{new},{old}")
    assert box.fingerprints == (crypto.fingerprint(new), crypto.fingerprint(old))
    assert box.fingerprint == crypto.fingerprint(new)


def test_fingerprint_of_names_the_key_that_decrypts() -> None:
    old, new, foreign = (Fernet.generate_key().decode() for _ in range(3))
    box = TokenBox(f"{new},{old}")
    assert box.fingerprint_of(TokenBox(old).encrypt("t")) == crypto.fingerprint(old)
    assert box.fingerprint_of(TokenBox(new).encrypt("t")) == crypto.fingerprint(new)
    assert box.fingerprint_of(box.encrypt("t")) == crypto.fingerprint(new)
    assert box.fingerprint_of(TokenBox(foreign).encrypt("t")) is None
    assert box.fingerprint_of("not a fernet token") is None
