"""The registry: constraints, encryption at rest, single-use pending authorizations, migrations.

Every test taking ``registry_url`` runs twice: on a SQLite file and on a fresh PostgreSQL database.
"""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from linkkit.crypto import TokenBox, load_or_create_key
from linkkit.errors import ConfigError, RegistryError, RuleViolation
from linkkit.models import CheckName, LinkCheck, LinkStatus, Provider, Role, Shop, TikTokAccount
from linkkit.store import SCHEMA_VERSION, Store, links

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SHOP = Shop(id="7001", name="Maple & Co", region="US", seller_type="LOCAL", cipher="ROW_c1", seller_open_id="s1")


def account(open_id: str, username: str) -> TikTokAccount:
    return TikTokAccount(open_id=open_id, display_name=username.title(), username=username)


@pytest.fixture
def open_store() -> Iterator[Callable[..., Store]]:
    """Opens registries and closes them all after the test (PostgreSQL connections must not leak)."""
    opened: list[Store] = []

    def open_(url: str, box: TokenBox) -> Store:
        store = Store(url, box)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


@pytest.fixture
def store(registry_url: str, secret_key: str, open_store: Callable[..., Store]) -> Store:
    store = open_store(registry_url, TokenBox(secret_key))
    store.upsert_shop(SHOP)
    for n in range(6):
        store.upsert_account(account(f"o{n}", f"user{n}"))
    return store


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.sqlite3'}"


def at_rest(url: str) -> bytes:
    """Everything the database keeps on disk for the registry, as bytes.

    SQLite: the main file, ``-wal`` and ``-shm`` (in WAL mode new rows sit in ``-wal`` until a checkpoint).
    PostgreSQL: every row of every table, as the server stores it (``row::text``).
    """
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        files = [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")]
        assert files[0].exists() and files[1].exists(), "the scan must see the main file and the WAL"
        return b"".join(f.read_bytes() for f in files if f.exists())
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            assert "tokens" in names
            return b"".join(str(row[0]).encode() for name in names
                            for row in conn.exec_driver_sql(f'SELECT t::text FROM "{name}" AS t'))
    finally:
        engine.dispose()


class IdentityBox(TokenBox):
    """A "cipher" that stores secrets as they are: the encryption-at-rest scan must catch it."""

    def encrypt(self, plaintext: str) -> str:
        return plaintext

    def decrypt(self, ciphertext: str) -> str:
        return ciphertext

    def fingerprint_of(self, ciphertext: str) -> str | None:
        return self.fingerprint


def test_sqlite_runs_in_wal_mode(sqlite_url: str, secret_key: str, open_store: Callable[..., Store]) -> None:
    open_store(sqlite_url, TokenBox(secret_key))
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_closed_registry_refuses_use_instead_of_opening_a_new_pool(store: Store) -> None:
    """A page's polling thread that outlives its page must not reopen the database behind the owner's back: a
    disposed engine would quietly start a fresh pool whose connections nobody closes (on PostgreSQL, a
    ResourceWarning when they are collected)."""
    store.close()
    with pytest.raises(RegistryError) as raised:
        store.shops()
    assert raised.value.reason == "registry_error"
    assert store.engine.pool.checkedin() == 0 and store.engine.pool.checkedout() == 0
    store.close()  # idempotent


def test_a_connection_held_across_close_is_closed_when_it_comes_back(store: Store) -> None:
    """A page's thread may hold a connection while its registry closes; returned afterwards, it must be closed
    at once, not left open in the disposed pool until that pool is garbage-collected."""
    held = store.connect()
    raw = held.connection.dbapi_connection
    store.close()
    held.close()
    if isinstance(raw, sqlite3.Connection):
        with pytest.raises(sqlite3.ProgrammingError):
            raw.execute("SELECT 1")
    else:
        assert raw is not None and raw.closed


def test_migrate_is_idempotent(store: Store, registry_url: str, secret_key: str,
                               open_store: Callable[..., Store]) -> None:
    again = open_store(registry_url, TokenBox(secret_key))
    assert again.schema_version() == SCHEMA_VERSION
    assert again.shops() == [SHOP]


def test_one_active_official_per_shop_is_a_database_constraint(store: Store) -> None:
    store.insert_link(SHOP.id, "o0", Role.OFFICIAL, ["user.info.basic"])
    with pytest.raises(RuleViolation) as caught, store.transaction() as conn:  # around the rule check
        conn.execute(links.insert().values(shop_id=SHOP.id, account_open_id="o1", role="official",
                                           created_at=NOW, scopes=""))
    assert caught.value.reason == "official_limit_reached"
    assert [link.account.open_id for link in store.links(SHOP.id)] == ["o0"]


def test_one_active_link_per_account_and_shop_is_a_database_constraint(store: Store) -> None:
    store.insert_link(SHOP.id, "o1", Role.MARKETING, [])
    with pytest.raises(RuleViolation) as caught, store.transaction() as conn:
        conn.execute(links.insert().values(shop_id=SHOP.id, account_open_id="o1", role="marketing",
                                           created_at=NOW, scopes=""))
    assert caught.value.reason == "already_linked"
    assert len(store.links(SHOP.id)) == 1


def test_storing_a_link_checks_the_seller_center_rules(store: Store) -> None:
    store.insert_link(SHOP.id, "o0", Role.OFFICIAL, [])
    for n in range(1, 5):
        store.insert_link(SHOP.id, f"o{n}", Role.MARKETING, [])
    refused = {}
    for open_id, role in (("o5", Role.MARKETING), ("o5", Role.OFFICIAL), ("o1", Role.OFFICIAL),
                          ("o0", Role.MARKETING)):
        with pytest.raises(RuleViolation) as caught:
            store.insert_link(SHOP.id, open_id, role, [])
        refused[(open_id, role.value)] = caught.value.reason
    assert refused == {("o5", "marketing"): "marketing_limit_reached", ("o5", "official"): "official_limit_reached",
                       ("o1", "official"): "official_limit_reached", ("o0", "marketing"): "marketing_limit_reached"}
    assert len(store.links(SHOP.id)) == 5 and store.counts()["links"] == 5


def test_never_both_roles_for_one_account(store: Store) -> None:
    store.insert_link(SHOP.id, "o1", Role.MARKETING, [])
    with pytest.raises(RuleViolation) as caught:
        store.insert_link(SHOP.id, "o1", Role.OFFICIAL, [])
    assert caught.value.reason == "both_roles"
    assert [(link.account.open_id, link.role) for link in store.links(SHOP.id)] == [("o1", Role.MARKETING)]


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


def save_secrets(store: Store) -> None:
    store.save_token(Provider.LOGIN_KIT, "o0", access_token="act.SECRETACCESS123", refresh_token="rft.SECRETREFRESH9",
                     expires_at=NOW, refresh_expires_at=None, scopes=["user.info.basic"])
    store.add_pending(provider=Provider.LOGIN_KIT, state="STATEVALUE-abcdef", code_verifier="VERIFIER" * 6,
                      shop_id=SHOP.id, role=Role.OFFICIAL, redirect_uri="http://127.0.0.1/cb",
                      expires_at=NOW + timedelta(minutes=5))


def test_tokens_are_encrypted_at_rest_and_hidden_in_repr(store: Store, registry_url: str) -> None:
    save_secrets(store)
    token = store.token(Provider.LOGIN_KIT, "o0")
    assert token is not None and token.access_token == "act.SECRETACCESS123" and token.version == 1
    assert "SECRET" not in repr(token)
    raw = at_rest(registry_url)
    assert b"SECRETACCESS" not in raw and b"SECRETREFRESH" not in raw
    assert b"STATEVALUE" not in raw and b"VERIFIERVERIFIER" not in raw


def test_the_at_rest_scan_catches_secrets_stored_in_clear(registry_url: str, secret_key: str,
                                                          open_store: Callable[..., Store]) -> None:
    """The proof that the scan above can fail: the same writes through an identity "cipher" are found."""
    plain = open_store(registry_url, IdentityBox(secret_key))
    plain.upsert_shop(SHOP)
    save_secrets(plain)
    raw = at_rest(registry_url)
    assert b"SECRETACCESS" in raw and b"SECRETREFRESH" in raw and b"VERIFIERVERIFIER" in raw
    if registry_url.startswith("sqlite"):  # the rows are in the WAL, not yet in the main file
        main = Path(registry_url.removeprefix("sqlite:///")).read_bytes()
        assert b"SECRETACCESS" not in main, "the main file alone would have passed the scan"


def test_registry_file_is_private(sqlite_url: str, secret_key: str, open_store: Callable[..., Store],
                                  tmp_path: Path) -> None:
    store = open_store(sqlite_url, TokenBox(secret_key))
    store.upsert_shop(SHOP)
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in path.parent.glob(path.name + "*")}
    assert modes == {"registry.sqlite3": 0o600, "registry.sqlite3-wal": 0o600, "registry.sqlite3-shm": 0o600}


def test_an_existing_world_readable_registry_is_made_private(sqlite_url: str, secret_key: str,
                                                             open_store: Callable[..., Store]) -> None:
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    open_store(sqlite_url, TokenBox(secret_key)).close()
    path.chmod(0o644)
    open_store(sqlite_url, TokenBox(secret_key))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_default_registry_lives_in_a_private_directory(secret_key: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           open_store: Callable[..., Store]) -> None:
    from linkkit.config import Settings

    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    monkeypatch.setenv("LINKKIT_HOME", str(home))
    url = Settings().resolved_database_url
    open_store(url, TokenBox(secret_key))
    assert url == f"sqlite:///{home / 'registry.sqlite3'}"
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "registry.sqlite3").stat().st_mode) == 0o600


def test_saving_a_token_again_bumps_its_version(store: Store) -> None:
    for n in range(3):
        store.save_token(Provider.SHOP, "s1", access_token=f"TTP_{n}", refresh_token=f"r{n}", expires_at=NOW,
                         refresh_expires_at=NOW, scopes=[])
    token = store.token(Provider.SHOP, "s1")
    assert token is not None and token.version == 3 and token.access_token == "TTP_2"


def test_key_rotation_keeps_tokens_readable(store: Store, registry_url: str, secret_key: str,
                                            open_store: Callable[..., Store]) -> None:
    store.save_token(Provider.SHOP, "s1", access_token="TTP_abc", refresh_token="r", expires_at=NOW,
                     refresh_expires_at=None, scopes=[])
    new_key = Fernet.generate_key().decode()
    rotated = open_store(registry_url, TokenBox(f"{new_key},{secret_key}"))
    assert rotated.rotate_keys() == 1
    only_new = open_store(registry_url, TokenBox(new_key))
    token = only_new.token(Provider.SHOP, "s1")
    assert token is not None and token.access_token == "TTP_abc"
    with pytest.raises(ConfigError):  # after rotation the old key alone no longer opens the registry
        open_store(registry_url, TokenBox(secret_key))


def test_a_wrong_key_is_refused_at_start_with_one_clear_error(store: Store, registry_url: str,
                                                              open_store: Callable[..., Store]) -> None:
    store.save_token(Provider.SHOP, "s1", access_token="TTP_abc", refresh_token="r", expires_at=NOW,
                     refresh_expires_at=None, scopes=[])
    before = store.counts()
    stranger_key = Fernet.generate_key().decode()
    with pytest.raises(ConfigError) as caught:
        open_store(registry_url, TokenBox(stranger_key))
    assert caught.value.reason == "config_invalid"
    assert "LINKKIT_SECRET_KEY" in caught.value.message
    assert stranger_key not in caught.value.message
    assert store.counts() == before
    assert store.token(Provider.SHOP, "s1").access_token == "TTP_abc"  # type: ignore[union-attr]


def test_a_process_with_another_key_cannot_write_after_the_fact(store: Store, registry_url: str,
                                                                open_store: Callable[..., Store]) -> None:
    """Two processes opened an empty registry with different keys; once one writes, the other is refused."""
    other = open_store(registry_url, TokenBox(Fernet.generate_key().decode()))
    other.save_token(Provider.SHOP, "s2", access_token="TTP_other", refresh_token="r", expires_at=NOW,
                     refresh_expires_at=None, scopes=[])
    with pytest.raises(ConfigError) as caught:
        store.save_token(Provider.SHOP, "s1", access_token="TTP_abc", refresh_token="r", expires_at=NOW,
                         refresh_expires_at=None, scopes=[])
    assert "LINKKIT_SECRET_KEY" in caught.value.message
    with pytest.raises(ConfigError):
        store.token(Provider.SHOP, "s2")
    assert store.token(Provider.SHOP, "s1") is None


def test_a_corrupt_secret_is_a_registry_error_not_garbage(store: Store, registry_url: str) -> None:
    store.save_token(Provider.SHOP, "s1", access_token="TTP_abc", refresh_token="r", expires_at=NOW,
                     refresh_expires_at=None, scopes=[])
    with store.transaction() as conn:
        conn.execute(sa.text("UPDATE tokens SET access_token = 'gAAAAA-not-a-token'"))
    with pytest.raises(RegistryError) as caught:
        store.token(Provider.SHOP, "s1")
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
    assert {out.strip() for out, _ in results} == {str(SCHEMA_VERSION)}
    keys = list((tmp_path / "home").glob("*secret.key*"))
    assert [k.name for k in keys] == ["secret.key"], "no temp files left behind"


def _alembic_config(conn: sa.Connection) -> object:
    from importlib import resources

    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("linkkit.migrations")))
    config.attributes["connection"] = conn
    return config


def make_legacy_registry(url: str, key: str) -> None:
    """A registry as linkkit 0.1's hand-rolled migration left it: schema 1, no alembic_version, one token.

    Revision 0001 creates exactly that schema (checked against 0.1's ``create_all`` on both databases when it
    was written), so running it and dropping Alembic's table reproduces such a registry.
    """
    from alembic import command

    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "0001")  # type: ignore[arg-type]
            conn.exec_driver_sql("DROP TABLE alembic_version")
            box = TokenBox(key)
            conn.execute(sa.text(
                "INSERT INTO tokens (provider, subject, access_token, refresh_token, expires_at, scopes, version, "
                "updated_at) VALUES ('shop', 's1', :a, :r, :t, '', 1, :t)"),
                {"a": box.encrypt("TTP_legacy"), "r": box.encrypt("r_legacy"), "t": NOW})
    finally:
        engine.dispose()


def test_a_registry_from_the_old_migration_is_stamped_and_upgraded(registry_url: str, secret_key: str,
                                                                    open_store: Callable[..., Store]) -> None:
    make_legacy_registry(registry_url, secret_key)
    with pytest.raises(ConfigError):  # the legacy row is fingerprinted on open: a stranger's key is refused
        open_store(registry_url, TokenBox(Fernet.generate_key().decode()))
    store = open_store(registry_url, TokenBox(secret_key))
    assert store.schema_version() == SCHEMA_VERSION
    token = store.token(Provider.SHOP, "s1")
    assert token is not None and token.access_token == "TTP_legacy"
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() == [f"{SCHEMA_VERSION:04d}"]
        assert sorted(conn.exec_driver_sql("SELECT version FROM schema_migrations").scalars()) == [1, 2]
        assert conn.exec_driver_sql("SELECT key_fp FROM tokens").scalars().all() == [TokenBox(secret_key).fingerprint]
    with pytest.raises(ConfigError):
        open_store(registry_url, TokenBox(Fernet.generate_key().decode()))


def test_a_registry_from_a_newer_linkkit_is_refused(store: Store, registry_url: str, secret_key: str,
                                                    open_store: Callable[..., Store]) -> None:
    with store.transaction() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(RegistryError) as caught:
        open_store(registry_url, TokenBox(secret_key))
    assert "newer linkkit" in caught.value.message


@pytest.mark.slow
def test_six_processes_migrate_one_new_registry_at_once(registry_url: str, secret_key: str,
                                                        tmp_path: Path) -> None:
    """Six processes open the same empty database at one moment: all succeed, and there is one schema."""
    import subprocess
    import sys

    code = (
        "import pathlib, sys, time\n"
        "from linkkit.crypto import TokenBox\nfrom linkkit.store import Store\n"
        "print('ready', flush=True)\n"
        "while not pathlib.Path(sys.argv[3]).exists(): time.sleep(0.0005)\n"
        "store = Store(sys.argv[1], TokenBox(sys.argv[2]))\n"
        "print(store.schema_version())\nstore.close()\n"
    )
    go = tmp_path / "go"
    processes = [subprocess.Popen([sys.executable, "-c", code, registry_url, secret_key, str(go)], text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(6)]
    for process in processes:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    go.touch()
    results = [p.communicate(timeout=90) for p in processes]
    assert [p.returncode for p in processes] == [0] * 6, [err[-2000:] for _, err in results]
    assert [out.strip() for out, _ in results] == [str(SCHEMA_VERSION)] * 6
    engine = sa.create_engine(registry_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() == [f"{SCHEMA_VERSION:04d}"]
            assert sorted(conn.exec_driver_sql("SELECT version FROM schema_migrations").scalars()) == [1, 2]
            assert {"shops", "links", "tokens", "pending_authorizations"} <= set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_mask_url_hides_passwords_everywhere_a_url_is_shown(registry_url: str, secret_key: str,
                                                            open_store: Callable[..., Store]) -> None:
    from linkkit.store import mask_url

    assert mask_url("postgresql+psycopg://linkkit:s3cr%40t@db:5432/r") == "postgresql+psycopg://linkkit:***@db:5432/r"
    assert mask_url("postgresql://u:p@ss@db/r?password=x&sslmode=require") == (
        "postgresql://u:***@db/r?password=***&sslmode=require")
    assert mask_url("postgresql://u@db/r") == "postgresql://u@db/r"
    store = open_store(registry_url, TokenBox(secret_key))
    password = sa.make_url(registry_url).password
    shown = [repr(store), store.url]
    if password:
        assert all(password not in text for text in shown)
        assert all("***" in text for text in shown)


def _error_chain(exc: BaseException) -> str:
    parts = []
    seen: BaseException | None = exc
    while seen is not None:
        parts.append(f"{type(seen).__name__}: {seen}")
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


@pytest.mark.postgresql
def test_postgresql_failures_are_told_apart_without_the_password(postgres_server: str, secret_key: str) -> None:
    from linkkit.cli import free_port
    from linkkit.store import RegistryAuthFailed, RegistryMissing, RegistryUnreachable

    good = sa.make_url(postgres_server)
    wrong_password = good.set(password="not-the-password-7731").render_as_string(hide_password=False)
    missing = good.set(database="no_such_registry_db").render_as_string(hide_password=False)
    stopped = good.set(port=free_port()).render_as_string(hide_password=False)
    outcomes = {}
    for name, url in (("auth", wrong_password), ("missing", missing), ("down", stopped)):
        with pytest.raises(RegistryError) as caught:
            Store(url, TokenBox(secret_key))
        outcomes[name] = caught.value
    assert isinstance(outcomes["auth"], RegistryAuthFailed) and "Authentication failed" in outcomes["auth"].message
    assert isinstance(outcomes["missing"], RegistryMissing) and "No such registry database" in outcomes["missing"].message
    assert isinstance(outcomes["down"], RegistryUnreachable) and "unreachable" in outcomes["down"].message
    assert {type(e).__name__ for e in outcomes.values()} == {"RegistryAuthFailed", "RegistryMissing",
                                                             "RegistryUnreachable"}
    for error in outcomes.values():
        assert error.reason == "registry_error"
        assert "not-the-password-7731" not in _error_chain(error)
        assert good.password is None or good.password not in _error_chain(error)


def test_a_sqlite_registry_in_a_missing_folder_is_no_such_database(tmp_path: Path, secret_key: str) -> None:
    from linkkit.store import RegistryMissing

    with pytest.raises(RegistryMissing) as caught:
        Store(f"sqlite:///{tmp_path / 'nowhere' / 'registry.sqlite3'}", TokenBox(secret_key))
    assert "does not exist" in caught.value.message and caught.value.problem == "database_missing"


def test_a_shared_database_refuses_a_per_machine_key() -> None:
    from linkkit.config import Settings

    with pytest.raises(ConfigError) as caught:
        Settings(database_url="postgresql+psycopg://linkkit:pw@db.example/linkkit")
    assert "LINKKIT_SECRET_KEY" in caught.value.message
    assert "pw@" not in caught.value.message
    Settings(database_url="postgresql+psycopg://linkkit:pw@db.example/linkkit", secret_key=Fernet.generate_key().decode())


@pytest.mark.parametrize("module_name", ["linkkit.store", "linkkit.crypto"])
def test_docstring_examples_run(module_name: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module_name), raise_on_error=False)
    assert result.attempted > 0 and result.failed == 0
