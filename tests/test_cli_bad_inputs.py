"""Every bad input to the ``linkkit`` command gets a one-line answer, and leaves nothing behind.

One table of what people actually get wrong — unknown options, ids that are not ids, a shop that is not connected,
roles that do not exist, export paths that cannot be written (a folder, a read-only folder, a full device, a folder
that does not exist), unknown file types, a damaged registry, one written by a newer linkkit, one locked by another
process, the wrong secret key, a broken linkkit.toml, nonsense in the environment — across every subcommand.

For each: exactly one line on stderr, no traceback; exit status 1, or 2 for usage errors (argparse's convention:
the command line itself is wrong and nothing ran); the reason in the line; and the work folder (registry, config,
export targets) byte-for-byte as it was, with no stray file (no partial export, no ``-wal``). With ``--debug`` the
traceback may appear. Most run in-process (fast); a handful run the installed ``linkkit`` script as a subprocess to
prove the real entry point behaves the same.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import socket
import sqlite3
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from linkkit.cli import main
from linkkit.crypto import TokenBox
from linkkit.models import Provider, Shop
from linkkit.store import Store
from linkkit.store import database as registry_database

MAPLE = "7494100000000000101"
PG_PASSWORD = "s3cretPW-canary"  # a canary: must never be printed
LINKKIT = Path(sys.executable).parent / "linkkit"

_FS_IOC_GETFLAGS = 0x80086601
_FS_IOC_SETFLAGS = 0x40086602
_FS_IMMUTABLE_FL = 0x10


# --- the work folder ----------------------------------------------------------------------------------------------


@dataclass
class Place:
    """A person's folder: cwd, LINKKIT_HOME, a registry with a shop and an encrypted token, and the settings."""

    root: Path
    key: str
    env: dict[str, str] = field(default_factory=dict)
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    @property
    def registry(self) -> Path:
        return self.root / "registry.sqlite3"

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.write_text(text, encoding="utf-8")
        return path

    def read_only_dir(self, name: str) -> Path:
        """A folder nobody can create files in — root included (the immutable flag; root ignores mode bits)."""
        folder = self.root / name
        folder.mkdir()
        folder.chmod(0o555)
        self.cleanups.append(lambda: folder.chmod(0o755))  # runs last: cleanups run in reverse
        if os.geteuid() == 0:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                flags = struct.unpack("l", fcntl.ioctl(fd, _FS_IOC_GETFLAGS, struct.pack("l", 0)))[0]
                fcntl.ioctl(fd, _FS_IOC_SETFLAGS, struct.pack("l", flags | _FS_IMMUTABLE_FL))
            finally:
                os.close(fd)

            def undo() -> None:
                fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    fcntl.ioctl(fd, _FS_IOC_SETFLAGS, struct.pack("l", flags))
                finally:
                    os.close(fd)

            self.cleanups.append(undo)
        return folder

    def snapshot(self) -> dict[str, tuple[int, str]]:
        """Every file and folder under the root: its mode and content hash."""
        seen: dict[str, tuple[int, str]] = {}
        for path in sorted(self.root.rglob("*")):
            if path.is_symlink() or not path.is_file():
                seen[str(path.relative_to(self.root))] = (path.lstat().st_mode, "")
            else:
                seen[str(path.relative_to(self.root))] = (path.stat().st_mode,
                                                          hashlib.sha256(path.read_bytes()).hexdigest())
        return seen


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A registry with Maple & Co connected and one encrypted token (made once, copied per test)."""
    folder = tmp_path_factory.mktemp("template")
    key = Fernet.generate_key().decode()
    registry = Store(f"sqlite:///{folder / 'registry.sqlite3'}", TokenBox(key))
    registry.upsert_shop(Shop(id=MAPLE, name="Maple & Co", region="US", seller_type="LOCAL", cipher="c1"))
    now = datetime.now(UTC)
    registry.save_token(Provider.SHOP, "seller-open-id", access_token="canaryAccess", refresh_token="canaryRefresh",
                        expires_at=now + timedelta(hours=1), refresh_expires_at=now + timedelta(days=30), scopes=[])
    registry.close()
    assert sorted(p.name for p in folder.iterdir()) == ["registry.sqlite3"], "closing folds the WAL in"
    return folder / "registry.sqlite3", key


@pytest.fixture
def place(tmp_path: Path, template: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Place]:
    root = tmp_path / "work"
    root.mkdir()
    shutil.copy2(template[0], root / "registry.sqlite3")
    (root / "registry.sqlite3").chmod(0o600)
    (root / "home").mkdir(mode=0o700)
    here = Place(root, template[1])
    here.env = {
        "LINKKIT_HOME": str(root / "home"), "LINKKIT_MODE": "live", "LINKKIT_PUBLIC_URL": "https://shop.example/lk",
        "LINKKIT_DATABASE_URL": f"sqlite:///{root / 'registry.sqlite3'}", "LINKKIT_SECRET_KEY": template[1],
        "LINKKIT_CLIENT_KEY": "ck", "LINKKIT_CLIENT_SECRET": "cs", "LINKKIT_APP_KEY": "ak",
        "LINKKIT_APP_SECRET": "as", "LINKKIT_SERVICE_ID": "sid",
    }
    monkeypatch.chdir(root)
    monkeypatch.setattr(registry_database, "BUSY_TIMEOUT", 0.5)  # a locked registry answers in half a second
    try:
        yield here
    finally:
        for undo in reversed(here.cleanups):
            undo()


# --- set-ups ------------------------------------------------------------------------------------------------------

Setup = Callable[[Place], None]


def corrupt(p: Place) -> None:
    p.registry.write_bytes(os.urandom(8192))
    p.registry.chmod(0o600)


def newer_schema(p: Place) -> None:
    with sqlite3.connect(p.registry) as db:
        db.execute("UPDATE alembic_version SET version_num = '0999'")
    db.close()


def locked(p: Place) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time\n"
         "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "db.execute('PRAGMA locking_mode=EXCLUSIVE'); db.execute('BEGIN EXCLUSIVE')\n"
         "db.execute('SELECT count(*) FROM shops').fetchall()\n"
         "print('locked', flush=True); time.sleep(120)\n", str(p.registry)],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"

    def release() -> None:
        holder.kill()
        holder.wait(timeout=30)
        holder.stdout.close()  # type: ignore[union-attr]

    p.cleanups.append(release)


def wrong_key(p: Place) -> None:
    p.env["LINKKIT_SECRET_KEY"] = Fernet.generate_key().decode()


def env(**values: str) -> Setup:
    def setup(p: Place) -> None:
        p.env.update(values)
        for name, value in values.items():
            if value == "":
                del p.env[name]

    return setup


def config(text: str) -> Setup:
    def setup(p: Place) -> None:
        p.env["LINKKIT_CONFIG"] = str(p.write("linkkit.toml", text))

    return setup


def folder(name: str) -> Setup:
    return lambda p: (p.root / name).mkdir()


def read_only(name: str) -> Setup:
    def setup(p: Place) -> None:
        p.read_only_dir(name)

    return setup


def full_device(name: str) -> Setup:
    return lambda p: (p.root / name).symlink_to("/dev/full")


def existing(name: str) -> Setup:
    def setup(p: Place) -> None:
        p.write(name, "an earlier backup")

    return setup


def busy_port(p: Place) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    p.env["BUSY_PORT"] = str(sock.getsockname()[1])
    p.cleanups.append(sock.close)


def closed_sandbox(p: Place) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    p.env.update(LINKKIT_MODE="sandbox", LINKKIT_SANDBOX_URL=f"http://127.0.0.1:{port}")


def both(*setups: Setup) -> Setup:
    def setup(p: Place) -> None:
        for one in setups:
            one(p)

    return setup


def nothing(p: Place) -> None:
    return None


# --- the table ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    argv: tuple[str, ...]
    says: str  # a phrase the one line must contain (case-insensitive)
    setup: Setup = nothing
    code: int = 1


def case(argv: str, says: str, setup: Setup = nothing, code: int = 1) -> Case:
    return Case(tuple(argv.split()) if argv else (), says, setup, code)


USAGE = 2
CASES: dict[str, Case] = {
    # --- the command line itself (argparse; exit 2) -------------------------------------------------------------
    "no command": case("", "required: COMMAND", code=USAGE),
    "unknown command": case("stauts", "invalid choice: 'stauts'", code=USAGE),
    "unknown global option": case("--bogus status", "unrecognized arguments: --bogus", code=USAGE),
    "unknown status option": case("status --bogus", "unrecognized arguments: --bogus", code=USAGE),
    "status extra argument": case("status now", "unrecognized arguments: now", code=USAGE),
    "status --json=yes": case("status --json=yes", "ignored explicit argument", code=USAGE),
    "status shop not digits": case("status --shop maple", "'maple' is not a shop id", code=USAGE),
    "status empty shop": case("status --shop=", "'' is not a shop id", code=USAGE),
    "status bad role": case("status --role owner", "invalid choice: 'owner'", code=USAGE),
    "status role missing": case("status --role", "expected one argument", code=USAGE),
    "verify id not a number": case("verify abc", "'abc' is not a link id", code=USAGE),
    "verify negative id": case("verify -- -1", "-1 is not a link id", code=USAGE),
    "verify id zero": case("verify 0", "0 is not a link id", code=USAGE),
    "verify id 2**63": case("verify 9223372036854775808", "9223372036854775808 is not a link id", code=USAGE),
    "verify id huge": case("verify " + "9" * 40, "is not a link id", code=USAGE),
    "verify id decimal": case("verify 1.5", "'1.5' is not a link id", code=USAGE),
    "verify id hex": case("verify 0x10", "'0x10' is not a link id", code=USAGE),
    "verify workers zero": case("verify --all --workers 0", "0 is not a number of workers", code=USAGE),
    "verify workers word": case("verify --all --workers many", "'many' is not a number of workers", code=USAGE),
    "verify bad role": case("verify --all --role admin", "invalid choice: 'admin'", code=USAGE),
    "export no file": case("export", "required: output", code=USAGE),
    "export two files": case("export a.csv b.csv", "unrecognized arguments: b.csv", code=USAGE),
    "export shop not digits": case("export --shop x1 a.csv", "'x1' is not a shop id", code=USAGE),
    "backup no file": case("backup", "required: FILE", code=USAGE),
    "backup unknown option": case("backup b.db --overwrite", "unrecognized arguments: --overwrite", code=USAGE),
    "dashboard port zero": case("dashboard --port 0", "0 is not a port", code=USAGE),
    "dashboard port too big": case("dashboard --port 70000", "70000 is not a port", code=USAGE),
    "dashboard port word": case("dashboard --port http", "'http' is not a port", code=USAGE),
    "dashboard sandbox port negative": case("dashboard --sandbox-port=-1", "-1 is not a port", code=USAGE),
    "dashboard pool size negative": case("dashboard --pool-size=-1", "-1 is not a pool size", code=USAGE),
    "dashboard unknown option": case("dashboard --host 0.0.0.0", "unrecognized arguments: --host", code=USAGE),
    "sandbox port too big": case("sandbox --port 99999", "99999 is not a port", code=USAGE),
    "sandbox port word": case("sandbox --port x", "'x' is not a port", code=USAGE),
    "monitor unknown option": case("monitor --twice", "unrecognized arguments: --twice", code=USAGE),
    "bench unknown option": case("bench --fast", "unrecognized arguments: --fast", code=USAGE),
    "access nothing": case("access", "required: action, SHOP", code=USAGE),
    "access unknown action": case("access give 7494100000000000101 bob", "invalid choice: 'give'", code=USAGE),
    "access shop not digits": case("access grant x1 bob", "'x1' is not a shop id", code=USAGE),
    "access grant no user": case("access grant 7494100000000000101", "`grant` needs a USER", code=USAGE),
    "access revoke no user": case("access revoke 7494100000000000101", "`revoke` needs a USER", code=USAGE),
    "access list with user": case("access list 7494100000000000101 bob", "`list` takes no USER", code=USAGE),
    "access list --owner": case("access list 7494100000000000101 --owner", "--owner goes with grant", code=USAGE),
    "access unknown shop": case("access list 7494100000000009999", "not connected"),
    "access another owner's shop": case("access grant 7494100000000000101 mallory", "belongs to another owner"),
    # --- what the command cannot do (exit 1) -----------------------------------------------------------------------
    "verify nothing": case("verify", "Nothing to verify"),
    "verify ids and --all": case("verify 5 --all", "not both"),
    "verify --shop without --all": case("verify --shop 123", "add --all"),
    "verify unknown link": case("verify 5", "no link #5"),
    "verify largest id": case("verify 9223372036854775807", "no link #9223372036854775807"),
    "status unknown shop": case("status --shop 123", "Shop 123 is not connected"),
    "verify unknown shop": case("verify --all --shop 123", "Shop 123 is not connected"),
    "export unknown shop": case("export --shop 123 links.csv", "Shop 123 is not connected"),
    "export unknown extension": case("export links.txt", "unknown file type .txt"),
    "export no extension": case("export links", "unknown file type (none)"),
    "export to a folder": case("export out.csv", "it is a folder", folder("out.csv")),
    "export read-only folder csv": case("export ro/links.csv", "Cannot write", read_only("ro")),
    "export read-only folder xlsx": case("export ro/links.xlsx", "Cannot write", read_only("ro")),
    "export read-only folder parquet": case("export ro/links.parquet", "Cannot write", read_only("ro")),
    "export full device csv": case("export full.csv", "No space left", full_device("full.csv")),
    "export full device xlsx": case("export full.xlsx", "No space left", full_device("full.xlsx")),
    "export full device parquet": case("export full.parquet", "Cannot write", full_device("full.parquet")),
    "export missing folder": case("export no/such/links.csv", "does not exist"),
    "corrupt registry: status": case("status", "not a readable SQLite database", corrupt),
    "corrupt registry: verify": case("verify --all", "not a readable SQLite database", corrupt),
    "corrupt registry: export": case("export links.csv", "not a readable SQLite database", corrupt),
    "corrupt registry: backup": case("backup copy.sqlite3", "not a database", corrupt),
    "corrupt registry: monitor": case("monitor --once", "not a readable SQLite database", corrupt),
    "newer registry: status": case("status", "written by a newer linkkit", newer_schema),
    "newer registry: verify": case("verify 1", "written by a newer linkkit", newer_schema),
    "newer registry: export": case("export links.csv", "written by a newer linkkit", newer_schema),
    "locked registry: status": case("status", "locked by another process", locked),
    "locked registry: export": case("export links.xlsx", "locked by another process", locked),
    "locked registry: verify": case("verify --all", "locked by another process", locked),
    "locked registry: backup": case("backup copy.sqlite3", "locked", locked),
    "wrong key: status": case("status", "cannot decrypt this registry", wrong_key),
    "wrong key: verify": case("verify --all", "cannot decrypt this registry", wrong_key),
    "wrong key: export": case("export links.csv", "cannot decrypt this registry", wrong_key),
    "key not a key": case("status", "not a valid Fernet key", env(LINKKIT_SECRET_KEY="hunter2")),
    "registry folder missing": case("status", "does not exist",
                                    env(LINKKIT_DATABASE_URL="sqlite:////nonexistent-linkkit/registry.sqlite3")),
    "registry URL nonsense": case("status", "LINKKIT_DATABASE_URL must be", env(LINKKIT_DATABASE_URL="not a url")),
    "registry driver unknown": case("status", "LINKKIT_DATABASE_URL must be",
                                    env(LINKKIT_DATABASE_URL=f"nosuchdb://u:{PG_PASSWORD}@h/x")),
    "postgres unreachable": case("status", "unreachable",
                                 env(LINKKIT_DATABASE_URL=f"postgresql+psycopg://linkkit:{PG_PASSWORD}@127.0.0.1:1/x")),
    "backup postgres unreachable": case("backup copy.dump", "pg_dump could not back up", env(
        LINKKIT_DATABASE_URL=f"postgresql+psycopg://linkkit:{PG_PASSWORD}@127.0.0.1:1/x")),
    "toml syntax error": case("status", "not valid TOML", config("[linkkit\nmode = 'live'\n")),
    "toml wrong type (timeout)": case("status", "timeout must be", config("[linkkit]\ntimeout = 'soon'\n")),
    "toml wrong type (mode)": case("status", "mode must be", config("[linkkit]\nmode = 3\n")),
    "toml not a table": case("status", "[linkkit] must be a table", config("linkkit = 5\n")),
    "toml unknown setting": case("status", "Unknown setting(s): colour", config("[linkkit]\ncolour = 'blue'\n")),
    "toml dashboard wrong type": case("dashboard", "port must be a int", config("[dashboard]\nport = 'x'\n")),
    "toml dashboard unknown key": case("dashboard", "unknown [dashboard] key(s): prot",
                                       config("[dashboard]\nprot = 1\n")),
    "toml unreadable": case("status", "linkkit.toml", both(config("[linkkit]\n"),
                                                          lambda p: (p.root / "linkkit.toml").write_bytes(b"\xff\xfe"))),
    "log level nonsense": case("status", "LINKKIT_LOG_LEVEL=nonsense", env(LINKKIT_LOG_LEVEL="nonsense")),
    "mode nonsense": case("status", "mode must be 'sandbox' or 'live'", env(LINKKIT_MODE="staging")),
    "pkce nonsense": case("status", "pkce_encoding must be", env(LINKKIT_PKCE_ENCODING="plain")),
    "live over plain http": case("status", "must be https://", env(LINKKIT_PUBLIC_URL="http://shop.example")),
    "live without credentials": case("verify --all", "needs your TikTok app credentials",
                                     env(LINKKIT_CLIENT_KEY="", LINKKIT_APP_SECRET="")),
    "sandbox not running": case("status", "not answering", closed_sandbox),
    "dashboard notebooks missing": case("dashboard --notebooks nowhere", "No notebooks folder"),
    "dashboard port in use": case("dashboard --no-sandbox --port {BUSY_PORT}", "already in use", busy_port),
    "sandbox port in use": case("sandbox --port {BUSY_PORT}", "Address already in use", busy_port),
    "monitor listen nonsense": case("monitor --listen nonsense", "--listen needs HOST:PORT"),
    "backup over an existing file": case("backup copy.sqlite3", "already exists", existing("copy.sqlite3")),
    "backup to a folder": case("backup out", "is a folder", folder("out")),
    "backup missing folder": case("backup no/such/copy.sqlite3", "does not exist"),
    "backup read-only folder": case("backup ro/copy.sqlite3", "Cannot write", read_only("ro")),
    "backup missing registry": case("backup copy.sqlite3", "No registry at",
                                    env(LINKKIT_DATABASE_URL="sqlite:///missing.sqlite3")),
}

#: Only as a subprocess: tornado leaves the socket of a failed bind to the garbage collector (a ResourceWarning,
#: an error under this suite's filterwarnings); the process exits anyway.
SUBPROCESS_ONLY = ["sandbox port in use"]
#: Run as a subprocess of the installed ``linkkit`` script too: the real entry point.
SUBPROCESS = [*SUBPROCESS_ONLY, "verify id not a number", "corrupt registry: status", "export full device csv", "wrong key: export",
              "toml syntax error", "log level nonsense", "backup over an existing file", "sandbox not running"]


def _argv(c: Case, p: Place) -> list[str]:
    return [arg.format(**p.env) for arg in c.argv]


def _one_line(err: str, c: Case) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{err}"
    assert "Traceback" not in err
    assert c.says.lower() in lines[0].lower(), lines[0]
    assert PG_PASSWORD not in err


def test_the_table_covers_every_subcommand_with_at_least_64_inputs() -> None:
    from linkkit.cli import _parser

    commands = set(next(a for a in _parser()._actions if a.dest == "command").choices)  # type: ignore[union-attr]
    covered = {c.argv[0] for c in CASES.values() if c.argv and not c.argv[0].startswith("-")}
    assert commands - covered == set()
    assert len(CASES) >= 64


@pytest.mark.parametrize("name", [name for name in CASES if name not in SUBPROCESS_ONLY])
def test_a_bad_input_gets_one_line_and_leaves_nothing_behind(name: str, place: Place,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    c = CASES[name]
    c.setup(place)
    for key, value in place.env.items():
        monkeypatch.setenv(key, value)
    before = place.snapshot()
    try:
        code = main(_argv(c, place))
    except SystemExit as exit_info:  # argparse's usage errors
        code = exit_info.code
    err = capsys.readouterr().err
    assert code == c.code, f"exit status {code}:\n{err}"
    _one_line(err, c)
    assert place.snapshot() == before, "the command changed or left files"


@pytest.mark.parametrize("name", SUBPROCESS)
def test_the_installed_command_answers_the_same(name: str, place: Place) -> None:
    c = CASES[name]
    c.setup(place)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LINKKIT_")}
    environment.update(place.env)
    before = place.snapshot()
    done = subprocess.run([str(LINKKIT), *_argv(c, place)], env=environment, cwd=place.root, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == c.code, done.stderr
    _one_line(done.stderr, c)
    assert place.snapshot() == before


@pytest.mark.parametrize("name", ["corrupt registry: status", "export full device csv", "wrong key: verify"])
def test_debug_shows_the_traceback(name: str, place: Place, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    c = CASES[name]
    c.setup(place)
    for key, value in place.env.items():
        monkeypatch.setenv(key, value)
    code = main(["--debug", *_argv(c, place)])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback (most recent call last)" in err
    assert c.says.lower() in err.strip().splitlines()[-1].lower()
