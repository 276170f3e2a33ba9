"""The headline figures the department announced, to be set against the warehouse's.

FY 2564 (2021): 29 clusters, 680 enterprises, 19,000,000 baht, 1.2 billion baht of economic
value. FY 2565 (2022): 34 clusters and 17,000,000 baht; enterprises and value were not stated.
`rounded_to` is the precision the figure was stated with: "1.2 billion" covers 1.15-1.25 billion.
"""

from __future__ import annotations

import polars as pl

# measure -> (English label, Thai label, kind of number)
MEASURES: dict[str, tuple[str, str, str]] = {
    "active_clusters": ("Clusters", "คลัสเตอร์", "count"),
    "enterprises": ("Enterprises", "สถานประกอบการ", "count"),
    "budget_allocated_thb": ("Budget allocated (baht)", "งบประมาณ (บาท)", "thb"),
    "economic_value_thb": ("Economic value, reported (baht)", "มูลค่าทางเศรษฐกิจ (บาท)", "thb"),
}

# (fiscal year BE, measure, announced figure, rounded_to, the words it was announced in if rounded)
ANNOUNCED: list[tuple[int, str, float, float, str | None]] = [
    (2564, "active_clusters", 29, 1, None),
    (2564, "enterprises", 680, 1, None),
    (2564, "budget_allocated_thb", 19_000_000, 1, None),
    (2564, "economic_value_thb", 1_200_000_000, 100_000_000, "1.2 billion"),
    (2565, "active_clusters", 34, 1, None),
    (2565, "budget_allocated_thb", 17_000_000, 1, None),
]


def announced_frame() -> pl.DataFrame:
    return pl.DataFrame(
        ANNOUNCED,
        schema={
            "fiscal_year": pl.Int64,
            "measure": pl.String,
            "announced": pl.Float64,
            "rounded_to": pl.Float64,
            "stated": pl.String,
        },
        orient="row",
    )


def measures_frame() -> pl.DataFrame:
    return pl.DataFrame(
        [(name, order, label, label_th, kind) for order, (name, (label, label_th, kind)) in enumerate(MEASURES.items())],
        schema={"measure": pl.String, "measure_order": pl.Int64, "label": pl.String, "label_th": pl.String, "kind": pl.String},
        orient="row",
    )
