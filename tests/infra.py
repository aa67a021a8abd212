"""Throwaway services for the tests: an S3-compatible endpoint (moto's server) and PostgreSQL.

Both bind 127.0.0.1 on a free port and live for one test session (one per xdist worker).

* S3: ``moto.server.ThreadedMotoServer`` in this process. An IAM user with an ``s3:*`` policy is
  created first, then moto's IAM authentication is switched on, so requests signed with other
  keys fail as they would on AWS (that is how the wrong-credentials test works).
* PostgreSQL: Debian's server binaries (``/usr/lib/postgresql/*/bin``, or ``initdb`` on PATH).
  When missing and we run as root, ``apt-get install -y postgresql`` installs them, unless
  ``FORECASTHUB_TEST_POSTGRES=off``. ``initdb`` refuses to run as root, so the cluster runs as the
  ``postgres`` user (or ``nobody``) in a temp dir with trust authentication, ``fsync=off`` and a
  Unix socket in that dir. ``FORECASTHUB_TEST_POSTGRES=postgresql://user@host:port/db`` uses an
  existing server instead (e.g. a CI service container); its user must be allowed to create
  databases.

Nothing here is imported by forecasthub itself.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

S3_USER = "forecasthub-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- S3 (moto server mode) -----------------------------------------------------------------------
@dataclass
class S3Server:
    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    region: str = "us-east-1"
    _server: object = None

    def client(self, **overrides: str):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.endpoint_url, region_name=self.region,
            aws_access_key_id=overrides.get("key", self.access_key_id),
            aws_secret_access_key=overrides.get("secret", self.secret_access_key),
        )

    def create_bucket(self, prefix: str = "fh") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def env(self) -> dict[str, str]:
        """forecasthub settings that point at this endpoint with valid credentials."""
        return {
            "FORECASTHUB_S3_ENDPOINT_URL": self.endpoint_url,
            "FORECASTHUB_S3_REGION": self.region,
            "FORECASTHUB_S3_ACCESS_KEY_ID": self.access_key_id,
            "FORECASTHUB_S3_SECRET_ACCESS_KEY": self.secret_access_key,
        }

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()  # type: ignore[attr-defined]
            self._server = None


def start_s3() -> S3Server:
    """moto's S3 on 127.0.0.1:<free port> with IAM authentication on. ImportError without moto."""
    import logging

    import boto3
    import requests
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per request

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
    iam.create_user(UserName=S3_USER)
    iam.put_user_policy(UserName=S3_USER, PolicyName="s3-all", PolicyDocument=(
        '{"Version": "2012-10-17", "Statement": '
        '[{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'))
    key = iam.create_access_key(UserName=S3_USER)["AccessKey"]
    # From now on every request must be signed by a known key (moto checks the signature).
    requests.post(f"{endpoint}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()
    return S3Server(endpoint, key["AccessKeyId"], key["SecretAccessKey"], _server=server)


# -- PostgreSQL --------------------------------------------------------------------------------
class PostgresUnavailable(Exception):
    """Why PostgreSQL tests cannot run here (the message is the skip reason)."""


@dataclass
class Postgres:
    """A server to create test databases on: ``admin_url`` reaches its ``postgres`` database."""

    admin_url: str
    data_dir: Path | None = None
    bin_dir: Path | None = None
    run_as: str | None = None
    _created: list[str] = field(default_factory=list)

    def url(self, database: str) -> str:
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{database}"

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        """A new empty database (optionally a copy of ``template``); returns its URL."""
        import psycopg

        name = name or f"fh_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(_libpq(self.admin_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        self._created.append(name)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(_libpq(self.admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.data_dir is None:  # an external server: only drop what we created
            for name in self._created:
                with contextlib.suppress(Exception):  # best effort on teardown
                    self.drop_database(name)
            return
        _run([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w",
              "stop"], self.run_as, check=False)
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)
        self.data_dir = None


def _libpq(url: str) -> str:
    """SQLAlchemy URL -> libpq URL (drop the +driver)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def find_pg_bin() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def install_postgres() -> None:
    """apt-get install postgresql (root only); raises PostgresUnavailable on failure."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise PostgresUnavailable("PostgreSQL server binaries not found (install Debian's "
                                  "`postgresql` package, or set FORECASTHUB_TEST_POSTGRES to a URL)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"]
    if subprocess.run(cmd, env=env, capture_output=True, timeout=600, check=False).returncode:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=600, check=False)
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            raise PostgresUnavailable(f"apt-get install postgresql failed: {done.stderr[-500:]}")


def _run(cmd: list[str], user: str | None, check: bool = True,
         timeout: float = 120) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, user=user, capture_output=True, text=True, timeout=timeout,
                          cwd="/", env={**os.environ, "LC_ALL": "C", "LANG": "C"}, check=False)
    if check and done.returncode != 0:
        raise PostgresUnavailable(f"{Path(cmd[0]).name} failed: {(done.stderr or done.stdout)[-800:]}")
    return done


def _service_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise PostgresUnavailable("running as root and there is no `postgres` or `nobody` user "
                              "to run initdb as")


def start_postgres() -> Postgres:
    """A PostgreSQL to test on, per FORECASTHUB_TEST_POSTGRES; raises PostgresUnavailable."""
    choice = os.environ.get("FORECASTHUB_TEST_POSTGRES", "").strip()
    if choice.lower() in ("off", "0", "no", "false"):
        raise PostgresUnavailable("FORECASTHUB_TEST_POSTGRES=off")
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise PostgresUnavailable("psycopg is not installed (pip install 'forecasthub[postgres]')") from exc
    if choice.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        url = "postgresql+psycopg://" + choice.split("://", 1)[1]
        return Postgres(admin_url=url)
    bin_dir = find_pg_bin()
    if bin_dir is None:
        install_postgres()
        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise PostgresUnavailable("PostgreSQL installed but initdb not found")
    user = _service_user()
    base = Path(tempfile.mkdtemp(prefix="forecasthub-pg-"))
    data = base / "data"
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    try:
        _run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
              "-E", "UTF8", "--no-sync"], user)
        port = free_port()
        options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300 "
                   "-c shared_buffers=32MB")
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"),
              "-o", options, "-w", "-t", "60", "start"], user)
    except (PostgresUnavailable, OSError, subprocess.SubprocessError) as exc:
        log = base / "server.log"
        detail = log.read_text()[-800:] if log.exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        raise PostgresUnavailable(f"could not start a PostgreSQL cluster: {exc} {detail}") from exc
    return Postgres(admin_url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
                    data_dir=data, bin_dir=bin_dir, run_as=user)
