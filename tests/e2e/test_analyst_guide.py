"""Every example query of docs/analyst-guide.md runs on the sample warehouse, read-only, and
its answer agrees with the generator's truth file."""

import re
from collections import Counter
from decimal import Decimal

import pytest

from support import PROJECT_ROOT


GUIDE = PROJECT_ROOT / "docs" / "analyst-guide.md"
_QUERY_BLOCK = re.compile(r"```sql\n-- query: (\w+)\n(.*?)```", re.S)


def guide_queries() -> dict[str, str]:
    return {name: sql for name, sql in _QUERY_BLOCK.findall(GUIDE.read_text(encoding="utf-8"))}


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.fixture(scope="module")
def answers(sample_warehouse) -> dict[str, list[dict]]:
    return {name: sample_warehouse.frame(sql).to_dicts() for name, sql in guide_queries().items()}


def test_the_guide_has_at_least_ten_questions():
    assert len(guide_queries()) >= 10


def test_every_query_runs_read_only(answers):
    assert set(answers) == set(guide_queries())


def test_headline(answers, truth):
    for row in answers["headline"]:
        expected = truth["fiscal_years"][str(row["fiscal_year"])]
        assert row["active_clusters"] == expected["active_clusters"]
        assert row["enterprises"] == expected["enterprises"]
        assert row["budget_allocated_thb"] == _money(expected["budget_allocated_thb"])
        assert row["spend_executed_thb"] == _money(expected["spend_executed_thb"])
        assert row["economic_value_thb"] == _money(expected["economic_value_reported_thb"])


def test_value_per_baht_2564(answers, truth):
    expected = {
        c["cluster_code"]: round(c["economic_value_reported_thb"] / c["spend_executed_thb"], 2)
        for c in truth["clusters"]
        if c["fiscal_year"] == 2564 and c["status"] == "active" and c["spend_executed_thb"]
    }
    got = {r["cluster_code"]: r["value_per_baht"] for r in answers["value_per_baht_2564"]}
    assert got == pytest.approx(expected, abs=0.01)
    ranks = [r["rank_value_per_baht"] for r in answers["value_per_baht_2564"]]
    assert ranks == sorted(ranks)


def test_over_allocation(answers, truth):
    expected = {(c["fiscal_year"], c["cluster_code"]) for c in truth["clusters"] if c["over_allocation"]}
    assert {(r["fiscal_year"], r["cluster_code"]) for r in answers["over_allocation"]} == expected


def test_spend_by_channel_adds_up_to_executed_spend(answers, truth):
    totals = Counter()
    for row in answers["spend_by_channel"]:
        totals[row["fiscal_year"]] += row["spend_executed_thb"]
    for year, figures in truth["fiscal_years"].items():
        assert totals[int(year)] == _money(figures["spend_executed_thb"])


def test_returning_enterprises(answers, truth):
    assert answers["returning_2565"][0]["enterprises_returning"] == truth["fiscal_years"]["2565"]["enterprises_returning"]


def test_quarantine_by_reason(answers, truth):
    source_of = {f["path"]: f["source"] for f in truth["files"]}
    expected = Counter(
        (source_of[d["file"]], d["code"]) for d in truth["defects"] if d["handling"] == "quarantine"
    )
    got = {(r["source"], r["reason_code"]): r["rows_quarantined"] for r in answers["quarantine_by_reason"]}
    assert got == dict(expected)


def test_no_problem_files_in_the_sample(answers):
    assert answers["problem_files"] == []


def test_size_classes_cover_every_enterprise(answers, truth):
    per_year = Counter()
    for row in answers["size_classes"]:
        per_year[row["fiscal_year"]] += row["enterprises"]
    assert per_year == {int(y): f["enterprises"] for y, f in truth["fiscal_years"].items()}


def test_regions_2564(answers, truth):
    expected = truth["fiscal_years"]["2564"]
    assert sum(r["enterprises"] for r in answers["regions_2564"]) == expected["enterprises"]
    assert sum(r["economic_value_reported_thb"] for r in answers["regions_2564"]) == _money(
        expected["economic_value_reported_thb"]
    )
    assert all(r["region_en"] for r in answers["regions_2564"])


def test_utilisation_2565(answers, truth):
    expected = {
        c["cluster_code"]: round(100 * c["spend_executed_thb"] / c["allocation_thb"], 2)
        for c in truth["clusters"]
        if c["fiscal_year"] == 2565 and c["status"] == "active"
    }
    assert {r["cluster_code"]: r["utilisation_pct"] for r in answers["utilisation_2565"]} == pytest.approx(
        expected, abs=0.01
    )


def test_survey_coverage(answers, truth):
    for year, figures in truth["fiscal_years"].items():
        rows = [r for r in answers["survey_coverage"] if r["fiscal_year"] == int(year)]
        assert sum(r["enterprises_with_both_rounds"] for r in rows) == figures["survey_enterprises_both_rounds"]
        assert sum(r["reported_value_mismatches"] for r in rows) == figures["survey_reported_value_mismatch"]


def test_cluster_history_follows_predecessor_links(answers, truth):
    history = Counter(r["cluster_key"] for r in answers["cluster_history"])
    continuing = [c for c in truth["clusters"] if c["fiscal_year"] == 2565 and (c["predecessor_code"] or c.get("predecessor_in_file") is False)]
    assert history and all(n == 2 for n in history.values())
    assert len(history) <= len(continuing)


def test_repairs(answers, truth):
    expected = Counter(d["code"] for d in truth["defects"] if d["handling"] == "repair")
    got = {r["repair_code"]: r["rows_repaired"] for r in answers["repairs"]}
    for code, count in expected.items():
        assert got.get(code, 0) >= count, code
