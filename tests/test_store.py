"""The registry: constraints, encryption at rest, single-use pending authorizations, migrations."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from linkkit.crypto import TokenBox, load_or_create_key
from linkkit.errors import RegistryError, RuleViolation
from linkkit.models import CheckName, LinkCheck, LinkStatus, Provider, Role, Shop, TikTokAccount
from linkkit.store import Store

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SHOP = Shop(id="7001", name="Maple & Co", region="US", seller_type="LOCAL", cipher="ROW_c1", seller_open_id="s1")


def account(open_id: str, username: str) -> TikTokAccount:
    return TikTokAccount(open_id=open_id, display_name=username.title(), username=username)


@pytest.fixture
def store(registry_url: str, secret_key: str) -> Store:
    store = Store(registry_url, TokenBox(secret_key))
    store.upsert_shop(SHOP)
    for n in range(3):
        store.upsert_account(account(f"o{n}", f"user{n}"))
    return store


def test_sqlite_runs_in_wal_mode(store: Store, registry_url: str) -> None:
    path = registry_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migrate_is_idempotent(store: Store, registry_url: str, secret_key: str) -> None:
    again = Store(registry_url, TokenBox(secret_key))
    assert again.schema_version() == 1
    assert again.shops() == [SHOP]


def test_one_active_official_per_shop_is_a_database_constraint(store: Store) -> None:
    store.insert_link(SHOP.id, "o0", Role.OFFICIAL, ["user.info.basic"])
    with pytest.raises(RuleViolation) as caught:
        store.insert_link(SHOP.id, "o1", Role.OFFICIAL, ["user.info.basic"])
    assert caught.value.reason == "official_limit_reached"
    assert [link.account.open_id for link in store.links(SHOP.id)] == ["o0"]


def test_one_active_link_per_account_and_shop(store: Store) -> None:
    store.insert_link(SHOP.id, "o1", Role.MARKETING, [])
    with pytest.raises(RuleViolation) as caught:
        store.insert_link(SHOP.id, "o1", Role.OFFICIAL, [])
    assert caught.value.reason == "already_linked"
    assert len(store.links(SHOP.id)) == 1


def test_an_unlinked_official_frees_the_slot(store: Store) -> None:
    first = store.insert_link(SHOP.id, "o0", Role.OFFICIAL, [])
    store.update_link(first, unlinked_at=NOW)
    second = store.insert_link(SHOP.id, "o1", Role.OFFICIAL, [])
    assert [link.id for link in store.links(SHOP.id)] == [second]
    assert {link.id for link in store.links(SHOP.id, include_unlinked=True)} == {first, second}
    assert store.link(first).status is LinkStatus.UNLINKED


def test_a_failed_transaction_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuleViolation), store.transaction() as conn:
        store.insert_link(SHOP.id, "o0", Role.OFFICIAL, [], conn=conn)
        store.add_event("authorized", shop_id=SHOP.id, conn=conn)
        store.insert_link(SHOP.id, "o1", Role.OFFICIAL, [], conn=conn)
    assert store.links(SHOP.id) == []
    assert store.events() == []


def test_tokens_are_encrypted_at_rest_and_hidden_in_repr(store: Store, registry_url: str) -> None:
    store.save_token(Provider.LOGIN_KIT, "o0", access_token="act.SECRETACCESS123", refresh_token="rft.SECRETREFRESH9",
                     expires_at=NOW, refresh_expires_at=None, scopes=["user.info.basic"])
    token = store.token(Provider.LOGIN_KIT, "o0")
    assert token is not None and token.access_token == "act.SECRETACCESS123" and token.version == 1
    assert "SECRET" not in repr(token)
    raw = Path(registry_url.removeprefix("sqlite:///")).read_bytes()
    assert b"SECRETACCESS" not in raw and b"SECRETREFRESH" not in raw


def test_saving_a_token_again_bumps_its_version(store: Store) -> None:
    for n in range(3):
        store.save_token(Provider.SHOP, "s1", access_token=f"TTP_{n}", refresh_token=f"r{n}", expires_at=NOW,
                         refresh_expires_at=NOW, scopes=[])
    token = store.token(Provider.SHOP, "s1")
    assert token is not None and token.version == 3 and token.access_token == "TTP_2"


def test_key_rotation_keeps_tokens_readable(store: Store, registry_url: str, secret_key: str) -> None:
    store.save_token(Provider.SHOP, "s1", access_token="TTP_abc", refresh_token="r", expires_at=NOW,
                     refresh_expires_at=None, scopes=[])
    new_key = Fernet.generate_key().decode()
    rotated = Store(registry_url, TokenBox(f"{new_key},{secret_key}"))
    assert rotated.rotate_keys() == 1
    only_new = Store(registry_url, TokenBox(new_key))
    token = only_new.token(Provider.SHOP, "s1")
    assert token is not None and token.access_token == "TTP_abc"


def test_a_wrong_key_is_a_registry_error_not_garbage(store: Store, registry_url: str) -> None:
    store.save_token(Provider.SHOP, "s1", access_token="TTP_abc", refresh_token="r", expires_at=NOW,
                     refresh_expires_at=None, scopes=[])
    stranger = Store(registry_url, TokenBox(Fernet.generate_key().decode()))
    with pytest.raises(RegistryError) as caught:
        stranger.token(Provider.SHOP, "s1")
    assert caught.value.reason == "registry_error"


def test_pending_authorization_is_claimed_exactly_once(store: Store) -> None:
    pending_id = store.add_pending(provider=Provider.LOGIN_KIT, state="state-1", code_verifier="v" * 43,
                                   shop_id=SHOP.id, role=Role.MARKETING, redirect_uri="http://127.0.0.1/cb",
                                   expires_at=NOW + timedelta(minutes=10))
    claim = store.claim_pending("state-1", NOW)
    assert not isinstance(claim, str)
    record, verifier, replace = claim
    assert record.id == pending_id and verifier == "v" * 43 and replace is False
    assert store.claim_pending("state-1", NOW) == "authorization_reused"
    assert store.claim_pending("unknown", NOW) == "state_mismatch"


def test_expired_pending_authorization_is_refused(store: Store) -> None:
    store.add_pending(provider=Provider.SHOP, state="old", code_verifier=None, shop_id=None, role=None,
                      redirect_uri="http://127.0.0.1/cb", expires_at=NOW)
    assert store.claim_pending("old", NOW + timedelta(seconds=1)) == "authorization_expired"


def test_state_and_verifier_are_not_stored_in_clear(store: Store, registry_url: str) -> None:
    store.add_pending(provider=Provider.LOGIN_KIT, state="STATEVALUE-abcdef", code_verifier="VERIFIER" * 6,
                      shop_id=SHOP.id, role=Role.OFFICIAL, redirect_uri="http://127.0.0.1/cb",
                      expires_at=NOW + timedelta(minutes=5))
    raw = Path(registry_url.removeprefix("sqlite:///")).read_bytes()
    assert b"STATEVALUE" not in raw and b"VERIFIERVERIFIER" not in raw


def test_status_is_derived_from_the_latest_check_run(store: Store) -> None:
    link_id = store.insert_link(SHOP.id, "o0", Role.OFFICIAL, [])
    assert store.link(link_id).status is LinkStatus.AWAITING_SELLER_CENTER
    ok = [LinkCheck(link_id, name, True, None, "", NOW) for name in CheckName]
    store.record_checks(link_id, ok)
    assert store.link(link_id).status is LinkStatus.CONNECTED
    bad = [*ok[:-1], LinkCheck(link_id, CheckName.SELLER_CENTER_BINDING, False, "binding_not_visible", "", NOW)]
    store.record_checks(link_id, bad)
    assert store.link(link_id).status is LinkStatus.AWAITING_SELLER_CENTER
    store.update_link(link_id, linked_at=NOW)
    assert store.link(link_id).status is LinkStatus.NEEDS_ATTENTION


def test_link_intervals_only_list_bound_links(store: Store) -> None:
    bound = store.insert_link(SHOP.id, "o0", Role.OFFICIAL, [])
    store.insert_link(SHOP.id, "o1", Role.MARKETING, [])
    store.update_link(bound, linked_at=NOW)
    intervals = store.link_intervals()
    assert [(i["link_id"], i["username"], i["role"], i["linked_at"]) for i in intervals] == [
        (bound, "user0", "official", NOW)]


def test_generated_key_file_is_private(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    key = load_or_create_key(key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_or_create_key(key_file) == key


def test_many_processes_open_a_new_registry_at_once(tmp_path: Path) -> None:
    """Voila's preheated kernels start together: each must open (and migrate) the same new registry and
    share one generated key, with no 'database is locked' and no half-written key file."""
    import subprocess
    import sys

    code = (
        "import pathlib, sys, time; from linkkit.config import Settings; from linkkit.linking import LinkService\n"
        "print('ready', flush=True)\n"
        "while not pathlib.Path(sys.argv[2]).exists(): time.sleep(0.0005)\n"
        "s = LinkService.from_settings(Settings(database_url=sys.argv[1]))\n"
        "print(s.store.schema_version())\n"
    )
    go = tmp_path / "go"
    env = {"LINKKIT_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    processes = [subprocess.Popen([sys.executable, "-c", code, url, str(go)], env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(6)]
    for process in processes:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    go.touch()
    results = [p.communicate(timeout=60) for p in processes]
    assert [p.returncode for p in processes] == [0] * 6, [err[-3000:] for _, err in results]
    assert {out.strip() for out, _ in results} == {"1"}
    keys = list((tmp_path / "home").glob("*secret.key*"))
    assert [k.name for k in keys] == ["secret.key"], "no temp files left behind"
