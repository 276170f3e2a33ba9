"""The report's charts: Plotly figures built from the frames of `pipeline.report.data`.

Each function returns None when it has nothing to draw. `figure_html` turns a figure into a
<div> for the template; plotly.js itself is inlined once in the page (see render.py), so the
report opens without a network.
"""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

from pipeline.report.colours import (
    ACTIVITY_COLOURS, REGION_COLOURS, REGIONS, SOURCE_COLOURS, UNKNOWN, fiscal_year_colours,
)

FONT_FAMILY = "'Noto Sans Thai', 'Sarabun', 'Leelawadee UI', 'Tahoma', 'Loma', 'Garuda', sans-serif"
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
PALETTE = px.colors.qualitative.Safe
UTILISATION_BANDS = {  # band -> colour
    "over 100%": "#b2182b",
    "90-100%": "#1a9850",
    "50-90%": "#fdae61",
    "under 50%": "#d73027",
    "no allocation": "#999999",
}
# A cluster's name on an axis is wrapped (never cut) into lines of at most this many characters.
NAME_CHARACTERS = 26
CLUSTER_WORD = "คลัสเตอร์"  # "cluster": most names start with it, the axis does not need it
BAR_HEIGHT = 34
# Thai vowel and tone marks written above or below a letter: a line never starts with one.
_THAI_COMBINING = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
# Headroom past the largest bar of charts that share an axis.
_AXIS_HEADROOM = 1.05
# Clusters drawn in a per-cluster chart: the ends of the ranking. Thousands of bars (a programme
# far larger than today's 34 clusters) would be unreadable and weigh tens of megabytes.
CLUSTERS_CHARTED = 40


def _style(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        height=height,
        font={"family": FONT_FAMILY, "size": 13},
        hoverlabel={"font": {"family": FONT_FAMILY}},
        separators=".,",
        margin={"l": 10, "r": 20, "t": 40, "b": 40},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1},
    )
    return fig


def _facet_titles(fig: go.Figure) -> go.Figure:
    # "fiscal_year_label=2564 / 2021" -> "2564 / 2021"
    return fig.for_each_annotation(lambda a: a.update(text=a.text.split("=", 1)[-1]))


def _height(rows: int, extra: int = 110) -> int:
    return max(260, extra + BAR_HEIGHT * rows)


def wrapped(text: pl.Expr, width: int = NAME_CHARACTERS) -> pl.Expr:
    """`text` broken into lines (<br>) of at most `width` letters, each with its marks: never cut."""
    pattern = f"(.{{1,{width}}}[{_THAI_COMBINING}]*)"
    return text.str.replace_all(pattern, "${1}<br>").str.strip_suffix("<br>")


def cluster_labels(clusters: pl.DataFrame) -> pl.Expr:
    """'<Thai name, wrapped> · <code>' for the y axis."""
    name = pl.col("cluster_name_th").fill_null(pl.col("cluster_code")).str.strip_prefix(CLUSTER_WORD).str.strip_chars()
    return pl.format("{} · {}", wrapped(name), pl.col("cluster_code")).alias("label")


def shared_range(clusters: pl.DataFrame, column: str, floor: float = 0.0) -> list[float]:
    """One axis range for a measure's charts of every fiscal year, so they compare at a glance."""
    largest = clusters.get_column(column).drop_nulls().max()
    return [floor, max(float(largest or 0.0), 1.0) * _AXIS_HEADROOM]


def _region_order() -> list[str]:
    return [*REGIONS, UNKNOWN]


def ranking_ends(ranked: pl.DataFrame) -> pl.DataFrame:
    """The first and last CLUSTERS_CHARTED / 2 rows of a ranked frame, when it has more."""
    if ranked.height <= CLUSTERS_CHARTED:
        return ranked
    half = CLUSTERS_CHARTED // 2
    return pl.concat([ranked.head(half), ranked.tail(half)])


def value_per_baht_chart(clusters: pl.DataFrame, fiscal_year: int) -> go.Figure | None:
    frame = ranking_ends(
        clusters.filter(pl.col("fiscal_year") == fiscal_year, pl.col("value_per_baht").is_not_null())
        .with_columns(cluster_labels(clusters), pl.col("region_en").fill_null(UNKNOWN))
        .sort("value_per_baht", descending=True)
    )
    if frame.is_empty():
        return None
    fig = px.bar(
        frame,
        x="value_per_baht",
        y="label",
        color="region_en",
        orientation="h",
        color_discrete_map=REGION_COLOURS,
        category_orders={"label": frame.get_column("label").to_list(), "region_en": _region_order()},
        custom_data=["cluster_name_th", "lead_province_th", "spend_executed_thb", "economic_value_thb", "rank_value_per_baht"],
        labels={"value_per_baht": "Economic value per baht executed", "label": "", "region_en": "Region"},
    )
    fig.update_traces(
        hovertemplate="<b>%{customdata[0]}</b><br>rank %{customdata[4]} · %{customdata[1]}<br>"
        "value per baht %{x:,.2f}<br>executed %{customdata[2]:,.2f} baht<br>"
        "economic value %{customdata[3]:,.2f} baht<extra></extra>"
    )
    fig.update_xaxes(tickformat=",~f", range=shared_range(clusters, "value_per_baht"))
    return _style(fig, _height(frame.height))


def utilisation_chart(clusters: pl.DataFrame, fiscal_year: int) -> go.Figure | None:
    utilisation = pl.col("utilisation_pct")
    frame = ranking_ends(
        clusters.filter(pl.col("fiscal_year") == fiscal_year)
        .with_columns(
            cluster_labels(clusters),
            band=pl.when(utilisation.is_null())
            .then(pl.lit("no allocation"))
            .when(utilisation > 100)
            .then(pl.lit("over 100%"))
            .when(utilisation >= 90)
            .then(pl.lit("90-100%"))
            .when(utilisation >= 50)
            .then(pl.lit("50-90%"))
            .otherwise(pl.lit("under 50%")),
        )
        .sort("utilisation_pct", descending=True, nulls_last=True)
    )
    if frame.is_empty():
        return None
    fig = px.bar(
        frame,
        x="utilisation_pct",
        y="label",
        color="band",
        orientation="h",
        color_discrete_map=UTILISATION_BANDS,
        category_orders={"label": frame.get_column("label").to_list(), "band": list(UTILISATION_BANDS)},
        custom_data=["cluster_name_th", "budget_allocated_thb", "spend_executed_thb"],
        labels={"utilisation_pct": "Executed as % of allocation", "label": "", "band": "Utilisation"},
    )
    fig.update_traces(
        hovertemplate="<b>%{customdata[0]}</b><br>utilisation %{x:,.1f}%<br>"
        "allocated %{customdata[1]:,.2f} baht<br>executed %{customdata[2]:,.2f} baht<extra></extra>"
    )
    fig.add_vline(x=100, line_dash="dash", line_color="#444")
    fig.update_xaxes(ticksuffix="%", range=shared_range(clusters.with_columns(pl.col("utilisation_pct").fill_null(100.0)), "utilisation_pct"))
    return _style(fig, _height(frame.height))


def channel_activity_chart(channels: pl.DataFrame) -> go.Figure | None:
    if channels.is_empty():
        return None
    frame = channels.with_columns(activity_label=pl.format("{} ({})", pl.col("activity_th"), pl.col("activity")))
    labels = frame.select("activity", "activity_label").unique()
    activity_colours = dict(zip(labels.get_column("activity_label"), labels.get_column("activity").replace_strict(
        ACTIVITY_COLOURS, default=ACTIVITY_COLOURS[UNKNOWN])))
    channel_order = (
        frame.group_by("channel_name").agg(pl.col("spend_executed_thb").sum()).sort("spend_executed_thb", descending=True)
    )
    fig = px.bar(
        frame,
        x="spend_executed_thb",
        y="channel_name",
        color="activity_label",
        facet_col="fiscal_year_label",
        orientation="h",
        barmode="relative",
        color_discrete_map=activity_colours,
        category_orders={"channel_name": channel_order.get_column("channel_name").to_list()},
        custom_data=["activity_th", "share_of_year_pct", "channel"],
        labels={"spend_executed_thb": "Executed (baht)", "channel_name": "", "activity_label": "Activity"},
    )
    fig.update_traces(
        hovertemplate="<b>%{y}</b> (%{customdata[2]})<br>%{customdata[0]}<br>"
        "executed %{x:,.2f} baht<br>%{customdata[1]:.1f}% of the year<extra></extra>"
    )
    fig.update_xaxes(tickformat=",~f", nticks=5)
    fig = _style(_facet_titles(fig), max(380, _height(channel_order.height, extra=200)))
    fig.update_layout(legend={"orientation": "v", "yanchor": "top", "y": 1, "xanchor": "left", "x": 1.01})
    return fig


def region_chart(regions: pl.DataFrame) -> go.Figure | None:
    if regions.is_empty():
        return None
    frame = (
        regions.with_columns(region=pl.format("{}<br>{}", pl.col("region_en"), pl.col("region_th")))
        .select("fiscal_year_label", "region", pl.col("enterprises").cast(pl.Float64), "economic_value_thb")
        .unpivot(index=["fiscal_year_label", "region"], variable_name="measure", value_name="value")
        .with_columns(
            pl.col("measure").replace_strict(
                {"enterprises": "Enterprises taking part", "economic_value_thb": "Economic value, reported (baht)"}
            )
        )
    )
    fig = px.bar(
        frame,
        x="region",
        y="value",
        color="fiscal_year_label",
        facet_col="measure",
        barmode="group",
        color_discrete_map=fiscal_year_colours(sorted(frame.get_column("fiscal_year_label").unique().to_list())),
        labels={"region": "", "value": "", "fiscal_year_label": "Fiscal year"},
    )
    fig.update_traces(hovertemplate="%{x}<br>%{y:,.0f}<extra></extra>")
    fig.update_yaxes(matches=None, showticklabels=True, tickformat=",~f")
    fig = _style(_facet_titles(fig), 460)
    fig.update_layout(margin={"t": 90}, legend={"y": 1.12})
    return fig


def quarantine_chart(quarantine: pl.DataFrame) -> go.Figure | None:
    if quarantine.is_empty():
        return None
    order = (
        quarantine.group_by("label_en")
        .agg(pl.col("quarantined_rows").sum())
        .sort("quarantined_rows", "label_en", descending=[True, False])
        .get_column("label_en")
        .to_list()
    )
    fig = px.bar(
        quarantine,
        x="quarantined_rows",
        y="label_en",
        color="source",
        orientation="h",
        color_discrete_map=SOURCE_COLOURS,
        category_orders={"label_en": order},
        labels={"quarantined_rows": "Quarantined rows", "label_en": "", "source": "Source"},
    )
    fig.update_traces(hovertemplate="%{y}<br>%{x:,} rows<extra></extra>")
    return _style(fig, _height(len(order)))


def money_by_year_chart(rollup: pl.DataFrame) -> go.Figure | None:
    if rollup.is_empty():
        return None
    frame = rollup.select(
        "fiscal_year_label",
        pl.col("budget_allocated_thb").alias("Budget allocated"),
        pl.col("spend_committed_thb").alias("Committed"),
        pl.col("spend_executed_thb").alias("Executed"),
    ).unpivot(index="fiscal_year_label", variable_name="measure", value_name="baht")
    fig = px.bar(
        frame,
        x="fiscal_year_label",
        y="baht",
        color="measure",
        barmode="group",
        color_discrete_sequence=PALETTE,
        labels={"fiscal_year_label": "Fiscal year (BE / CE)", "baht": "Baht", "measure": ""},
    )
    fig.update_traces(hovertemplate="%{x}<br>%{y:,.2f} baht<extra></extra>")
    fig.update_yaxes(tickformat=",~f")
    fig.update_xaxes(type="category")
    return _style(fig, 300)


def figure_html(fig: go.Figure, div_id: str) -> str:
    """The figure as a <div> and its script; needs plotly.js already on the page."""
    return pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config=PLOT_CONFIG,
        default_width="100%",
        default_height=f"{fig.layout.height}px",
        validate=True,
    )
