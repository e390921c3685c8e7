"""Real servers and workers for the fault tests, each private to its test and stopped even when it fails.

A private redis-server (never the shared one on 6379: other sessions use it), Celery workers that a test can
SIGKILL, the app's broker pointed at one of them for the test's duration.
"""
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from ce_portal.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, *, timeout: float, what: str, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"not within {timeout} s: {what}")


def stop(process: subprocess.Popen, *, sig=signal.SIGTERM, timeout: float = 20) -> None:
    """Stop a process started with start_new_session=True, and all its children, for sure."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()


class PrivateRedis:
    """redis-server on a free port, without persistence; stop() and start() again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no"], stdout=subprocess.DEVNULL, start_new_session=True)
        wait_until(self._answers, timeout=10, what=f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        if self.process is not None:
            stop(self.process)
            self.process = None


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def filesystem_transport_options(folder: Path) -> dict:
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {"data_folder_in": str(folder / "queue"), "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"), "control_folder": str(folder / "control"),
            "store_processed": False}


@contextmanager
def app_broker(url: str, transport_options: dict):
    """This process's Celery app publishes to `url` meanwhile (its connection pools rebuilt on both ends)."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.broker_transport_options

    def fresh_pools():
        # Dropped, not closed: kombu keeps one pool per broker URL for the whole process, and closing it would
        # leave the other tests' broker (the same URL once restored) with a closed pool.
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    fresh_pools()
    conf.broker_url, conf.broker_transport_options = url, transport_options
    try:
        yield
    finally:
        fresh_pools()
        conf.broker_url, conf.broker_transport_options = saved


def worker_env(*, redis_url: str = "", filesystem_dir: Path | None = None) -> dict:
    """A worker's environment: the test database and media folder, and Redis or the filesystem broker."""
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": redis_url, "CONN_MAX_AGE": "0",
           "CELERY_TASK_ALWAYS_EAGER": "false", "MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    if filesystem_dir is not None:
        env["CELERY_FILESYSTEM_DIR"] = str(filesystem_dir)
    return env


def start_worker(env: dict, queues: tuple[str, ...] = ()) -> subprocess.Popen:
    """A worker with one pool process, on the given queues (all of CELERY_TASK_QUEUES when none)."""
    only = ["-Q", ",".join(queues)] if queues else []
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "ce_portal", "worker", "-P", "prefork", "-c", "1", *only,
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
        cwd=ROOT, env=env, start_new_session=True,
    )


PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _postgres_reachable_folder() -> Path | None:
    folder = ROOT / "var" / "test-postgres"
    folder.mkdir(parents=True, exist_ok=True)
    reachable = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(folder)]).returncode == 0
    return folder if reachable else None


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own in a folder under var/ (or the system's temporary folder when
    the postgres user cannot reach var/), run as the postgres user (the server refuses to run as root);
    stop() and start() on the same port. `standby_of` makes a streaming replica of another one."""

    def __init__(self, *, primary: "PrivatePostgres | None" = None, server_settings: tuple[str, ...] = ()):
        import pwd
        import tempfile

        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="ce_portal_pg_", dir=_postgres_reachable_folder()))
        owner = pwd.getpwnam("postgres")
        os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        self.data = self.folder / "data"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/ce_portal"
        self.server_settings = ("fsync=off", *server_settings)
        if primary is None:
            self._as_postgres([PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync",
                               "-E", "UTF8", "--locale", "C.UTF-8"])
        else:
            # A copy of the running primary that stays in recovery and streams its WAL (-R writes
            # primary_conninfo and standby.signal); initdb's pg_hba.conf lets 127.0.0.1 replicate.
            self._as_postgres([PG_BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", primary.port, "-U", "postgres",
                               "-D", self.data, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"])

    @classmethod
    def standby_of(cls, primary: "PrivatePostgres", *, server_settings: tuple[str, ...] = ()) -> "PrivatePostgres":
        return cls(primary=primary, server_settings=server_settings)

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def sql(self, statement: str) -> str:
        """Run one statement on the cluster's ce_portal database; its output, unaligned."""
        return subprocess.run(["psql", "-qAtX", "-v", "ON_ERROR_STOP=1", "-d", self.url, "-c", statement],
                              check=True, capture_output=True, text=True, timeout=30).stdout.strip()

    def _as_postgres(self, command, **kwargs):
        return subprocess.run(["runuser", "-u", "postgres", "--", *map(str, command)], check=True,
                              stdout=subprocess.DEVNULL, cwd=self.folder, timeout=60, **kwargs)

    def _pg_ctl(self, *args):
        self._as_postgres([PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "30",
                           *args])

    def start(self):
        options = " ".join(f"-c {setting}" for setting in self.server_settings)
        self._pg_ctl("-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 {options}", "start")

    def stop(self, mode="fast"):
        self._pg_ctl("-m", mode, "stop")

    def restart(self):
        self._pg_ctl("-m", "fast", "restart")

    def remove(self):
        import shutil

        if (self.data / "postmaster.pid").exists():
            try:
                self.stop(mode="immediate")
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)

    def copy_of(self, source_url: str):
        """A database `ce_portal` holding what the source database holds now."""
        subprocess.run(["psql", "-q", "-d", self.url.rsplit("/", 1)[0] + "/postgres", "-c",
                        "CREATE DATABASE ce_portal"], check=True, stdout=subprocess.DEVNULL, timeout=30)
        dump = subprocess.run(["pg_dump", "--no-owner", "--no-privileges", "-d", source_url], check=True,
                              capture_output=True, timeout=60).stdout
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url], input=dump, check=True,
                       stdout=subprocess.DEVNULL, timeout=60)


class Portal:
    """HTTP to a portal process, as one signed-in user."""

    def __init__(self, port: int, session: str):
        self.port, self.session = port, session

    def get(self, path: str) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            connection.request("GET", path, headers={"Cookie": f"sessionid={self.session}"})
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            connection.close()


@contextmanager
def serving_portal(env: dict, session: str, *, ready_path: str = "/me/", workers: int = 1):
    """gunicorn (`workers` processes) with the test's environment plus `env`, once it answers `ready_path` signed in."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:ce_portal.server", "ce_portal.wsgi", "-b", f"127.0.0.1:{port}",
         "-w", str(workers), "--timeout", "60"], cwd=ROOT,
        env={**worker_env(), "CONN_MAX_AGE": "600", "DEBUG": "false", **env},
        start_new_session=True, stderr=subprocess.DEVNULL)
    try:
        portal = Portal(port, session)

        def answers():
            try:
                return portal.get(ready_path)[0] == 200
            except OSError:
                return False

        wait_until(answers, timeout=30, what="gunicorn serves the signed-in page", every=0.2)
        yield portal
    finally:
        stop(server)


class PrivatePgBouncer:
    """PgBouncer in transaction mode in front of a private cluster, with few server connections so that
    consecutive transactions of one client land on different ones; run as the postgres user (it refuses root)."""

    def __init__(self, cluster: "PrivatePostgres", *, pool_size: int = 2):
        self.port = free_port()
        self.folder = cluster.folder
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/ce_portal"
        config = self.folder / "pgbouncer.ini"
        (self.folder / "users.txt").write_text('"postgres" ""\n')
        config.write_text(
            "[databases]\n"
            f"ce_portal = host=127.0.0.1 port={cluster.port} dbname=ce_portal\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.folder / 'users.txt'}\n"
            f"pool_mode = transaction\ndefault_pool_size = {pool_size}\nmax_client_conn = 100\n"
            "server_round_robin = 1\nignore_startup_parameters = extra_float_digits,options\n"
            f"logfile = {self.folder / 'pgbouncer.log'}\n"
        )
        self.process = subprocess.Popen(["runuser", "-u", "postgres", "--", "pgbouncer", str(config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until(self._answers, timeout=15, what=f"pgbouncer on port {self.port}")

    def _answers(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def stop(self):
        stop(self.process)
