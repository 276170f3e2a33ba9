"""A full materialisation of the committed sample reproduces the generator's truth file.

The whole `refresh_warehouse` job of the real definitions runs once per session into a
temporary folder (fixture `sample_warehouse`); these tests read the published file read-only.
"""

from collections import Counter, defaultdict
from decimal import Decimal

import dagster as dg
import pytest
from support import markdown_rows

HEADLINE_ECONOMIC_VALUE = 1_200_000_000


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_headline_figures_of_the_announcement(sample_warehouse):
    rows = {
        r[0]: r[1:]
        for r in sample_warehouse.query(
            "SELECT fiscal_year, active_clusters, enterprises, budget_allocated_thb, economic_value_thb "
            "FROM marts.fiscal_year_rollup"
        )
    }
    assert rows[2564][:3] == (29, 680, Decimal("19000000.00"))
    assert abs(rows[2564][3] - HEADLINE_ECONOMIC_VALUE) <= Decimal("0.05") * HEADLINE_ECONOMIC_VALUE
    assert rows[2565][0] == 34
    assert rows[2565][2] == Decimal("17000000.00")


@pytest.mark.parametrize("fiscal_year", [2564, 2565])
def test_rollup_equals_the_truth_file(sample_warehouse, truth, fiscal_year):
    expected = truth["fiscal_years"][str(fiscal_year)]
    (row,) = sample_warehouse.frame(
        "SELECT * FROM marts.fiscal_year_rollup WHERE fiscal_year = ?", [fiscal_year]
    ).to_dicts()
    assert row["fiscal_year_ce"] == fiscal_year - 543
    assert row["active_clusters"] == expected["active_clusters"]
    assert row["planned_clusters"] == expected["clusters_listed"]
    assert row["enterprises"] == expected["enterprises"]
    assert row["enterprises_returning"] == expected["enterprises_returning"]
    assert row["budget_allocated_thb"] == _money(expected["budget_allocated_thb"])
    assert row["spend_executed_thb"] == _money(expected["spend_executed_thb"])
    assert row["spend_committed_thb"] == _money(expected["spend_committed_thb"])
    assert row["spend_programme_wide_thb"] == _money(expected["spend_programme_wide_thb"])
    assert row["economic_value_thb"] == _money(expected["economic_value_reported_thb"])
    assert row["economic_value_computed_thb"] == _money(expected["economic_value_computed_thb"])


def test_cluster_outcomes_equal_the_truth_file(sample_warehouse, truth):
    got = {
        (r["fiscal_year"], r["cluster_code"]): r
        for r in sample_warehouse.frame("SELECT * FROM marts.cluster_outcomes").to_dicts()
    }
    assert len(got) == len(truth["clusters"])
    for cluster in truth["clusters"]:
        row = got[(cluster["fiscal_year"], cluster["cluster_code"])]
        where = f"{cluster['fiscal_year']} {cluster['cluster_code']}"
        assert row["status"] == cluster["status"], where
        assert row["lead_province_iso"] == cluster["lead_province"], where
        assert row["budget_allocated_thb"] == _money(cluster["allocation_thb"]), where
        assert row["enterprises"] == cluster["enterprises"], where
        assert row["spend_executed_thb"] == _money(cluster["spend_executed_thb"]), where
        assert row["spend_committed_thb"] == _money(cluster["spend_committed_thb"]), where
        assert row["economic_value_reported_thb"] == _money(cluster["economic_value_reported_thb"]), where
        assert row["economic_value_computed_thb"] == _money(cluster["economic_value_computed_thb"]), where


def test_every_file_reconciles_with_the_truth_counts(sample_warehouse, truth):
    manifest = {
        r["source_file"]: r
        for r in sample_warehouse.frame("SELECT * FROM audit.file_manifest").to_dicts()
    }
    assert set(manifest) == {f["path"] for f in truth["files"]}
    for expected in truth["files"]:
        row = manifest[expected["path"]]
        assert row["status"] == "loaded", expected["path"]
        assert row["reconciled"] is True, expected["path"]
        assert row["title_rows"] == expected["title_rows"], expected["path"]
        assert row["rows_read"] == expected["rows"] + expected["title_rows"], expected["path"]
        assert row["rows_staged"] == expected["staged"], expected["path"]
        assert row["rows_quarantined"] == expected["quarantined"], expected["path"]
        assert row["blank_rows"] + row["total_rows"] == expected["non_data"], expected["path"]


def test_every_injected_quarantine_defect_is_caught_by_its_rule(sample_warehouse, truth):
    quarantined = defaultdict(set)
    for source_file, row_number, reasons in sample_warehouse.query(
        "SELECT source_file, row_number, reason_codes FROM audit.quarantine"
    ):
        quarantined[(source_file, row_number)].update(reasons)
    expected = [d for d in truth["defects"] if d["handling"] == "quarantine"]
    assert expected
    missed = [d for d in expected if d["code"] not in quarantined.get((d["file"], d["row"]), set())]
    assert missed == []
    # No clean row is quarantined: exactly the injected rows are.
    assert set(quarantined) == {(d["file"], d["row"]) for d in expected}


def test_every_injected_repair_is_applied_and_counted(sample_warehouse, truth):
    repaired = defaultdict(set)
    for table in ("cluster_plans", "registrations", "spending", "outcomes"):
        for source_file, row_number, repairs in sample_warehouse.query_build(
            f"SELECT _source_file, _row_number, _repairs FROM staging.{table}"
        ):
            repaired[(source_file, row_number)].update(repairs)
    expected = [d for d in truth["defects"] if d["handling"] == "repair"]
    missed = [d for d in expected if d["code"] not in repaired.get((d["file"], d["row"]), set())]
    assert missed == []
    counted = Counter(
        {
            (source_file, code): rows
            for source_file, code, rows in sample_warehouse.query(
                "SELECT source_file, repair_code, rows_repaired FROM audit.repairs"
            )
        }
    )
    for expected_file in truth["files"]:
        for code, rows in expected_file["repairs"].items():
            assert counted[(expected_file["path"], code)] >= rows, (expected_file["path"], code)


def test_flags_on_accepted_rows(sample_warehouse, truth):
    defects = truth["defects"]
    round_missing = sample_warehouse.query("SELECT count(*) FROM core.fct_outcome WHERE round_missing")[0][0]
    for year, figures in truth["fiscal_years"].items():
        (flagged,) = sample_warehouse.query(
            "SELECT count(*) FROM core.fct_outcome WHERE round_missing AND fiscal_year = ?", [int(year)]
        )[0]
        assert flagged == figures["survey_round_missing"], year
        (mismatched,) = sample_warehouse.query(
            "SELECT count(*) FROM core.fct_outcome WHERE reported_value_mismatch AND fiscal_year = ?", [int(year)]
        )[0]
        assert mismatched == figures["survey_reported_value_mismatch"], year
    assert round_missing > 0
    derived = {
        row for (row,) in sample_warehouse.query("SELECT cluster_code FROM core.dim_cluster WHERE predecessor_derived")
    }
    plan_rows = {
        (c["fiscal_year"], c["plan_row"]): c["cluster_code"] for c in truth["clusters"]
    }
    expected_derived = {
        plan_rows[(int(d["file"].split("_")[-1][:4]), d["row"])] for d in defects if d["code"] == "predecessor_missing"
    }
    assert derived == expected_derived


def test_over_allocation_is_a_warning_naming_the_clusters(sample_warehouse, truth):
    evaluations = [
        e
        for e in sample_warehouse.result.get_asset_check_evaluations()
        if e.check_name == "spend_within_allocation"
    ]
    assert len(evaluations) == 1 and not evaluations[0].passed
    assert evaluations[0].severity == dg.AssetCheckSeverity.WARN
    named = {(int(r["fiscal_year"]), r["cluster_code"]) for r in markdown_rows(evaluations[0].metadata["examples"].value)}
    expected = {(c["fiscal_year"], c["cluster_code"]) for c in truth["clusters"] if c["over_allocation"]}
    assert named == expected


def test_every_blocking_check_passed(sample_warehouse):
    from pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    blocking = {key for key in graph.asset_check_keys if graph.get_check_spec(key).blocking}
    evaluations = {e.asset_check_key: e for e in sample_warehouse.result.get_asset_check_evaluations()}
    assert blocking <= set(evaluations)
    failed = [key.to_user_string() for key in blocking if not evaluations[key].passed]
    assert failed == []


def test_gx_results_are_check_metadata(sample_warehouse):
    evaluations = [
        e for e in sample_warehouse.result.get_asset_check_evaluations()
        if e.asset_key == dg.AssetKey(["staging", "registrations"]) and "expectation" in e.metadata
    ]
    assert evaluations
    for evaluation in evaluations:
        assert {"element_count", "unexpected_count", "reason_code", "examples"} <= set(evaluation.metadata)


def test_the_sample_matches_the_announced_figures(sample_warehouse):
    (evaluation,) = [
        e for e in sample_warehouse.result.get_asset_check_evaluations() if e.check_name == "matches_announced_figures"
    ]
    assert evaluation.passed
    assert len(markdown_rows(evaluation.metadata["compared"].value)) == 6
