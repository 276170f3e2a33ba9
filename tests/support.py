"""What the tests share: the checkout's paths, a private project environment, the real refresh
and read-only queries on what it wrote. (Fixtures are in conftest.py.)"""

from __future__ import annotations

import os
import re
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb

from pipeline import tiers
from pipeline.contract import SOURCES
from pipeline.metadata import markdown_rows  # noqa: F401  (the tests read UI tables with it)
from pipeline.defs.jobs import REFRESH_JOB

# The checkout the tests run in (the package may be installed elsewhere).
PROJECT_ROOT = Path(__file__).resolve().parents[1]

SAMPLE_RAW_DIR = PROJECT_ROOT / "data" / "raw"
TRUTH_PATH = PROJECT_ROOT / "tests" / "fixtures" / "sample_truth.json"


@contextmanager
def project_environment(raw_dir: Path, work_dir: Path) -> Iterator[dict[str, Path]]:
    """Point the project's settings at `raw_dir` and a private build and warehouse folder."""
    paths = {
        "RAW_DATA_DIR": raw_dir,
        "WAREHOUSE_PATH": work_dir / "warehouse" / "cluster_programme.duckdb",
        "BUILD_DIR": work_dir / "build",
        "PII_KEY_FILE": work_dir / "secrets" / "pii_hash.key",
        "REPORTS_DIR": work_dir / "reports",
    }
    with temporary_environment({name: os.fspath(path) for name, path in paths.items()}):
        yield paths


@contextmanager
def temporary_environment(values: dict[str, str]) -> Iterator[None]:
    """Set these environment variables, and put back what they were after."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


POSTGRES_STORAGE = PROJECT_ROOT / "deploy" / "dagster-postgres.storage.yaml"


def dagster_cli_environment(
    tmp_path: Path, postgres: "PostgresServer | None" = None
) -> tuple[dict[str, str], dict[str, Path]]:
    """The environment of `dagster` CLI processes on a copy of the committed sample: a
    DAGSTER_HOME with the project's dagster.yaml (on `postgres`, with the storage block of
    deploy/ before it, as `make instance-postgres` writes it), and every folder of the project's
    settings under `tmp_path`. Returns the environment and its paths."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    instance = (PROJECT_ROOT / "dagster.yaml").read_text(encoding="utf-8")
    if postgres is not None:
        instance = POSTGRES_STORAGE.read_text(encoding="utf-8") + instance
    (home / "dagster.yaml").write_text(instance, encoding="utf-8")
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    paths = {
        "DAGSTER_HOME": home,
        "RAW_DATA_DIR": raw,
        "WAREHOUSE_PATH": tmp_path / "warehouse" / "cluster_programme.duckdb",
        "BUILD_DIR": tmp_path / "build",
        "PII_KEY_FILE": tmp_path / "secrets" / "pii_hash.key",
        "REPORTS_DIR": tmp_path / "reports",
    }
    env = {
        **os.environ,
        **{name: os.fspath(path) for name, path in paths.items()},
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
    }
    if postgres is not None:
        database = f"dagster_{tmp_path.name}".replace("-", "_").lower()
        postgres.create_database(database)
        env |= {
            "DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(postgres.port), "DAGSTER_PG_DB": database,
            "DAGSTER_PG_USER": postgres.user, "DAGSTER_PG_PASSWORD": "trusted-locally",
        }
    return env, paths


def copy_build(source: Path, target: Path) -> None:
    """A copy of a build: its database and the analysts' tier beside it."""
    shutil.copyfile(source, target)
    shutil.copyfile(tiers.tier_file(source), tiers.tier_file(target))


def query_read_only(database: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a query on a warehouse file opened read-only, as an analyst opens it."""
    connection = duckdb.connect(os.fspath(database), read_only=True)
    try:
        return connection.execute(sql, params or []).fetchall()
    finally:
        connection.close()


def fiscal_year_rollup(database: Path) -> list[tuple]:
    return query_read_only(database, "SELECT * FROM marts.fiscal_year_rollup ORDER BY fiscal_year")


def run_refresh(instance: dg.DagsterInstance | None = None) -> dg.ExecuteInProcessResult:
    from pipeline.definitions import defs

    job = defs.resolve_job_def(REFRESH_JOB)
    return job.execute_in_process(instance=instance or dg.DagsterInstance.ephemeral(), raise_on_error=False)


@dataclass
class Materialised:
    result: dg.ExecuteInProcessResult
    warehouse_path: Path
    build_database: Path

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        """Rows from the analysts' warehouse."""
        return query_read_only(self.warehouse_path, sql, params)

    def query_build(self, sql: str, params: list | None = None) -> list[tuple]:
        """Rows from the build database (landing, staging, build state: the restricted tier),
        with the analysts' tier as the build writes it attached, as the pipeline's steps see them."""
        connection = tiers.connect_build(self.build_database)
        try:
            return connection.execute(sql, params or []).fetchall()
        finally:
            connection.close()

    def frame(self, sql: str, params: list | None = None):
        connection = duckdb.connect(os.fspath(self.warehouse_path), read_only=True)
        try:
            return connection.sql(sql, params=params or None).pl()
        finally:
            connection.close()


SOURCE_NAMES = tuple(source.name for source in SOURCES)
# What warehouse_state compares: every core and mart table by checksum.
CHECKSUM_TABLES = (
    "core.dim_cluster", "core.dim_enterprise", "core.fct_registration", "core.fct_spending", "core.fct_outcome",
    "marts.cluster_outcomes", "marts.fiscal_year_rollup", "marts.province_outcomes", "marts.spending_by_channel",
)

def warehouse_state(path: Path) -> dict:
    """What must equal a clean refresh: table checksums, row counts, quarantine and manifest,
    from the warehouse at `path` and the build database of the same work folder."""
    # The layout of project_environment: <work>/warehouse/<file>, <work>/build/<file>.
    build = tiers.connect_build(path.parent.parent / "build" / "cluster_programme.build.duckdb")
    try:
        state = {}
        for source in SOURCE_NAMES:
            state[f"landing.{source}"] = build.execute(f"SELECT count(*) FROM landing.{source}").fetchall()[0][0]
            state[f"staging.{source}"] = build.execute(f"SELECT count(*) FROM staging.{source}").fetchall()[0][0]
    finally:
        build.close()
    connection = duckdb.connect(os.fspath(path), read_only=True)
    try:
        def one(sql):
            return connection.execute(sql).fetchall()[0][0]

        state |= {
            table: one(f"SELECT md5(string_agg(md5(t::VARCHAR), ',' ORDER BY md5(t::VARCHAR))) FROM {table} t")
            for table in CHECKSUM_TABLES
        }
        state["audit.quarantine"] = one(
            "SELECT md5(string_agg(concat_ws('|', source_file, row_number, reason_codes::VARCHAR, duplicate_of), ','"
            " ORDER BY source_file, row_number)) FROM audit.quarantine"
        )
        # A removed file stays listed as `removed` after an incremental refresh; a refresh from
        # scratch never saw it. Everything else must match.
        state["audit.file_manifest"] = connection.execute(
            "SELECT source_file, status, reason_code, rows_read, rows_staged, rows_quarantined, reconciled "
            "FROM audit.file_manifest WHERE status <> 'removed' ORDER BY source_file"
        ).fetchall()
        return state
    finally:
        connection.close()


# --- real services, started and stopped by the tests -------------------------------------------

POSTGRES_BIN = max(Path("/usr/lib/postgresql").glob("*/bin"), default=Path("/usr/lib/postgresql/15/bin"))
SERVICE_USER = "postgres"  # initdb refuses root; Debian's postgresql package creates this user


@dataclass
class PostgresServer:
    """A PostgreSQL server in a temporary folder, listening on a unix socket there and on
    127.0.0.1 (for clients that take only a host name, as Dagster's storage does)."""

    socket_dir: Path
    port: int
    user: str = SERVICE_USER

    def create_database(self, name: str) -> str:
        """A new, empty database; its libpq connection string (through the socket)."""
        subprocess.run(
            [POSTGRES_BIN / "createdb", "-h", self.socket_dir, "-p", str(self.port), "-U", self.user, name],
            check=True, capture_output=True,
        )
        return self.connection_string(name)

    def connection_string(self, name: str) -> str:
        return f"dbname={name} host={self.socket_dir} port={self.port} user={self.user}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    folder = Path(tempfile.mkdtemp(prefix="pg-"))
    as_service_user = []
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVICE_USER)
        os.chown(folder, account.pw_uid, account.pw_gid)
        as_service_user = ["runuser", "-u", SERVICE_USER, "--"]
    data, port = folder / "data", free_port()
    try:
        subprocess.run(
            [*as_service_user, POSTGRES_BIN / "initdb", "-D", data, "-U", SERVICE_USER, "--auth=trust",
             "--encoding=UTF8", "--locale=C.UTF-8"],
            check=True, capture_output=True,
        )
        subprocess.run(
            [*as_service_user, POSTGRES_BIN / "pg_ctl", "-D", data, "-l", folder / "server.log", "-w", "-t", "60",
             "-o", f"-c listen_addresses='127.0.0.1' -c port={port} -c unix_socket_directories='{folder}' -c fsync=off",
             "start"],
            check=True, capture_output=True,
        )
        yield PostgresServer(folder, port)
    finally:
        subprocess.run([*as_service_user, POSTGRES_BIN / "pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class S3Server:
    """moto's S3 server on 127.0.0.1, and the environment that points clients at it."""

    endpoint: str

    @property
    def environment(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": self.endpoint,
        }

    def create_bucket(self, name: str) -> str:
        import boto3

        boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
                     region_name="us-east-1").create_bucket(Bucket=name)
        return f"s3://{name}/"


@contextmanager
def s3_server() -> Iterator[S3Server]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield S3Server(f"http://{host}:{port}")
    finally:
        server.stop()


# The offices' feedback workbooks (pipeline/feedback.py), read back with openpyxl.
_OFFICE_IN_NAME = re.compile(r"_(hq|ipc\d+)_")


def expected_sender(source_file: str) -> str:
    """The contract's senders: finance sends the ledgers, an office the files named after it,
    headquarters the plans and surveys."""
    if source_file.startswith("spending/"):
        return "finance"
    found = _OFFICE_IN_NAME.search(Path(source_file).name)
    return found.group(1) if found else "hq"


def sheet_rows(path: Path, sheet: str) -> list[dict]:
    """The sheet's table (header on row 2, under a one-line note) as dicts."""
    import openpyxl  # a test extra, and a second reader beside the xlsxwriter that wrote it

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(book[sheet].iter_rows(min_row=2, values_only=True))
    finally:
        book.close()
    header, *body = rows
    return [dict(zip(header, row)) for row in body if any(value is not None for value in row)]


class WorkbookRows:
    """The rows of one sheet of every sender's workbook in `folder`, by the raw file and row
    number as the office sees them; each workbook is read once."""

    def __init__(self, folder: Path, sheet: str) -> None:
        self.folder, self.sheet = folder, sheet
        self._by_sender: dict[str, dict[tuple[str, int], dict]] = {}

    def row(self, source_file: str, row_number: int) -> dict | None:
        sender = expected_sender(source_file)
        if sender not in self._by_sender:
            rows = sheet_rows(self.folder / f"feedback_{sender}.xlsx", self.sheet)
            self._by_sender[sender] = {(row["ไฟล์ File"], row["แถว Row"]): row for row in rows}
        return self._by_sender[sender].get((Path(source_file).name, row_number))
