"""Vectorised renderers (polars expressions) for the typed layouts of the contract.

A rendered cell is a pair of columns: the text (String) and a cell type (Int8) that only
the xlsx writer looks at: 0 text, 1 number (text holds the literal), 2 date (text holds
`YYYY-MM-DD` of the date *as typed*, e.g. year 2564), 3 empty.
"""

from __future__ import annotations

import polars as pl

from . import spec

from pipeline.ingest.years import BE_CE_OFFSET

T_TEXT, T_NUM, T_DATE, T_EMPTY = 0, 1, 2, 3

# date styles
D_DMY, D_DMY_NOPAD, D_TH_SHORT, D_TH_LONG, D_ISO_BE, D_SERIAL, D_CELL = range(7)
DATE_TEXT_STYLES = (D_DMY, D_DMY_NOPAD, D_TH_SHORT, D_TH_LONG, D_ISO_BE)

# amount styles (sign handled separately)
A_COMMA2, A_PLAIN2, A_COMMA0, A_BAHT, A_PLAIN0, A_NUMBER = range(6)


def with_commas(int_expr: pl.Expr) -> pl.Expr:
    """1234567 -> "1,234,567" (non-negative integers below 10**15), without regex."""
    x = int_expr
    g = [((x // 10 ** (3 * k)) % 1000).cast(pl.String) for k in range(5)]
    p = [gi.str.zfill(3) for gi in g]
    out = g[0]
    for k in range(1, 5):
        out = pl.when(x >= 10 ** (3 * k)).then(pl.concat_str([g[k]] + p[k - 1::-1], separator=",")).otherwise(out)
    return out


def thai_digits(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_many([str(i) for i in range(10)], list(spec.THAI_DIGITS))


def amount_text(satang: pl.Expr, style: pl.Expr, paren: pl.Expr | None = None) -> pl.Expr:
    """Amount in satang (Int64) as typed text. Styles COMMA0/BAHT/PLAIN0 drop the satang
    only when they are zero (otherwise two decimals are kept)."""
    a = satang.abs()
    baht = a // 100
    frac = (a % 100).cast(pl.String).str.zfill(2)
    whole = (a % 100) == 0
    comma = with_commas(baht)
    plain = baht.cast(pl.String)
    comma2 = pl.concat_str([comma, pl.lit("."), frac])
    plain2 = pl.concat_str([plain, pl.lit("."), frac])
    body = (
        pl.when(style == A_PLAIN2).then(plain2)
        .when((style == A_COMMA0) & whole).then(comma)
        .when(style == A_BAHT).then(pl.concat_str([pl.when(whole).then(comma).otherwise(comma2), pl.lit(" บาท")]))
        .when((style == A_PLAIN0) & whole).then(plain)
        .when(style == A_PLAIN0).then(plain2)
        .otherwise(comma2)
    )
    neg = satang < 0
    if paren is None:
        paren = pl.lit(False)
    return (
        pl.when(neg & paren).then(pl.concat_str([pl.lit("("), body, pl.lit(")")]))
        .when(neg).then(pl.concat_str([pl.lit("-"), body]))
        .otherwise(body)
    )


def amount_number(satang: pl.Expr) -> pl.Expr:
    """Literal for a number cell (baht with up to 2 decimals)."""
    a = satang.abs()
    lit = pl.when((a % 100) == 0).then((a // 100).cast(pl.String)).otherwise(
        pl.concat_str([(a // 100).cast(pl.String), pl.lit("."), (a % 100).cast(pl.String).str.zfill(2)])
    )
    return pl.when(satang < 0).then(pl.concat_str([pl.lit("-"), lit])).otherwise(lit)


def date_text(d: pl.Expr, style: pl.Expr) -> pl.Expr:
    """Text of a CE date in the given style (D_CELL renders as `YYYY-MM-DD` BE for the
    writer; D_SERIAL as the Excel serial number)."""
    day = d.dt.day().cast(pl.String)
    mon = d.dt.month().cast(pl.String)
    dd = day.str.zfill(2)
    mm = mon.str.zfill(2)
    be = (d.dt.year() + BE_CE_OFFSET).cast(pl.String)
    be2 = ((d.dt.year() + BE_CE_OFFSET) % 100).cast(pl.String).str.zfill(2)
    m_idx = d.dt.month().cast(pl.Int64) - 1
    short = m_idx.replace_strict(list(range(12)), list(spec.THAI_MONTHS_SHORT), return_dtype=pl.String)
    long_ = m_idx.replace_strict(list(range(12)), list(spec.THAI_MONTHS_LONG), return_dtype=pl.String)
    serial = (d - pl.lit(spec.EXCEL_EPOCH)).dt.total_days().cast(pl.String)
    return (
        pl.when(style == D_DMY_NOPAD).then(pl.concat_str([day, mon, be], separator="/"))
        .when(style == D_TH_SHORT).then(pl.concat_str([day, short, be2], separator=" "))
        .when(style == D_TH_LONG).then(pl.concat_str([day, long_, be], separator=" "))
        .when((style == D_ISO_BE) | (style == D_CELL)).then(pl.concat_str([be, mm, dd], separator="-"))
        .when(style == D_SERIAL).then(serial)
        .otherwise(pl.concat_str([dd, mm, be], separator="/"))
    )


def date_texts(df: pl.DataFrame, date_col: str, style_col: str) -> pl.Series:
    """date_text for a whole frame, computed once per distinct (date, style) and joined
    back (dates repeat a lot; the string work then no longer scales with the rows)."""
    keys = df.select(d=pl.col(date_col), s=pl.col(style_col))
    u = keys.unique().drop_nulls().with_columns(t=date_text(pl.col("d"), pl.col("s")))
    return keys.join(u, on=["d", "s"], how="left", maintain_order="left")["t"]


def date_type(style: pl.Expr) -> pl.Expr:
    return (
        pl.when(style == D_CELL).then(pl.lit(T_DATE))
        .when(style == D_SERIAL).then(pl.lit(T_NUM))
        .otherwise(pl.lit(T_TEXT))
        .cast(pl.Int8)
    )
