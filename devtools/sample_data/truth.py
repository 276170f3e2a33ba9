"""The truth file: what the pipeline must find in the raw files it is given.

Computed from the generator's own row tables (status staged / quarantined / non_data per
row), never from the clean world, so every figure is "after cleaning" by construction.
"""

from __future__ import annotations

import json
import re

import numpy as np
import polars as pl

from pipeline import contract

from . import spec
from .entities import TX_COMMIT, TX_DISB, TX_REFUND, World, round_half_up as rh
from .layout import FilePlan, header_names

STAGED, QUAR, NONDATA = "staged", "quarantined", "non_data"
TITLE_KIND = {"cluster_plans": "plan_title_row", "registrations": "reg_title_row", "spending": "spend_title_row"}


class Money(float):
    """An amount in baht, written with exactly two decimals."""


def money(satang) -> Money:
    return Money(int(satang) / 100)


def _round(x: float, nd: int = 4) -> float:
    return float(np.round(x, nd))


# Contract columns holding an identifier: personal when it is a natural person's (a 13-digit
# number that does not start with 0), with the payee's name on the same row.
_ID_COLUMNS = ("tax_id", "payee_tax_id", "beneficiary_tax_id", "enterprise_ref")
_ID_NAMED_BY = {"payee_tax_id": "payee_name"}
PERSONAL_VALUE_MIN_LENGTH = 5  # shorter values (a blank, `-`) are not telling
PERSONAL_VALUES_CAP = 100_000


def personal_values(cells: pl.DataFrame, plan: FilePlan) -> set[str]:
    """The personal values a rendered file holds (cells `c<i>` in the order of plan.columns):
    what must never reach the analysts' warehouse in clear (tests/test_documentation_and_privacy.py)."""
    source = contract.SOURCES_BY_NAME[plan.source]
    position = {name: i for i, name in enumerate(plan.columns)}
    personal = [c.canonical for c in source.columns if c.personal and c.canonical in position]
    cell = {name: pl.col(f"c{position[name]}").str.strip_chars() for name in personal}
    digits = {
        name: cell[name].str.replace_many(list(spec.THAI_DIGITS), [str(i) for i in range(10)]).str.replace_all(r"\D", "")
        for name in personal if name in _ID_COLUMNS
    }
    is_person = {name: (d.str.len_chars() == 13) & ~d.str.starts_with("0") for name, d in digits.items()}
    person_name_of = {named: is_person[id_column] for id_column, named in _ID_NAMED_BY.items() if id_column in is_person}
    columns = [
        pl.when(is_person[name]).then(cell[name]) if name in is_person
        else pl.when(person_name_of[name]).then(cell[name]) if name in person_name_of
        else cell[name]
        for name in personal
    ]
    columns += [pl.when(is_person[name]).then(digits[name]) for name in is_person]
    if not columns:
        return set()
    values = cells.select(pl.concat_list([c.alias(f"p{i}") for i, c in enumerate(columns)]).alias("v")).explode("v")["v"]
    return set(values.filter(values.str.len_chars() >= PERSONAL_VALUE_MIN_LENGTH).to_list())


def basis_counts(world: World, tables: dict[str, pl.DataFrame], plans: dict) -> dict[str, dict[int, int]]:
    pr = tables["cluster_plans"]
    staged_plan = pr.filter(pl.col("status") == STAGED)
    reg = tables["registrations"]
    sp = tables["spending"]
    sv = tables["outcomes"]
    out = {
        "listed_clusters": {y: int((staged_plan["year"] == y).sum()) for y in spec.FY},
        "continuing_clusters": {y: int(((staged_plan["year"] == y) & (staged_plan["kind"] == "A")).sum()) if y == 2565 else 0 for y in spec.FY},
        "active_clusters": {y: int(((staged_plan["year"] == y) & staged_plan["active"]).sum()) for y in spec.FY},
        "registrations": {y: int(((reg["year"] == y) & (reg["role"] == "clean")).sum()) for y in spec.FY},
        "spending_rows": {y: int(((sp["budget_year"] == y) & (sp["role"] == "clean")).sum()) for y in spec.FY},
        "survey_enterprises": {y: int((world.parts["year"] == y).sum()) for y in spec.FY},
        "survey_rows": {y: int(((sv["year"] == y) & (sv["role"] == "clean")).sum()) for y in spec.FY},
    }
    for s in contract.SOURCES:
        out[f"files:{s.name}"] = {0: len(plans[s.name])}
    return out


def defect_entries(tables: dict[str, pl.DataFrame], logs: dict[str, pl.DataFrame], plans: dict[str, dict[tuple, FilePlan]]) -> pl.DataFrame:
    frames = []
    for source, rows in tables.items():
        paths = rows.schema["file"].categories.to_list()
        e = logs[source].join(
            rows.select(pl.col("rid").cast(pl.Int64), fidx=pl.col("file").to_physical().cast(pl.Int64), row="row",
                        st=pl.col("status").cast(pl.String)),
            on="rid", how="left",
        )
        e = e.with_columns(
            file=pl.col("fidx").replace_strict(list(range(len(paths))), paths, return_dtype=pl.String),
            status=pl.col("st"),
        )
        frames.append(e.with_columns(source=pl.lit(source)))
    extra = []
    for source, fp in plans.items():
        for p in fp.values():
            for r in range(1, p.title_rows + 1):
                extra.append((p.path, r, NONDATA, TITLE_KIND[source], None, source))
            if p.extra_column:
                extra.append((p.path, p.header_row, STAGED, "reg_extra_column", "_extra", source))
    if extra:
        frames.append(pl.DataFrame(extra, schema={"file": pl.String, "row": pl.Int64, "status": pl.String, "kind": pl.String,
                                                  "column": pl.String, "source": pl.String}, orient="row"))
    ent = pl.concat([f.select("file", "row", "status", "kind", "column", "source") for f in frames])
    table = pl.DataFrame(
        {
            "kind": [d.kind for d in spec.DEFECTS],
            "handling": [d.handling for d in spec.DEFECTS],
            "code": [d.code for d in spec.DEFECTS],
        }
    )
    sheets = pl.DataFrame(
        {"file": [p.path for fp in plans.values() for p in fp.values()], "sheet": [p.sheet for fp in plans.values() for p in fp.values()]},
        schema={"file": pl.String, "sheet": pl.String},
    )
    ent = ent.join(table, on="kind", how="left", maintain_order="left").join(sheets, on="file", how="left", maintain_order="left")
    return ent.sort(["file", "row", "kind", "column"], nulls_last=True)


def build(
    world: World, tables: dict[str, pl.DataFrame], logs: dict[str, pl.DataFrame], plans: dict[str, dict[tuple, FilePlan]],
    personal: set[str] = frozenset(),
) -> dict:
    pr, reg, sp, sv = (tables[s] for s in ("cluster_plans", "registrations", "spending", "outcomes"))
    splan = pr.filter(pl.col("status") == STAGED)
    sreg = reg.select("year", "cid", "eid", "status").filter(pl.col("status") == STAGED)
    ssp = sp.select("budget_year", "cid", "tx", "amount", "carry", "status").filter(pl.col("status") == STAGED)
    ssv = sv.select("year", "cid", "eid", "round", "reported", "computed", "mism", "status").filter(pl.col("status") == STAGED)
    executed = ssp.filter(pl.col("tx").is_in([TX_DISB, TX_REFUND]))
    committed = ssp.filter(pl.col("tx") == TX_COMMIT)
    after = ssv.filter(pl.col("round") == 1)
    both = ssv.group_by("year", "eid").agg(n=pl.col("round").n_unique()).filter(pl.col("n") == 2).select("year", "eid")
    after_both = after.join(both, on=["year", "eid"], how="semi")

    # ---- per cluster
    ent_c = sreg.group_by("year", "cid").agg(enterprises=pl.col("eid").n_unique())
    ex_c = executed.group_by(year="budget_year", cid="cid").agg(executed=pl.col("amount").sum())
    co_c = committed.group_by(year="budget_year", cid="cid").agg(committed=pl.col("amount").sum())
    rep_c = after.group_by("year", "cid").agg(reported=pl.col("reported").sum())
    cmp_c = after_both.group_by("year", "cid").agg(computed=pl.col("computed").sum())
    cl = splan.sort("year", "seq")
    for t in (ent_c, ex_c, co_c, rep_c, cmp_c):
        cl = cl.join(t.with_columns(pl.col("year").cast(cl["year"].dtype)), on=["year", "cid"], how="left", maintain_order="left")
    cl = cl.with_columns(pl.col(c).fill_null(0) for c in ("enterprises", "executed", "committed", "reported", "computed"))
    iso = dict(world.provinces.select("province_code", "iso_3166_2").iter_rows())
    clusters = []
    for r in cl.iter_rows(named=True):
        clusters.append(
            {
                "fiscal_year": r["year"],
                "cluster_code": r["code"],
                "cluster_name_th": r["name"],
                "status": contract.CLUSTER_STATUSES[r["cstatus"]],
                "predecessor_code": r["pred_code"],
                "predecessor_in_file": bool(r["pred_code"] is not None and r["pred_shown"]),
                "sector": r["sector"],
                "lead_province": iso[r["province_code"]],
                "responsible_office": r["office"],
                "plan_row": r["row"],
                "allocation_thb": money(r["alloc_satang"]),
                "enterprises": r["enterprises"],
                "spend_executed_thb": money(r["executed"]),
                "spend_committed_thb": money(r["committed"]),
                "over_allocation": bool(r["active"] and r["executed"] > r["alloc_satang"]),
                "economic_value_reported_thb": money(r["reported"] * 100),
                "economic_value_computed_thb": money(r["computed"] * 100),
            }
        )

    # ---- per fiscal year
    years = {}
    for y in spec.FY:
        yp = splan.filter(pl.col("year") == y)
        ex = executed.filter(pl.col("budget_year") == y)
        n_svy = int((sv["year"] == y).sum())
        ssvy = ssv.filter(pl.col("year") == y)
        rounds = ssvy.group_by("eid").agg(n=pl.col("round").n_unique())
        years[str(y)] = {
            "clusters_listed": yp.height,
            "active_clusters": int(yp["active"].sum()),
            "enterprises": int(sreg.filter(pl.col("year") == y)["eid"].n_unique()),
            "enterprises_returning": int(sreg.filter(pl.col("year") == y).join(
                sreg.filter(pl.col("year") == y - 1).select("eid"), on="eid", how="semi").height) if y > spec.FY[0] else 0,
            "budget_allocated_thb": money(yp["alloc_satang"].sum()),
            "spend_executed_thb": money(ex["amount"].sum()),
            "spend_executed_share": _round(ex["amount"].sum() / max(yp["alloc_satang"].sum(), 1)),
            "spend_programme_wide_thb": money(ex.filter(pl.col("cid") == -1)["amount"].sum()),
            "spend_committed_thb": money(committed.filter(pl.col("budget_year") == y)["amount"].sum()),
            "spend_disbursed_thb": money(ex.filter(pl.col("tx") == TX_DISB)["amount"].sum()),
            "spend_refunded_thb": money(ex.filter(pl.col("tx") == TX_REFUND)["amount"].sum()),
            "spend_carry_over_thb": money(ex.filter(pl.col("carry").fill_null(False))["amount"].sum()),
            "clusters_over_allocation": sum(1 for c in clusters if c["fiscal_year"] == y and c["over_allocation"]),
            "economic_value_reported_thb": money(after.filter(pl.col("year") == y)["reported"].sum() * 100),
            "economic_value_computed_thb": money(after_both.filter(pl.col("year") == y)["computed"].sum() * 100),
            "registrations_rows": int((reg["year"] == y).sum()),
            "registrations_accepted": int((sreg["year"] == y).sum()),
            "registrations_quarantined": int(((reg["year"] == y) & (reg["status"] == QUAR)).sum()),
            "spending_rows": int(((sp["budget_year"] == y) & sp["status"].is_in([STAGED, QUAR])).sum()),
            "spending_rows_accepted": int((ssp["budget_year"] == y).sum()),
            "survey_rows": n_svy,
            "survey_rows_accepted": ssvy.height,
            "survey_enterprises_accepted": int(ssvy["eid"].n_unique()),
            "survey_enterprises_both_rounds": int((rounds["n"] == 2).sum()),
            "survey_round_missing": int((rounds["n"] == 1).sum()),
            "survey_reported_value_mismatch": int(ssvy.filter(pl.col("mism"))["mism"].sum()),
        }

    # ---- per file
    ent = defect_entries(tables, logs, plans)
    files = []
    ecount = ent.filter(pl.col("status") == STAGED).group_by("file", "handling", "code").len()

    def codes(df: pl.DataFrame, path: str, col: str, **eq) -> dict:
        f = df.filter(pl.col("file") == path)
        for k, v in eq.items():
            f = f.filter(pl.col(k) == v)
        return dict(f.select(col, "len").sort(col).iter_rows())

    for source, fp in plans.items():
        rows = tables[source]
        rcount = rows.group_by("file", "status", "reason").len().with_columns(
            pl.col("file").cast(pl.String), pl.col("status").cast(pl.String)
        )
        for p in fp.values():
            fr = rcount.filter(pl.col("file") == p.path)
            by_status = dict(fr.group_by("status").agg(pl.col("len").sum()).iter_rows())
            q = codes(rcount, p.path, "reason", status=QUAR)
            nd = codes(rcount, p.path, "reason", status=NONDATA)
            rep = codes(ecount, p.path, "code", handling="repair")
            flg = codes(ecount, p.path, "code", handling="flag")
            hdr = header_names(p, contract.SOURCES_BY_NAME[source])
            files.append(
                {
                    "path": p.path,
                    "source": source,
                    "format": p.fmt,
                    "encoding": p.encoding,
                    "sheet": p.sheet,
                    "header_language": "th" if p.header == "th" else "en",
                    "header_row": p.header_row,
                    "title_rows": p.title_rows,
                    "columns": [c if c != "_extra" else None for c in p.columns],
                    "headers": hdr,
                    "rows": int(fr["len"].sum()),
                    "staged": int(by_status.get(STAGED, 0)),
                    "quarantined": int(by_status.get(QUAR, 0)),
                    "non_data": int(by_status.get(NONDATA, 0)),
                    "quarantine_codes": q,
                    "non_data_codes": {**({"title_row": p.title_rows} if p.title_rows else {}), **nd},
                    "repairs": rep,
                    "flags": flg,
                }
            )

    # ---- defect table and rates
    basis = basis_counts(world, tables, plans)
    counts = dict(ent.group_by("kind").len().iter_rows())
    file_counts = dict(ent.group_by("kind").agg(pl.col("file").n_unique()).iter_rows())
    table = []
    rates = {}
    for d in spec.DEFECTS:
        if d.basis == "files":
            b = {0: basis[f"files:{d.source}"][0]}
            n_b = b[0]
            actual_units = file_counts.get(d.kind, 0)
            expected = rh(d.rate * n_b) if d.rate is not None else None
        else:
            b = {y: basis[d.basis][y] for y in d.years}
            n_b = sum(b.values())
            actual_units = counts.get(d.kind, 0)
            expected = sum(rh(d.rate * b[y]) for y in d.years) if d.rate is not None else None
        rate = d.rate if d.rate is not None else _round(actual_units / max(n_b, 1))
        rates[d.kind] = rate
        table.append(
            {
                "kind": d.kind,
                "source": d.source,
                "handling": d.handling,
                "code": d.code,
                "rate": rate,
                "rate_is_observed": d.rate is None,
                "basis": d.basis,
                "fiscal_years": list(d.years) if d.basis != "files" else None,
                "basis_count": n_b,
                "expected": expected,
                "count": actual_units,
                "entries": counts.get(d.kind, 0),
                "description": d.description,
            }
        )

    cap = len(ent) > spec.DEFECT_LIST_CAP_TOTAL
    listed = ent
    if cap:
        listed = ent.with_columns(i=pl.int_range(0, pl.len()).over("kind")).filter(pl.col("i") < spec.DEFECT_LIST_CAP_PER_KIND).drop("i")
    defects = [
        {
            "file": r["file"], "sheet": r["sheet"], "row": r["row"], "kind": r["kind"], "handling": r["handling"],
            "code": r["code"], "column": r["column"], "row_status": r["status"],
        }
        for r in listed.iter_rows(named=True)
    ]
    return {
        "generator": "devtools.sample_data",
        "scale": world.scale,
        "seed": world.seed,
        "notes": NOTES,
        "fiscal_years": years,
        "clusters": clusters,
        "files": files,
        "defect_rates": rates,
        "defect_table": table,
        "defect_counts": {d.kind: counts.get(d.kind, 0) for d in spec.DEFECTS},
        "defects_truncated": cap,
        "defects_cap_per_kind": spec.DEFECT_LIST_CAP_PER_KIND if cap else None,
        "defects": defects,
        # Every one at the committed scale; at large scales a sample, as for defects.
        "personal_values": sorted(personal)[:PERSONAL_VALUES_CAP],
        "personal_values_truncated": len(personal) > PERSONAL_VALUES_CAP,
    }


NOTES = [
    "Amounts are baht with two decimals. Counts are after cleaning: only staged rows count.",
    "row = the row number as the office sees it: Excel row (title and header rows included) or CSV line (header = line 1).",
    "A quarantined row carries exactly one reason; repairs and flags are stated for staged rows (files[].repairs, files[].flags).",
    "Quarantined duplicate registrations write the name differently (legal form dropped, or ' (สำนักงานใหญ่)' added); duplicate documents and duplicate survey rows are identical copies of a staged row without coded repairs.",
    "defect_rates: expected count = floor(rate * basis_count_of_year + 0.5), summed over fiscal_years; rate_is_observed = structural kind (share observed).",
    "economic_value_computed_thb: sum over enterprises with both rounds accepted of after.sales - baseline.sales + after.cost_reduction + after.new_investment.",
]


def dumps(obj: dict) -> str:
    """Stable JSON: top-level keys in order, one line per list item of dicts, amounts with
    two decimals."""

    def enc(o):
        if isinstance(o, Money):
            return f"§{float(o):.2f}§"
        if isinstance(o, dict):
            return {k: enc(v) for k, v in o.items()}
        if isinstance(o, list):
            return [enc(v) for v in o]
        return o

    def compact(o):
        return json.dumps(enc(o), ensure_ascii=False, separators=(", ", ": "))

    lines = ["{"]
    items = list(obj.items())
    for i, (k, v) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if isinstance(v, list) and v and isinstance(v[0], dict):
            lines.append(f'  "{k}": [')
            for j, it in enumerate(v):
                lines.append("    " + compact(it) + ("," if j < len(v) - 1 else ""))
            lines.append("  ]" + comma)
        elif isinstance(v, dict) and v and all(isinstance(x, dict) for x in v.values()):
            lines.append(f'  "{k}": {{')
            sub = list(v.items())
            for j, (k2, v2) in enumerate(sub):
                lines.append(f'    "{k2}": ' + compact(v2) + ("," if j < len(sub) - 1 else ""))
            lines.append("  }" + comma)
        else:
            lines.append(f'  "{k}": ' + compact(v) + comma)
    lines.append("}")
    text = "\n".join(lines) + "\n"
    return re.sub(r'"§(-?\d+\.\d\d)§"', r"\1", text)
