"""Cell rendering per source: typed values + style columns -> the text (and xlsx cell type)
of every cell of one file, in the file's column order."""

from __future__ import annotations

import polars as pl

from pipeline.ingest.years import BE_CE_OFFSET
from pipeline import contract

from . import fmt, spec
from .defects import CERT_TABLE
from .entities import ENTITY_TH, TX_COMMIT, TX_REFUND, TX_TH, World
from .layout import FilePlan, header_names

T_TEXT, T_NUM, T_DATE, T_EMPTY = fmt.T_TEXT, fmt.T_NUM, fmt.T_DATE, fmt.T_EMPTY


def province_aliases(prov: pl.DataFrame) -> pl.DataFrame:
    """Alias spellings per province, the contract's special ones first (the defect rows
    cycle through the list, so every spelling occurs)."""
    rows = []
    for code, th, en_iso, en_common in prov.select("province_code", "name_th", "name_en_iso", "name_en_common").iter_rows():
        al = list(spec.PROVINCE_SPECIAL_ALIASES.get(code, ()))
        if code != 10:  # Bangkok is not a จังหวัด
            al += [en_common] + ([en_iso] if en_iso != en_common else []) + [f"จ.{th}", f"จังหวัด{th}", f"จ. {th}"]
        for k, a in enumerate(al):
            rows.append((code, k, a, len(al)))
    return pl.DataFrame(rows, schema=["province_code", "alias_k", "alias", "n_alias"], orient="row")


def _prov_text(df: pl.DataFrame, prov: pl.DataFrame, aliases: pl.DataFrame) -> pl.DataFrame:
    na = aliases.group_by("province_code").agg(n_alias=pl.col("n_alias").first())
    df = df.join(prov.select("province_code", "name_th"), on="province_code", how="left", maintain_order="left")
    df = df.join(na, on="province_code", how="left", maintain_order="left").with_columns(
        alias_k=pl.when(pl.col("prov_alias") >= 0).then(pl.col("prov_alias") % pl.col("n_alias")).otherwise(pl.lit(-1))
    )
    df = df.join(aliases.select("province_code", "alias_k", "alias"), on=["province_code", "alias_k"], how="left", maintain_order="left")
    return df.with_columns(_prov=pl.coalesce("alias", "name_th")).drop("name_th", "n_alias", "alias_k", "alias")


def txt(expr: pl.Expr):
    return expr.fill_null(""), pl.when(expr.fill_null("") == "").then(pl.lit(T_EMPTY)).otherwise(pl.lit(T_TEXT)).cast(pl.Int8)


def num_or_text(text: pl.Expr, is_num: pl.Expr):
    t = text.fill_null("")
    return t, pl.when(t == "").then(pl.lit(T_EMPTY)).when(is_num).then(pl.lit(T_NUM)).otherwise(pl.lit(T_TEXT)).cast(pl.Int8)


def _thai_if(expr: pl.Expr, cond: pl.Expr) -> pl.Expr:
    return pl.when(cond).then(fmt.thai_digits(expr)).otherwise(expr)


def tax_text(tax: pl.Expr, style: pl.Expr) -> pl.Expr:
    s = tax.cast(pl.String).str.zfill(13)
    dashed = pl.concat_str([s.str.slice(0, 1), s.str.slice(1, 4), s.str.slice(5, 5), s.str.slice(10, 2), s.str.slice(12, 1)], separator="-")
    spaced = pl.concat_str([s.str.slice(0, 1), s.str.slice(1, 4), s.str.slice(5, 5), s.str.slice(10, 2), s.str.slice(12, 1)], separator=" ")
    # Excel's General display of the number: 6 significant digits, E notation
    v = tax.cast(pl.Int64)
    nd = v.cast(pl.String).str.len_chars()
    e = nd - 1
    m = (v.cast(pl.Float64) / (pl.lit(10.0).pow(e - 5))).round(0).cast(pl.Int64)
    sci = pl.format("{}.{}E+{}", (m // 100000).cast(pl.String), (m % 100000).cast(pl.String).str.zfill(5), e.cast(pl.String))
    return (
        pl.when(style == 1).then(dashed)
        .when(style == 2).then(spaced)
        .when(style == 3).then(v.cast(pl.String))
        .when(style == 4).then(sci)
        .otherwise(s)
    )


def tax_plain_or_dashed(tax: pl.Expr, dashed: pl.Expr) -> pl.Expr:
    s = tax.cast(pl.String).str.zfill(13)
    d = pl.concat_str([s.str.slice(0, 1), s.str.slice(1, 4), s.str.slice(5, 5), s.str.slice(10, 2), s.str.slice(12, 1)], separator="-")
    return pl.when(dashed).then(d).otherwise(s)


# --------------------------------------------------------------------------------------
def render_plans(df: pl.DataFrame, plan: FilePlan, world: World, aliases: pl.DataFrame) -> pl.DataFrame:
    df = _prov_text(df, world.provinces, aliases)
    name = pl.col("name")
    spaced = (
        pl.when(pl.col("name_variant") == 0).then(pl.concat_str([pl.lit(" "), name, pl.lit("  ")]))
        .when(pl.col("name_variant") == 1).then(pl.concat_str([name, pl.lit(" ")]))
        .otherwise(pl.concat_str([name, pl.lit(spec.ZWSP)]))
    )
    name_txt = (
        pl.when(pl.col("name_style") == 1).then(spaced)
        .when(pl.col("name_style") == 2).then(name.str.strip_prefix("คลัสเตอร์"))
        .otherwise(name)
    )
    alloc = pl.col("alloc_satang")
    if plan.million:
        million = (alloc.cast(pl.Float64) / 1e8).round(6)
        alloc_t = (million.cast(pl.String), pl.lit(T_NUM, dtype=pl.Int8))
    else:
        a_txt = pl.when(pl.col("alloc_style") == 0).then(fmt.amount_number(alloc)).otherwise(
            fmt.amount_text(alloc, pl.when(pl.col("alloc_style") == 1).then(pl.lit(fmt.A_COMMA2)).otherwise(pl.lit(fmt.A_COMMA0)))
        )
        alloc_t = num_or_text(a_txt, pl.col("alloc_style") == 0)
    cols = {
        "seq": num_or_text(pl.col("seq").cast(pl.String), pl.lit(True)),
        "cluster_code": txt(pl.col("code")),
        "predecessor_code": txt(pl.when(pl.col("pred_shown")).then(pl.col("pred_code"))),
        "cluster_name_th": txt(name_txt),
        "cluster_name_en": txt(pl.col("name_en")),
        "cluster_group": txt(pl.col("group")),
        "sector": txt(pl.col("sector")),
        "lead_province": txt(pl.col("_prov")),
        "responsible_office": txt(pl.col("office")),
        "budget_allocated_thb": alloc_t,
        "target_enterprises": num_or_text(pl.col("target_ent").cast(pl.String), pl.lit(True)),
        "target_economic_value_mthb": num_or_text(pl.col("target_ev_m").cast(pl.String), pl.lit(True)),
        "status": txt(pl.col("cstatus")),
    }
    return _finish(df, plan, cols, keep_on_total=("budget_allocated_thb", "target_enterprises", "target_economic_value_mthb"))


def render_registrations(df: pl.DataFrame, plan: FilePlan, world: World, aliases: pl.DataFrame) -> pl.DataFrame:
    df = _prov_text(df, world.provinces, aliases)
    names = world.clusters.select("year", "cid", cluster_name=pl.col("name"))
    df = df.join(names, on=["year", "cid"], how="left", maintain_order="left")
    is_x = plan.fmt == "xlsx"
    tc = pl.col("thai_col")
    df = df.with_columns(_date=fmt.date_texts(df, "registered_on", "date_style"))
    date = pl.col("_date")
    year = pl.col("year")
    year_t = pl.when(pl.col("year_style") == 1).then((year - BE_CE_OFFSET).cast(pl.String)).when(pl.col("year_style") == 2).then(
        (year % 100).cast(pl.String)).otherwise(year.cast(pl.String))
    tax = _thai_if(tax_text(pl.col("tax_typed"), pl.col("tax_style")), tc == 0)
    ce = pl.col("ce_code")
    ce_plain = ce.cast(pl.String).str.zfill(12)
    ce_fmt = pl.format(
        "{}-{}-{}-{}/{}-{}", ce_plain.str.slice(0, 1), ce_plain.str.slice(1, 2), ce_plain.str.slice(3, 2),
        ce_plain.str.slice(5, 2), ce_plain.str.slice(7, 1), ce_plain.str.slice(8, 4),
    )
    ce_t = pl.when(ce < 0).then(pl.lit("")).when(pl.col("ce_plain")).then(ce_plain).otherwise(ce_fmt)
    name = pl.col("name")
    ent = pl.col("entity")
    spaced = (
        pl.when(pl.col("spacing_variant") == 0).then(pl.concat_str([pl.lit("  "), name, pl.lit(" ")]))
        .when((pl.col("spacing_variant") == 1) & name.str.contains(" ")).then(name.str.replace(" ", "  "))
        .when(pl.col("spacing_variant") == 1).then(pl.concat_str([name, pl.lit("   ")]))
        .otherwise(pl.concat_str([name.str.slice(0, 3), pl.lit(spec.ZWSP), name.str.slice(3)]))
    )
    abbr = pl.when(ent == 0).then(pl.concat_str([pl.lit("บจก."), pl.when(pl.col("u") < 0.5).then(pl.lit(" ")).otherwise(pl.lit("")), pl.col("core")])).otherwise(
        pl.concat_str([pl.lit("หจก."), pl.col("core")]))
    dup_name = (
        pl.when(pl.col("dup_variant") == 1).then(pl.concat_str([name, pl.lit(" (สำนักงานใหญ่)")]))
        .when(ent <= 2).then(pl.col("core"))
        .when(ent == 3).then(name.str.strip_prefix("วิสาหกิจชุมชน"))
        .otherwise(name.str.strip_prefix("ร้าน"))
    )
    name_t = pl.when(pl.col("name_style") == 1).then(spaced).when(pl.col("name_style") == 2).then(abbr).when(
        pl.col("name_style") == 3).then(dup_name).otherwise(name)
    tsic = pl.when(pl.col("tsic_lost")).then(pl.col("tsic").str.strip_prefix("0")).otherwise(pl.col("tsic"))
    emp = pl.col("employees").cast(pl.String)
    emp_t = pl.when(pl.col("emp_text")).then(pl.concat_str([emp, pl.lit(" คน")])).otherwise(emp)
    emp_t = _thai_if(emp_t, tc == 2)
    rev = pl.col("revenue") * 100
    rev_t = pl.when(pl.col("rev_blank")).then(pl.lit("")).when(pl.col("rev_style") == fmt.A_NUMBER).then(fmt.amount_number(rev)).otherwise(
        fmt.amount_text(rev, pl.col("rev_style")))
    consent = pl.col("consent").replace_strict(list(range(6)), ["ใช่", "Y", "/", "✓", "", "ไม่"], return_dtype=pl.String)
    cols = {
        "application_no": txt(pl.col("app_no")),
        "registered_on": (_thai_if(date, tc == 1), fmt.date_type(pl.col("date_style"))),
        "fiscal_year": num_or_text(year_t, pl.lit(is_x)),
        "cluster_code": txt(pl.when(pl.col("by_name")).then(pl.col("cluster_name")).otherwise(pl.col("code"))),
        "entity_type": txt(ent.replace_strict(list(range(5)), ENTITY_TH, return_dtype=pl.String)),
        "tax_id": num_or_text(tax, pl.lit(is_x) & (pl.col("tax_style") == 3)),
        "community_enterprise_code": txt(ce_t),
        "enterprise_name_th": txt(name_t),
        "province": txt(pl.col("_prov")),
        "tsic_code": num_or_text(tsic, pl.lit(is_x) & pl.col("tsic_lost")),
        "business_sector": txt(pl.col("bsector").replace_strict([0, 1], list(contract.BUSINESS_SECTORS), return_dtype=pl.String)),
        "employees": num_or_text(emp_t, pl.lit(is_x) & ~pl.col("emp_text") & (tc != 2)),
        "annual_revenue_thb": num_or_text(rev_t, pl.lit(is_x) & (pl.col("rev_style") == fmt.A_NUMBER)),
        "contact_name": txt(pl.col("contact")),
        "phone": txt(pl.when(pl.col("phone_plain")).then(pl.col("phone").str.replace_all("-", "")).otherwise(pl.col("phone"))),
        "email": txt(pl.col("email")),
        "pdpa_consent": txt(consent),
        "_extra": txt(pl.when(pl.col("extra_note")).then(pl.when(pl.col("u") < 0.08).then(pl.lit("รอเอกสารเพิ่มเติม")).otherwise(pl.lit("ตรวจสอบแล้ว")))),
    }
    return _finish(df, plan, cols)


def _desc_table() -> pl.DataFrame:
    rows = []
    for a, descs in enumerate(spec.DESCRIPTIONS):
        for i in range(3):
            rows.append((a, i, descs[i % len(descs)]))
    return pl.DataFrame(rows, schema=["activity", "desc_i", "desc"], orient="row")


DESC = _desc_table()


def render_spending(df: pl.DataFrame, plan: FilePlan, world: World, aliases: pl.DataFrame) -> pl.DataFrame:
    from .defects import REMARK_CANCEL, REMARK_CARRY, REMARK_REFUND

    is_x = plan.fmt == "xlsx"
    names = world.clusters.select(
        budget_year=pl.col("year").cast(pl.Int16), cid=pl.col("cid").cast(pl.Int32), cur_code="code", cur_name="name"
    )
    old = world.clusters.filter(pl.col("year") == 2564).select(cid=pl.col("cid").cast(pl.Int32), old_name="name")
    df = (
        df.join(names, on=["budget_year", "cid"], how="left", maintain_order="left")
        .join(old, on="cid", how="left", maintain_order="left")
        .join(world.payees.select(pl.col("payee").cast(pl.Int32), payee_name="name", payee_tax="tax_id"), on="payee", how="left", maintain_order="left")
        .join(DESC.with_columns(pl.col("activity").cast(pl.Int8), pl.col("desc_i").cast(pl.Int8)), on=["activity", "desc_i"], how="left", maintain_order="left")
    )
    df = df.with_columns(
        amount_style=pl.when(pl.col("nd") == "total").then(pl.lit(fmt.A_NUMBER if is_x else fmt.A_COMMA2)).otherwise(pl.col("amount_style")),
        thai_col=pl.col("thai_col").fill_null(-1),
        paren=pl.col("paren").fill_null(False),
        _date=fmt.date_texts(df, "posted_on", "date_style"),
    )
    tc = pl.col("thai_col")
    role = pl.col("role").cast(pl.String)
    year = pl.col("budget_year")
    year_t = pl.when(pl.col("year_style") == 1).then((year - BE_CE_OFFSET).cast(pl.String)).when(pl.col("year_style") == 2).then(
        (year % 100).cast(pl.String)).otherwise(year.cast(pl.String))
    date = _thai_if(pl.col("_date"), tc == 1)
    amt = pl.col("amount")
    amt_t = (
        pl.when(role == "zero").then(pl.lit("-"))
        .when(pl.col("amount_style") == fmt.A_NUMBER).then(fmt.amount_number(amt))
        .otherwise(fmt.amount_text(amt, pl.col("amount_style"), pl.col("paren")))
    )
    amt_t = _thai_if(amt_t, tc == 0)
    ucodes = world.extra["spend_unknown_codes"]
    unknown = pl.col("ucode").replace_strict(list(range(len(ucodes))), ucodes, default=None, return_dtype=pl.String)
    cref = pl.col("cluster_ref")
    cluster = (
        pl.when(role == "unknown").then(unknown)
        .when(cref == 3).then(pl.lit(""))
        .when(cref == 1).then(pl.col("cur_name"))
        .when(cref == 2).then(pl.col("old_name"))
        .otherwise(pl.col("cur_code"))
    )
    doc = pl.concat_str([
        pl.col("office_idx").replace_strict(list(range(12)), [c.upper() for c in spec.OFFICE_CODES], return_dtype=pl.String),
        (year % 100).cast(pl.String), pl.lit("-"), pl.col("seq").cast(pl.String).str.zfill(world.extra["doc_width"]),
    ])
    remark = pl.col("remark_i").replace_strict(
        list(range(len(spec.REMARKS))) + [REMARK_CARRY, REMARK_REFUND, REMARK_CANCEL],
        list(spec.REMARKS) + [contract.CARRY_OVER_MARKER, spec.REFUND_REMARK, "ยกเลิกรายการ"],
        default=None, return_dtype=pl.String,
    )
    txc = pl.col("tx")
    desc = pl.when(txc == TX_COMMIT).then(pl.concat_str([pl.lit("ผูกพันสัญญา "), pl.col("desc")])).when(txc == TX_REFUND).then(
        pl.concat_str([pl.lit("คืนเงิน "), pl.col("desc")])).otherwise(pl.col("desc"))
    ben = pl.when(pl.col("ben") >= 0).then(pl.col("ben").cast(pl.String).str.zfill(13)).otherwise(pl.lit(""))
    cols = {
        "budget_fiscal_year": num_or_text(year_t, pl.lit(is_x)),
        "document_no": txt(_thai_if(doc, tc == 2)),
        "posted_on": (date, fmt.date_type(pl.col("date_style"))),
        "transaction_type": txt(txc.replace_strict(list(range(3)), TX_TH, default=None, return_dtype=pl.String)),
        "office": txt(pl.col("office_idx").replace_strict(list(range(12)), list(spec.OFFICES), return_dtype=pl.String)),
        "cluster_code": txt(cluster),
        "activity": txt(pl.col("activity").replace_strict(list(range(10)), spec.ACTIVITIES, default=None, return_dtype=pl.String)),
        "channel": txt(pl.col("channel").replace_strict(list(range(5)), spec.CHANNELS, default=None, return_dtype=pl.String)),
        "description": txt(desc),
        "amount_thb": num_or_text(amt_t, pl.lit(is_x) & (pl.col("amount_style") == fmt.A_NUMBER) & (role != "zero") & (tc != 0)),
        "payee_name": txt(pl.col("payee_name")),
        "payee_tax_id": txt(tax_plain_or_dashed(pl.col("payee_tax"), pl.col("payee_dashed"))),
        "beneficiary_tax_id": txt(ben),
        "remark": txt(remark),
    }
    return _finish(df, plan, cols, keep_on_total=("amount_thb",))


def render_outcomes(df: pl.DataFrame, plan: FilePlan, world: World, aliases: pl.DataFrame) -> pl.DataFrame:
    is_x = plan.fmt == "xlsx"
    tc = pl.col("thai_col")
    rs = pl.col("ref_style")
    ce = pl.col("ce_code")
    ce_plain = ce.cast(pl.String).str.zfill(12)
    ce_fmt = pl.format(
        "{}-{}-{}-{}/{}-{}", ce_plain.str.slice(0, 1), ce_plain.str.slice(1, 2), ce_plain.str.slice(3, 2),
        ce_plain.str.slice(5, 2), ce_plain.str.slice(7, 1), ce_plain.str.slice(8, 4),
    )
    ref = pl.when(rs == 2).then(ce_fmt).when(rs == 3).then(ce_plain).otherwise(tax_text(pl.col("tax_id"), rs))
    numeric = pl.col("amt_style") == fmt.A_NUMBER

    def amount(expr):
        return pl.when(numeric).then(fmt.amount_number(expr * 100)).otherwise(fmt.amount_text(expr * 100, pl.col("amt_style")))

    base = pl.col("round") == 0
    unit_txt = (pl.col("sales").cast(pl.Float64) / 1e6).round(2).cast(pl.String)
    sales = pl.when(pl.col("unit")).then(unit_txt).otherwise(amount(pl.col("sales")))
    sales = _thai_if(sales, tc == 0)
    base_cell = pl.when(pl.col("base_dash")).then(pl.lit("-")).otherwise(pl.lit("0"))
    cost = pl.when(base).then(base_cell).when(pl.col("perc")).then(pl.format("{}%", pl.col("perc_val").cast(pl.String))).otherwise(amount(pl.col("cost")))
    inv = pl.when(base).then(base_cell).otherwise(amount(pl.col("invest")))
    rep = pl.when(base).then(pl.lit("")).otherwise(amount(pl.col("reported")))
    emp = _thai_if(pl.col("emp").cast(pl.String), tc == 2)
    df = df.with_columns(_date=fmt.date_texts(df, "surveyed_on", "date_style"))
    date = _thai_if(pl.col("_date"), tc == 1)
    x = pl.lit(is_x)
    cols = {
        "survey_id": txt(pl.col("survey_id")),
        "fiscal_year": num_or_text(pl.col("year").cast(pl.String), x),
        "cluster_code": txt(pl.col("code")),
        "enterprise_ref": txt(ref),
        "round": txt(pl.col("round").replace_strict([0, 1], list(contract.SURVEY_ROUNDS), return_dtype=pl.String)),
        "surveyed_on": (date, fmt.date_type(pl.col("date_style"))),
        "annual_sales_thb": num_or_text(sales, x & (numeric | pl.col("unit")) & (tc != 0)),
        "cost_reduction_thb": num_or_text(cost, x & ((numeric & ~base & ~pl.col("perc")) | (base & ~pl.col("base_dash")))),
        "new_investment_thb": num_or_text(inv, x & ((numeric & ~base) | (base & ~pl.col("base_dash")))),
        "employees": num_or_text(emp, x & (tc != 2)),
        "new_products": num_or_text(pl.col("newp").cast(pl.String), x),
        "certifications": txt(pl.col("cert").replace_strict(list(range(256)), CERT_TABLE, return_dtype=pl.String)),
        "reported_economic_value_thb": num_or_text(rep, x & numeric),
    }
    return _finish(df, plan, cols)


RENDER = {
    "cluster_plans": render_plans,
    "registrations": render_registrations,
    "spending": render_spending,
    "outcomes": render_outcomes,
}


def _finish(df: pl.DataFrame, plan: FilePlan, cols: dict, keep_on_total: tuple[str, ...] = ()) -> pl.DataFrame:
    """Select the file's columns in order as `c<i>` (text) / `t<i>` (type); non-data rows:
    blank rows are empty, total rows have `รวม` in the first cell plus their amounts."""
    exprs = []
    nd = pl.col("nd")
    for i, name in enumerate(plan.columns):
        text, typ = cols[name]
        if i == 0:
            text = pl.when(nd == "total").then(pl.lit(contract.TOTAL_ROW_MARKER)).when(nd == "blank").then(pl.lit("")).otherwise(text)
            typ = pl.when(nd == "total").then(pl.lit(T_TEXT)).when(nd == "blank").then(pl.lit(T_EMPTY)).otherwise(typ)
        elif name not in keep_on_total:
            text = pl.when(nd.is_not_null()).then(pl.lit("")).otherwise(text)
            typ = pl.when(nd.is_not_null()).then(pl.lit(T_EMPTY)).otherwise(typ)
        else:
            text = pl.when(nd == "blank").then(pl.lit("")).otherwise(text)
            typ = pl.when(nd == "blank").then(pl.lit(T_EMPTY)).when(nd == "total").then(
                pl.lit(T_NUM if plan.fmt == "xlsx" else T_TEXT)).otherwise(typ)
        exprs.append(text.alias(f"c{i}"))
        if plan.fmt == "xlsx":  # cell types only matter to the xlsx writer
            exprs.append(typ.cast(pl.Int8).alias(f"t{i}"))
    return df.select(exprs)


def headers(plan: FilePlan) -> list[str]:
    return header_names(plan, contract.SOURCES_BY_NAME[plan.source])
