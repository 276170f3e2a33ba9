"""Render the programme report: one static HTML file, plotly.js inlined, no network needed."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import jinja2
import plotly
import polars as pl
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from pipeline.config import TEMPLATES_DIR
from pipeline.report import charts
from pipeline.report.changes import Changes, since_previous
from pipeline.report.colours import REGION_COLOURS, REGIONS, SECTOR_COLOURS, UNKNOWN
from pipeline.report.data import ReportData, read_report_data
from pipeline.report.format import (
    MISSING,
    fiscal_year_label,
    format_count,
    format_number,
    format_pct,
    format_ratio,
    format_thb,
)

TEMPLATE_NAME = "programme_report.html.j2"
BANGKOK = ZoneInfo("Asia/Bangkok")
# Rows of the per-year cluster table; a larger programme's full list is in the exports.
CLUSTERS_LISTED = 500
# Clusters of each year's ranking given a page of their own (each page is some 40 rows of HTML:
# thousands would weigh hundreds of megabytes); every cluster's figures are in the exports.
CLUSTER_PAGES_PER_YEAR = 150


@dataclass(frozen=True)
class RenderedReport:
    path: Path
    size_bytes: int
    seconds: float
    fiscal_years: list[int]
    charts: int


def _local_time(moment: datetime | None) -> str:
    return moment.astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M") if moment else MISSING


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # every value from the data is escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        thb=format_thb,
        count=format_count,
        pct=format_pct,
        ratio=format_ratio,
        number=format_number,
        fy=fiscal_year_label,
        local_time=_local_time,
    )
    environment.globals["MISSING"] = MISSING
    return environment


def _charts(data: ReportData) -> dict[str, object]:
    """Chart name -> HTML (or None when there is nothing to draw); per-year charts are dicts."""

    def html(fig, name: str):
        return Markup(charts.figure_html(fig, f"plot-{name}")) if fig is not None else None

    years = data.clusters.get_column("fiscal_year").unique().sort().to_list()
    return {
        "money_by_year": html(charts.money_by_year_chart(data.rollup), "money-by-year"),
        "value_per_baht": {y: html(charts.value_per_baht_chart(data.clusters, y), f"value-per-baht-{y}") for y in years},
        "utilisation": {y: html(charts.utilisation_chart(data.clusters, y), f"utilisation-{y}") for y in years},
        "channel_activity": html(charts.channel_activity_chart(data.channels), "channel-activity"),
        "regions": html(charts.region_chart(data.regions), "regions"),
        "quarantine": html(charts.quarantine_chart(data.quarantine), "quarantine"),
    }


def count_charts(rendered: dict[str, object]) -> int:
    values = [v for value in rendered.values() for v in (value.values() if isinstance(value, dict) else [value])]
    return sum(v is not None for v in values)


def _cluster_pages(data: ReportData) -> list[dict]:
    """One page per cluster (by its identity across years) among the first CLUSTER_PAGES_PER_YEAR of
    a year's ranking: its years, and its spend by channel and activity."""
    paged = data.clusters.group_by("fiscal_year", maintain_order=True).head(CLUSTER_PAGES_PER_YEAR).get_column("cluster_key")
    years = (
        data.clusters.filter(pl.col("cluster_key").is_in(paged.implode()))
        .sort("cluster_key", "fiscal_year")
        .partition_by("cluster_key", as_dict=True, maintain_order=True)
    )
    spend = data.cluster_spend.filter(pl.col("cluster_key").is_in(paged.implode())).partition_by("cluster_key", as_dict=True)
    pages = []
    for (key,), rows in years.items():  # one iteration per cluster: a page each, not a row of data
        spent = spend.get((key,))
        latest = rows.row(rows.height - 1, named=True)
        pages.append({
            "key": key, "latest": latest, "years": rows.to_dicts(),
            "spend": spent.to_dicts() if spent is not None else [],
        })
    return sorted(pages, key=lambda page: (page["latest"]["sector_en"] or "", page["latest"]["cluster_code"]))


def render_report(
    data: ReportData, *, source: str, published_at: datetime | None, generated_at: datetime, changes: Changes | None = None,
) -> tuple[str, int]:
    """The report's HTML and the number of charts in it."""
    rendered_charts = _charts(data)
    pages = _cluster_pages(data)
    html = _environment().get_template(TEMPLATE_NAME).render(
        plotly_js=Markup(get_plotlyjs()),
        plotly_version=plotly.__version__,
        charts=rendered_charts,
        headline=data.headline.to_dicts(),
        rollup={row["fiscal_year"]: row for row in data.rollup.to_dicts()},
        clusters=data.clusters.to_dicts(),
        cluster_years=data.clusters.get_column("fiscal_year").unique().sort().to_list(),
        clusters_per_year=dict(data.clusters.group_by("fiscal_year").len().iter_rows()),
        clusters_charted=charts.CLUSTERS_CHARTED,
        clusters_listed=CLUSTERS_LISTED,
        channels=data.channels.to_dicts(),
        regions=data.regions.to_dicts(),
        province_years=sorted(set(data.provinces.get_column("fiscal_year").to_list())),
        provinces=data.province_table.to_dicts(),
        quarantine=data.quarantine.to_dicts(),
        quarantine_by_source=data.quarantine_by_source.to_dicts(),
        files=data.files.to_dicts(),
        rejected_files=data.rejected_files.to_dicts(),
        cluster_pages=pages,
        paged_keys={page["key"] for page in pages},
        cluster_pages_per_year=CLUSTER_PAGES_PER_YEAR,
        changes=changes,
        filter_regions=[r for r in REGIONS if r in set(data.clusters.get_column("region_en").to_list())],
        filter_sectors=sorted(set(data.clusters.get_column("sector_en").drop_nulls().to_list())),
        region_colours=REGION_COLOURS,
        sector_colours=SECTOR_COLOURS,
        unknown=UNKNOWN,
        source=source,
        published_at=_local_time(published_at),
        generated_at=_local_time(generated_at),
    )
    return html, count_charts(rendered_charts)


def write_atomically(path: Path, text: str) -> None:
    """Readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as partial:
            partial.write(text)
        os.chmod(name, 0o644)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def build_report(warehouse_path: Path, output_path: Path) -> RenderedReport:
    """Read the published warehouse read-only and write the report to output_path."""
    started = time.perf_counter()
    if not warehouse_path.is_file():
        raise FileNotFoundError(f"no published warehouse at {warehouse_path}: materialise warehouse/published first")
    connection = duckdb.connect(os.fspath(warehouse_path), read_only=True)
    try:
        data = read_report_data(connection)
    finally:
        connection.close()
    published_at = datetime.fromtimestamp(warehouse_path.stat().st_mtime, tz=BANGKOK)
    html, chart_count = render_report(
        data, source=os.fspath(warehouse_path), published_at=published_at, generated_at=datetime.now(BANGKOK),
        changes=since_previous(warehouse_path),
    )
    write_atomically(output_path, html)
    return RenderedReport(
        path=output_path,
        size_bytes=output_path.stat().st_size,
        seconds=round(time.perf_counter() - started, 3),
        fiscal_years=data.fiscal_years,
        charts=chart_count,
    )
