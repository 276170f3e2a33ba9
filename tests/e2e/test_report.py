"""The programme report and the mart exports: formats, neutralisation, the assets end to end, and
the report as a browser shows it."""

from __future__ import annotations

import os
import re
import shutil
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipeline.report import paths
from pipeline.report.data import compare_with_announced
from pipeline.report.exports import export_marts, mart_tables
from pipeline.report.format import (
    fiscal_year_label,
    format_count,
    format_pct,
    format_ratio,
    format_thb,
    neutralise_formula,
    neutralise_formulas,
)
from support import PROJECT_ROOT

BOM = b"\xef\xbb\xbf"
FORMULA_START = re.compile(r"^[=+\-@\t\r]")


# --- formats -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (19_000_000, "19,000,000.00"),
        (Decimal("1200000000.00"), "1,200,000,000.00"),
        (Decimal("1234567.895"), "1,234,567.90"),  # half rounds up
        (1234567.895, "1,234,567.90"),  # a float is read by its shortest repr, not its binary value
        (0.1 + 0.2, "0.30"),
        (-5000, "-5,000.00"),
        (-0.001, "0.00"),  # no "-0.00"
        (999.994, "999.99"),
        (None, "\u2013"),
        (float("nan"), "\u2013"),
    ],
)
def test_format_thb(value, expected):
    assert format_thb(value) == expected


def test_counts_ratios_percentages_and_fiscal_years():
    assert format_count(680) == "680"
    assert format_count(1234567) == "1,234,567"
    assert format_count(None) == "\u2013"
    assert format_ratio(8.4166) == "8.42"
    assert format_pct(95.26) == "95.3%"
    assert format_pct(6.3333, 2) == "6.33%"
    assert format_pct(None) == "\u2013"
    assert fiscal_year_label(2564) == "2564 / 2021"
    assert fiscal_year_label(2565) == "2565 / 2022"


# --- formula neutralisation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ('=HYPERLINK("http://example.invalid","x")', '\'=HYPERLINK("http://example.invalid","x")'),
        ("+66 2 202 4414", "'+66 2 202 4414"),
        ("-5000", "'-5000"),  # in a text column it is text, and Excel would evaluate it
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("คลัสเตอร์กาแฟ", "คลัสเตอร์กาแฟ"),
        ("a=b", "a=b"),
        ("", ""),
        (None, None),
    ],
)
def test_neutralise_formula(text, expected):
    assert neutralise_formula(text) == expected


def test_neutralise_formulas_touches_text_columns_only():
    frame = pl.DataFrame(
        {
            "name": ["=1+1", "กาแฟ", "-x", None],
            "amount": [-5000.0, 1.5, -0.25, None],
            "count": [-1, 2, 3, 4],
            "amount_dec": pl.Series([Decimal("-1.00")] * 4, dtype=pl.Decimal(18, 2)),
        }
    )
    out = neutralise_formulas(frame)
    assert out.get_column("name").to_list() == ["'=1+1", "กาแฟ", "'-x", None]
    assert out.drop("name").equals(frame.drop("name"))
    assert out.schema == frame.schema


def test_csv_export_is_excel_safe_and_parquet_keeps_the_values(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    connection = duckdb.connect(os.fspath(warehouse))
    connection.execute("CREATE SCHEMA marts")
    connection.execute(
        """
        CREATE TABLE marts.sample AS
        SELECT * FROM (VALUES
            ('=cmd|'' /C calc''!A0', -5000.00::DECIMAL(18, 2), -3, MAP {'ITC': 100.50::DECIMAL(38, 2)}),
            ('คลัสเตอร์ "กาแฟ", เชียงใหม่', 1.25::DECIMAL(18, 2), 2, NULL)
        ) AS t(cluster_name_th, amount_thb, n, by_channel)
        """
    )
    connection.close()

    (exported,) = export_marts(warehouse, tmp_path / "exports", tables=["sample"])
    raw = exported.csv.read_bytes()
    assert raw.startswith(BOM)
    text = raw[len(BOM) :].decode("utf-8")
    assert "'=cmd|' /C calc'!A0" in text
    assert "-5000.00" in text and "-3" in text and "'-5000" not in text
    back = pl.read_csv(exported.csv, infer_schema=False)
    assert back.get_column("cluster_name_th").to_list() == ["'=cmd|' /C calc'!A0", 'คลัสเตอร์ "กาแฟ", เชียงใหม่']
    # The map is one plain column per key; a row without the map leaves it empty.
    assert "by_channel" not in back.columns
    assert back.get_column("by_channel: ITC").to_list() == ["100.50", None]

    parquet = duckdb.sql(f"SELECT cluster_name_th, amount_thb FROM read_parquet('{exported.parquet}')").fetchall()
    assert parquet[0] == ("=cmd|' /C calc'!A0", Decimal("-5000.00"))  # Parquet is data, not a sheet
    assert not list((tmp_path / "exports").glob(".*.partial"))


# --- headline comparison and paths -----------------------------------------------------------


def test_headline_compared_with_the_announced_figures():
    rollup = pl.DataFrame(
        {
            "fiscal_year": [2564, 2565],
            "active_clusters": [29, 33],
            "enterprises": [680, 700],
            "budget_allocated_thb": [Decimal("19000000.00"), Decimal("17000000.00")],
            "economic_value_thb": [Decimal("1234000000.00"), Decimal("5.00")],
        }
    )
    compared = compare_with_announced(rollup)
    status = {(r["fiscal_year"], r["measure"]): r["status"] for r in compared.to_dicts()}
    assert status[(2564, "active_clusters")] == "matches"
    assert status[(2564, "enterprises")] == "matches"
    assert status[(2564, "budget_allocated_thb")] == "matches"
    assert status[(2564, "economic_value_thb")] == "matches"  # 1.234 billion is "1.2 billion"
    assert status[(2565, "active_clusters")] == "differs"
    assert status[(2565, "budget_allocated_thb")] == "matches"
    assert status[(2565, "enterprises")] == "not announced"
    assert status[(2565, "economic_value_thb")] == "not announced"
    differs = compared.filter(pl.col("fiscal_year") == 2565, pl.col("measure") == "active_clusters").row(0, named=True)
    assert differs["difference"] == -1
    assert differs["fiscal_year_label"] == "2565 / 2022"

    only_2564 = compare_with_announced(rollup.filter(pl.col("fiscal_year") == 2564))
    missing = only_2564.filter(pl.col("fiscal_year") == 2565)
    assert set(missing.get_column("status")) == {"not in warehouse"}

    off = compare_with_announced(rollup.with_columns(economic_value_thb=pl.lit(Decimal("1260000000.00"))))
    assert off.filter(pl.col("fiscal_year") == 2564, pl.col("measure") == "economic_value_thb")["status"][0] == "differs"


def test_reports_dir_is_read_when_called(monkeypatch, tmp_path):
    monkeypatch.delenv("REPORTS_DIR", raising=False)
    assert paths.reports_dir() == PROJECT_ROOT / "data" / "reports"
    monkeypatch.setenv("REPORTS_DIR", "out/reports")
    assert paths.reports_dir() == PROJECT_ROOT / "out" / "reports"
    monkeypatch.setenv("REPORTS_DIR", os.fspath(tmp_path))
    assert paths.report_path() == tmp_path / "programme_report.html"
    assert paths.exports_dir() == tmp_path / "exports"


# --- end to end through the real job -----------------------------------------------------------


def _materialisation(result: dg.ExecuteInProcessResult, key: list[str]) -> dg.AssetMaterialization:
    events = [
        e.event_specific_data.materialization
        for e in result.get_asset_materialization_events()
        if e.event_specific_data.materialization.asset_key == dg.AssetKey(key)
    ]
    assert len(events) == 1, f"{key} was not materialised once"
    return events[0]


def test_report_and_exports_from_the_sample(sample_warehouse):
    report = _materialisation(sample_warehouse.result, ["reports", "programme_report"])
    path = Path(report.metadata["path"].path)
    assert path.is_file()
    assert report.metadata["url"].url == path.resolve().as_uri()
    html = path.read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in html
    assert "Noto Sans Thai" in html and "ปีงบประมาณ" in html
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=\"?https?:", html), "the report must not load anything"
    for (fiscal_year,) in sample_warehouse.query("SELECT fiscal_year FROM marts.fiscal_year_rollup"):
        assert f"{fiscal_year} / {fiscal_year - 543}" in html
        assert f'data-testid="headline-{fiscal_year}-active_clusters"' in html

    exports = _materialisation(sample_warehouse.result, ["reports", "mart_exports"])
    folder = Path(exports.metadata["path"].path)
    assert folder == path.parent / "exports"
    for table in mart_tables():
        (rows,) = sample_warehouse.query(f"SELECT count(*) FROM marts.{table}")[0]
        parquet, csv = folder / f"{table}.parquet", folder / f"{table}.csv"
        assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{parquet}')").fetchall()[0][0] == rows
        assert csv.read_bytes().startswith(BOM)
        back = pl.read_csv(csv, infer_schema=False)
        assert back.height == rows
        text_columns = [
            name
            for name, in sample_warehouse.query(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'marts' AND table_name = ? AND data_type = 'VARCHAR'",
                [table],
            )
        ]
        for name in text_columns:
            values = back.get_column(name).drop_nulls()
            assert not values.str.contains(FORMULA_START.pattern).any(), f"{table}.{name} has a live formula"

    # Nested columns are plain columns in the CSV, one per channel and per activity, not JSON text.
    outcomes_csv = pl.read_csv(folder / "cluster_outcomes.csv", infer_schema=False)
    assert "spend_by_channel_thb" not in outcomes_csv.columns
    channels = sample_warehouse.query("SELECT DISTINCT unnest(map_keys(spend_by_channel_thb)) FROM marts.cluster_outcomes")
    assert channels and {f"spend_by_channel_thb: {c}" for (c,) in channels} <= set(outcomes_csv.columns)
    assert not any(outcomes_csv.get_column(c).str.starts_with("{").any() for c in outcomes_csv.columns)
    ((code, itc),) = sample_warehouse.query(
        "SELECT cluster_code, spend_by_channel_thb['ITC']::VARCHAR FROM marts.cluster_outcomes "
        "WHERE fiscal_year = 2564 ORDER BY cluster_code LIMIT 1"
    )
    shown = outcomes_csv.filter(pl.col("fiscal_year") == "2564", pl.col("cluster_code") == code)
    assert Decimal(shown.get_column("spend_by_channel_thb: ITC")[0]) == Decimal(itc)

    # Refunds stay negative numbers in the CSV, not text.
    negatives = sample_warehouse.query("SELECT count(*) FROM marts.spending_by_channel WHERE spend_programme_wide_thb < 0")[0][0]
    channel_csv = pl.read_csv(folder / "spending_by_channel.csv", infer_schema=False)
    assert (channel_csv.get_column("spend_programme_wide_thb").str.starts_with("-")).sum() == negatives


def test_formula_and_markup_in_the_data_are_neutralised_and_escaped(sample_warehouse, tmp_path, monkeypatch):
    """The report assets on a copy of the published sample whose names carry a formula and markup."""
    from pipeline.defs.report import mart_exports, programme_report
    from pipeline.resources import WarehouseResource

    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(sample_warehouse.warehouse_path, copy)
    connection = duckdb.connect(os.fspath(copy))
    (first,) = connection.execute("SELECT min(cluster_code) FROM marts.cluster_outcomes").fetchall()[0]
    connection.execute(
        "UPDATE marts.cluster_outcomes SET cluster_name_th = ?, sector_th = ? WHERE cluster_code = ?",
        ['=HYPERLINK("http://example.invalid","คลิก")', "<script>window.__injected = 1</script><b>สปา</b>", first],
    )
    connection.execute(
        "INSERT INTO audit.file_manifest (source, source_file, status, reason_code, reason) VALUES (?, ?, ?, ?, ?)",
        ["spending", "spending/<img src=x>.csv", "rejected", "file_unreadable", "not a valid CSV & <broken>"],
    )
    connection.close()
    monkeypatch.setenv("REPORTS_DIR", os.fspath(tmp_path / "reports"))

    result = dg.materialize(
        [programme_report, mart_exports], resources={"warehouse": WarehouseResource(warehouse_path=os.fspath(copy))}
    )
    assert result.success

    html = (tmp_path / "reports" / "programme_report.html").read_text(encoding="utf-8")
    assert "<script>window.__injected" not in html
    assert "&lt;script&gt;window.__injected = 1&lt;/script&gt;&lt;b&gt;สปา&lt;/b&gt;" in html
    assert "<img src=x>" not in html
    assert "spending/&lt;img src=x&gt;.csv" in html and "not a valid CSV &amp; &lt;broken&gt;" in html
    assert 'data-testid="rejected-files"' in html
    csv = tmp_path / "reports" / "exports" / "cluster_outcomes.csv"
    assert csv.read_bytes().startswith(BOM)
    names = pl.read_csv(csv, infer_schema=False).get_column("cluster_name_th").to_list()
    assert '\'=HYPERLINK("http://example.invalid","คลิก")' in names
    assert '=HYPERLINK("http://example.invalid","คลิก")' not in names


def test_a_programme_of_many_clusters_charts_the_ends_of_its_rankings(sample_warehouse, tmp_path):
    """Hundreds of clusters in a year: each per-cluster chart draws the 20 highest and 20 lowest,
    the table lists the first CLUSTERS_LISTED, and the report says where the rest are."""
    from pipeline.report import charts, render
    from pipeline.report.data import read_report_data

    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(sample_warehouse.warehouse_path, copy)
    connection = duckdb.connect(os.fspath(copy))
    connection.execute(
        "INSERT INTO marts.cluster_outcomes SELECT c.* REPLACE (c.cluster_code || '-' || copy AS cluster_code) "
        "FROM marts.cluster_outcomes c, range(1, 20) AS copies(copy) WHERE c.fiscal_year = 2565"
    )
    (many,) = connection.execute("SELECT count(*) FROM marts.cluster_outcomes WHERE fiscal_year = 2565").fetchall()[0]
    (few,) = connection.execute("SELECT count(*) FROM marts.cluster_outcomes WHERE fiscal_year = 2564").fetchall()[0]
    data = read_report_data(connection)
    connection.close()
    assert many > render.CLUSTERS_LISTED > charts.CLUSTERS_CHARTED >= few

    def bars(figure) -> list[str]:
        return [label for trace in figure.data for label in trace.y]

    # Each chart draws its clusters (value per baht: those with executed spend), up to the cap.
    drawable = {charts.value_per_baht_chart: pl.col("value_per_baht").is_not_null(), charts.utilisation_chart: pl.lit(True)}
    for chart, drawn_rows in drawable.items():
        for fiscal_year in (2564, 2565):
            clusters = data.clusters.filter(pl.col("fiscal_year") == fiscal_year, drawn_rows).height
            assert (clusters > charts.CLUSTERS_CHARTED) == (fiscal_year == 2565)
            assert len(bars(chart(data.clusters, fiscal_year))) == min(clusters, charts.CLUSTERS_CHARTED)
    # The ends of the ranking: the best and the worst value per baht are both drawn.
    ranked = data.clusters.filter(pl.col("fiscal_year") == 2565, pl.col("value_per_baht").is_not_null()).sort(
        "value_per_baht", descending=True
    )
    drawn = bars(charts.value_per_baht_chart(data.clusters, 2565))
    assert drawn[0].endswith(ranked.row(0, named=True)["cluster_code"])
    assert drawn[-1].endswith(ranked.row(-1, named=True)["cluster_code"])

    rendered = render.build_report(copy, tmp_path / "report.html")
    html = rendered.path.read_text(encoding="utf-8")
    assert 'data-testid="charted-ends-2565"' in html and 'data-testid="charted-ends-2564"' not in html
    assert f"the first {render.CLUSTERS_LISTED} here" in html
    table_2565 = html.split(f"All {many:,} clusters of")[1].split("</table>")[0]
    assert table_2565.count("<tr class=\"cluster-row\"") == render.CLUSTERS_LISTED


# --- in a browser ------------------------------------------------------------------------------


def _number(text: str) -> Decimal:
    return Decimal(text.strip().replace(",", "").rstrip("%"))


@pytest.mark.slow
def test_report_in_headless_chromium(sample_warehouse, tmp_path):
    pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    from devtools.browser import CHROMIUM_PATH, open_report

    if not Path(CHROMIUM_PATH).exists():
        pytest.skip(f"no Chromium at {CHROMIUM_PATH} (Debian package chromium)")
    report = Path(_materialisation(sample_warehouse.result, ["reports", "programme_report"]).metadata["path"].path)
    connection = duckdb.connect(os.fspath(sample_warehouse.warehouse_path), read_only=True)
    try:
        rollup = connection.sql("SELECT * FROM marts.fiscal_year_rollup ORDER BY fiscal_year").pl()
    finally:
        connection.close()
    assert rollup.height > 0

    with open_report(report) as opened:
        page = opened.page
        assert opened.console_errors == []
        assert opened.page_errors == []
        assert opened.blocked_requests == []

        containers = page.locator('[data-testid^="chart-"]')
        assert containers.count() >= 6
        for index in range(containers.count()):
            container = containers.nth(index)
            name = container.get_attribute("data-testid")
            box = container.bounding_box()
            assert box and box["width"] > 200 and box["height"] > 100, name
            drawn = container.locator("svg.main-svg .cartesianlayer .trace").count()
            assert drawn > 0, f"{name} drew nothing"
            svg_width = float(container.locator("svg.main-svg").first.get_attribute("width"))
            assert svg_width <= box["width"] + 1, f"{name} is wider than its place on the page"

        def shown(testid: str) -> str:
            return page.get_by_test_id(testid).inner_text()

        for year in rollup.to_dicts():
            fy = year["fiscal_year"]
            assert f"{fy} / {year['fiscal_year_ce']}" in shown(f"headline-{fy}")
            assert _number(shown(f"headline-{fy}-active_clusters")) == year["active_clusters"]
            assert _number(shown(f"headline-{fy}-enterprises")) == year["enterprises"]
            assert _number(shown(f"headline-{fy}-budget_allocated_thb")) == year["budget_allocated_thb"]
            assert _number(shown(f"headline-{fy}-economic_value_thb")) == year["economic_value_thb"]
            assert _number(shown(f"headline-{fy}-spend_executed_thb")) == year["spend_executed_thb"]
            if year["value_per_baht"] is not None:
                assert _number(shown(f"headline-{fy}-value_per_baht")) == Decimal(str(year["value_per_baht"]))
        if 2564 in rollup.get_column("fiscal_year").to_list():
            assert _number(shown("announced-2564-active_clusters")) == 29
            assert _number(shown("announced-2564-enterprises")) == 680

        png = tmp_path / "first-screen.png"
        page.screenshot(path=os.fspath(png))
        assert png.stat().st_size > 10_000
