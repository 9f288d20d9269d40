"""Raw tickets: the same report whether the data come pre-aggregated, as one row per ticket in Parquet or
CSV, or as a ticket table in PostgreSQL (aggregated there; only aggregate rows cross the connection).

Reduced scale (0.5 % of the 2023 and 2022 samples, about 110 000 and 60 000 tickets) keeps the test fast; the
full 21.4 million tickets are bench/scale.py's.  The reference is the annual report rendered from the reduced
pre-aggregated records that the tickets were expanded from.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest

from reportgen.errors import ConfigError
from reportgen.pipeline import build
from reportgen.publish import render_to_pdf
from reportgen.tickets import aggregate_sql, for_dialect

from .conftest import ROOT, pdftotext

sys.path.insert(0, str(ROOT / "bench"))
import tickets as ticketgen  # noqa: E402  (bench/tickets.py: the generator lives with the benchmarks)

SCALE = 0.005


@pytest.fixture(scope="module")
def scaled(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("tickets")
    a = ticketgen.write(2023, SCALE, out, csv=True)
    b = ticketgen.write(2022, SCALE, out)
    return {"records-2023": a["records"], "records-2022": b["records"], "tickets-2023": a["tickets"],
            "tickets-2022": b["tickets"], "csv-2023": a["csv"]}


def config_with(tmp: Path, sources: str) -> Path:
    """A copy of config/ whose annual-2023 period file reads ``sources`` (YAML lines under records:)."""
    dst = tmp / "config"
    shutil.copytree(ROOT / "config", dst)
    p = dst / "beijing" / "periods" / "annual-2023.yaml"
    text = p.read_text(encoding="utf-8")
    old = ("    - path: ../../../data/generated/records-2023.parquet\n"
           "    - path: ../../../data/generated/records-2022.parquet\n")
    assert old in text
    p.write_text(text.replace(old, sources), encoding="utf-8")
    return dst / "beijing"


def render_text(config: Path, out: Path):
    built = build("annual", "2023", config_dir=config)
    render_to_pdf(built, out)
    return built, pdftotext(out)


@pytest.fixture(scope="module")
def reference(scaled, tmp_path_factory) -> str:
    tmp = tmp_path_factory.mktemp("ref")
    cfg = config_with(tmp, f"    - path: {scaled['records-2023']}\n    - path: {scaled['records-2022']}\n")
    return render_text(cfg, tmp / "ref.pdf")[1]


def test_tickets_are_one_row_each_and_sum_to_the_records(scaled):
    con = duckdb.connect()
    n = con.execute(f"SELECT count(*), count(DISTINCT ticket_id) FROM '{scaled['tickets-2023']}'").fetchone()
    total = con.execute(f"SELECT sum(count) FROM '{scaled['records-2023']}'").fetchone()[0]
    assert n[0] == n[1] == total > 50_000
    # every ticket lies in its record's half-month bucket
    bad = con.execute(f"SELECT count(*) FROM '{scaled['tickets-2023']}' WHERE "
                      "strftime(received, '%Y') NOT IN ('2022', '2023')").fetchone()[0]
    assert bad == 0


def test_parquet_tickets_give_the_same_report(scaled, reference, tmp_path):
    cfg = config_with(tmp_path, f"    - path: {scaled['tickets-2023']}\n    - path: {scaled['tickets-2022']}\n")
    built, text = render_text(cfg, tmp_path / "t.pdf")
    assert text == reference
    assert "2023年" in text and len(text) > 15_000      # a whole report, not an error page


def test_csv_tickets_give_the_same_report(scaled, reference, tmp_path):
    cfg = config_with(tmp_path, f"    - path: {scaled['csv-2023']}\n    - path: {scaled['tickets-2022']}\n")
    assert render_text(cfg, tmp_path / "c.pdf")[1] == reference


# --- PostgreSQL: a real server from Debian's packages, on a private socket ------------------------

def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL cluster (initdb + pg_ctl) listening only on a Unix socket; yields its URL."""
    pg = _pg_bin()
    if pg is None:
        pytest.fail("PostgreSQL server binaries are missing: scripts/setup.sh installs Debian's postgresql")
    base = Path(tempfile.mkdtemp(prefix="reportgen-pg-", dir="/tmp"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    as_root = os.geteuid() == 0
    run = (lambda *cmd: subprocess.run(["runuser", "-u", "postgres", "--", *map(str, cmd)], check=True,
                                       capture_output=True)) if as_root else \
          (lambda *cmd: subprocess.run(list(map(str, cmd)), check=True, capture_output=True))
    if as_root:
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
        os.chmod(base, 0o755)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run(pg / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "--encoding=UTF8", "--locale=C")
    run(pg / "pg_ctl", "-D", data, "-w", "-l", base / "log", "-o",
        f"-p {port} -k {sock} -c listen_addresses='' -c fsync=off", "start")
    url = f"postgresql://postgres@/postgres?host={sock}&port={port}"
    try:
        yield url
    finally:
        run(pg / "pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def pg_tickets(postgres, scaled):
    """Both years' tickets in one PostgreSQL table, loaded with COPY."""
    import psycopg

    con = duckdb.connect()
    with psycopg.connect(postgres, autocommit=True) as pg:
        pg.execute("CREATE TABLE tickets (ticket_id text PRIMARY KEY, received timestamp NOT NULL, channel text, "
                   "disposition text, category_l1 text, category_l2 text, district text, street text, "
                   "handler_level text, handler text, topic text)")
        n = 0
        with pg.cursor().copy("COPY tickets FROM STDIN") as copy:
            for year in ("2023", "2022"):
                rows = con.execute(f"SELECT ticket_id, received, channel, disposition, category_l1, category_l2, district, "
                                   f"street, handler_level, handler, topic FROM '{scaled['tickets-' + year]}'").fetchall()
                for r in rows:
                    copy.write_row(r)
                n += len(rows)
    return n


def test_postgres_tickets_give_the_same_report_and_only_aggregates_cross(pg_tickets, postgres, reference, tmp_path,
                                                                           monkeypatch):
    monkeypatch.setenv("REPORTGEN_TEST_PG", postgres)
    cfg = config_with(tmp_path, "    - database: {url_env: REPORTGEN_TEST_PG, table: tickets}\n")
    built, text = render_text(cfg, tmp_path / "pg.pdf")
    assert text == reference
    from reportgen.inputs import _STORES

    store = next(iter(_STORES.values()))
    fetched = sum(store.fetched_rows.values())
    assert fetched < pg_tickets / 5                     # aggregates, not tickets
    assert fetched == _groups(postgres)            # one row per group, nothing else


def _groups(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as pg:
        return pg.execute("SELECT count(*) FROM (" + for_dialect(aggregate_sql("tickets", (
            "received", "channel", "disposition", "category_l1", "category_l2", "district", "street", "handler_level",
            "handler", "topic"), 19), "postgres") + ") g").fetchone()[0]


def test_a_database_source_needs_its_url_in_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("REPORTGEN_NO_SUCH_URL", raising=False)
    cfg = config_with(tmp_path, "    - database: {url_env: REPORTGEN_NO_SUCH_URL, table: tickets}\n")
    with pytest.raises(ConfigError) as err:
        build("annual", "2023", config_dir=cfg)
    assert str(err.value) == ("配置错误：数据库（REPORTGEN_NO_SUCH_URL）的表 tickets 的连接串应在环境变量 "
                              "REPORTGEN_NO_SUCH_URL 中（不写进 YAML），该变量未设置。")


@pytest.mark.parametrize("dialect,marker", [("postgres", "TO_CHAR"), ("trino", "DATE_FORMAT"),
                                            ("spark", "DATE_FORMAT"), ("clickhouse", "formatDateTime")])
def test_the_one_aggregation_transpiles_to_each_engine(dialect, marker):
    import sqlglot

    sql = for_dialect(aggregate_sql("tickets", ("received", "channel", "category_l1"), 19), dialect)
    assert marker in sql and "GROUP BY" in sql and "COUNT(*)" in sql
    assert sqlglot.parse_one(sql, read=dialect) is not None


def test_the_statement_for_a_cluster_engine_is_printed():
    run = subprocess.run([sys.executable, "-m", "reportgen.cli", "sql", "--dialect", "spark", "--table", "ops.tickets",
                          "--columns", "received,channel,district"], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == for_dialect(aggregate_sql("ops.tickets", ("received", "channel", "district"), 19), "spark")
    assert "DATE_FORMAT(bucket_month, 'yyyy-MM')" in run.stdout and "FROM ops.tickets GROUP BY 1, 2, 3, 4" in run.stdout


def test_progress_is_shown_on_a_terminal_and_quiet_otherwise(scaled, tmp_path, monkeypatch, capsys):
    """The tickets' GROUP BY reports its progress on a terminal (rich, with the time left), and nothing
    when stderr is not a terminal or under --quiet."""
    import reportgen.tickets as t

    con = duckdb.connect()
    calls = []
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    monkeypatch.delenv("REPORTGEN_QUIET", raising=False)
    assert t._show_progress()
    monkeypatch.setenv("REPORTGEN_QUIET", "1")
    assert not t._show_progress()
    monkeypatch.delenv("REPORTGEN_QUIET")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert not t._show_progress()
    # on a "terminal", the statement still runs to completion and the bar goes away afterwards
    monkeypatch.setattr(t, "_show_progress", lambda: True)
    t.run_with_progress(con, f"CREATE TABLE x AS SELECT count(*) AS n FROM '{scaled['tickets-2023']}'", "汇总工单")
    assert con.execute("SELECT n FROM x").fetchone()[0] > 50_000
    calls.append(1)
    run = subprocess.run([sys.executable, "-m", "reportgen.cli", "render", "--help"], capture_output=True, text=True)
    assert "--quiet" in run.stdout


@pytest.mark.slow
def test_a_local_spark_session_runs_the_same_statement(scaled):
    """The transpiled GROUP BY on Spark gives the very aggregates DuckDB gives (so the same report)."""
    if shutil.which("java") is None:
        pytest.fail("Java is needed for Spark (the machine has OpenJDK 17)")
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName("reportgen-test").config("spark.ui.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC").config("spark.sql.shuffle.partitions", "4").getOrCreate())
    try:
        df = spark.read.parquet(str(scaled["tickets-2023"]))
        df.createOrReplaceTempView("tickets")
        rows = spark.sql(for_dialect(aggregate_sql("tickets", tuple(df.columns), 19), "spark")).collect()
    finally:
        spark.stop()
    ref = duckdb.connect().execute(aggregate_sql(f"read_parquet('{scaled['tickets-2023']}')", tuple(df.columns), 19)).fetchall()

    def key(r):
        return tuple("" if v is None else str(v) for v in r)

    assert len(rows) == len(ref) > 1000
    assert sorted(key(tuple(r)) for r in rows) == sorted(key(r) for r in ref)
