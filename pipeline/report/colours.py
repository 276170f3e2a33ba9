"""One colour per region, sector, channel, activity, source and fiscal year, the same in every
chart of the report: assigned from the reference lists, never from the order a chart meets them."""

from __future__ import annotations

import plotly.express as px

from pipeline import contract
from pipeline.contract import SOURCES

UNKNOWN = "unknown"
UNKNOWN_COLOUR = "#999999"
# Okabe-Ito and Tol's colour-blind-safe sets: distinct on screen and in print.
_QUALITATIVE = px.colors.qualitative.Safe + px.colors.qualitative.Vivid
REGIONS = ("North", "Northeast", "Central", "East", "West", "South")  # the six-region scheme, north to south


def _assigned(names) -> dict[str, str]:
    colours = {name: _QUALITATIVE[index % len(_QUALITATIVE)] for index, name in enumerate(names)}
    return {**colours, UNKNOWN: UNKNOWN_COLOUR}


REGION_COLOURS = _assigned(REGIONS)
SECTOR_COLOURS = _assigned(contract.SECTORS.values())
CHANNEL_COLOURS = _assigned(contract.CHANNELS)
ACTIVITY_COLOURS = _assigned(contract.ACTIVITIES.values())
SOURCE_COLOURS = _assigned(source.name for source in SOURCES)
# Fiscal years in order of time, in shades that read as a sequence.
_YEAR_SHADES = ("#9ecae1", "#4292c6", "#08519c", "#08306b")


def fiscal_year_colours(labels: list[str]) -> dict[str, str]:
    """Colours of the fiscal years' labels (sorted by time): the latest is always the darkest."""
    shades = _YEAR_SHADES[-len(labels):] if len(labels) <= len(_YEAR_SHADES) else None
    if shades is None:
        return {label: _QUALITATIVE[index % len(_QUALITATIVE)] for index, label in enumerate(labels)}
    return dict(zip(labels, shades))
