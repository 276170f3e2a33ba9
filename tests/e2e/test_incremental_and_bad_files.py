"""Refreshes over time on a copy of the sample: bad files are rejected with a clear reason
while the others load; an unchanged refresh parses nothing and gives identical tables; a file
dropped twice counts once; a corrected re-issue replaces its rows; a deleted file's rows leave.
"""

import shutil
from datetime import datetime, timedelta, timezone

import pytest

from support import SAMPLE_RAW_DIR, markdown_rows, project_environment, run_refresh

CHECKSUM_TABLES = (
    "core.dim_cluster", "core.dim_enterprise", "core.fct_registration", "core.fct_spending", "core.fct_outcome",
    "marts.cluster_outcomes", "marts.fiscal_year_rollup", "marts.province_outcomes", "marts.spending_by_channel",
)
ODD_NAME = "registrations/registrations ทดสอบ 'copy'; v2.csv"


def _landing_metadata(result, source: str) -> dict:
    materialisation = next(
        m for m in result.asset_materializations_for_node(f"land_{source}")
        if m.asset_key.path == ["landing", source]
    )
    return {key: value.value for key, value in materialisation.metadata.items()}


def _checksums(query) -> dict[str, str]:
    return {
        table: query(f"SELECT md5(string_agg(md5(t::VARCHAR), ',' ORDER BY md5(t::VARCHAR))) FROM {table} t")[0][0]
        for table in CHECKSUM_TABLES
    }


class Refreshes:
    def __init__(self, tmp_path):
        self.raw = tmp_path / "raw"
        shutil.copytree(SAMPLE_RAW_DIR, self.raw)
        self.work = tmp_path / "work"

    def run(self):
        with project_environment(self.raw, self.work) as paths:
            result = run_refresh()
        from support import Materialised

        return Materialised(result, paths["WAREHOUSE_PATH"], paths["BUILD_DIR"] / "cluster_programme.build.duckdb")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    refreshes = Refreshes(tmp_path_factory.mktemp("refreshes"))
    raw = refreshes.raw
    (raw / "spending" / "spending_2565_10.csv").write_bytes(b"")
    (raw / "spending" / "spending_2565_11.csv").write_bytes(bytes(range(256)) * 40)
    (raw / "outcomes" / "outcome_survey_2566.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    (raw / "registrations" / "registrations_ipc12_2565.csv").write_text(
        "seq,unknown_column,another\n1,2,3\n", encoding="utf-8"
    )
    shutil.copyfile(raw / "registrations" / "registrations_ipc1_2564.csv", raw / ODD_NAME)
    first = refreshes.run()
    second = refreshes.run()
    return refreshes, first, second


def test_bad_files_are_rejected_with_a_reason_and_the_rest_loads(scenario):
    _, first, _ = scenario
    assert first.result.success
    manifest = {r["source_file"]: r for r in first.frame("SELECT * FROM audit.file_manifest").to_dicts()}
    expected = {
        "spending/spending_2565_10.csv": "file_empty",
        "spending/spending_2565_11.csv": "file_unreadable",
        "outcomes/outcome_survey_2566.xlsx": "file_unreadable",
        "registrations/registrations_ipc12_2565.csv": "header_not_found",
    }
    for path, code in expected.items():
        assert manifest[path]["status"] == "rejected", path
        assert manifest[path]["reason_code"] == code, path
        assert path in manifest[path]["reason"], "the message names the file"
    loaded = [r for r in manifest.values() if r["status"] == "loaded"]
    assert len(loaded) == 52 and all(r["reconciled"] for r in loaded)
    rollup = first.query("SELECT active_clusters, enterprises FROM marts.fiscal_year_rollup WHERE fiscal_year = 2564")
    assert rollup == [(29, 680)]


def test_rejections_show_as_a_failed_warning_check(scenario):
    _, first, _ = scenario
    (evaluation,) = [e for e in first.result.get_asset_check_evaluations() if e.check_name == "no_rejected_files"]
    assert not evaluation.passed
    named = {row["source_file"] for row in markdown_rows(evaluation.metadata["examples"].value)}
    assert "spending/spending_2565_11.csv" in named


def test_the_same_file_under_another_name_counts_once(scenario):
    _, first, _ = scenario
    original = "registrations/registrations_ipc1_2564.csv"
    rows = {
        r["source_file"]: r
        for r in first.frame(
            "SELECT * FROM audit.file_manifest WHERE source_file IN (?, ?)", [ODD_NAME, original]
        ).to_dicts()
    }
    # Both arrived in one refresh: the first path in sort order loads, the other points to it.
    assert rows[ODD_NAME]["status"] == "loaded"
    assert rows[original]["status"] == "duplicate_file"
    assert rows[original]["duplicate_of"] == ODD_NAME
    assert ODD_NAME in rows[original]["reason"]
    (enterprises,) = first.query("SELECT enterprises FROM marts.fiscal_year_rollup WHERE fiscal_year = 2564")[0]
    assert enterprises == 680


def test_an_unchanged_refresh_parses_nothing_and_changes_nothing(scenario):
    _, first, second = scenario
    assert second.result.success
    for source in ("cluster_plans", "registrations", "spending", "outcomes"):
        metadata = _landing_metadata(second.result, source)
        assert metadata["files_parsed"] == 0, source
    assert _checksums(second.query) == _checksums(first.query)


def test_a_corrected_reissue_replaces_its_rows_and_a_deleted_file_leaves(scenario):
    refreshes, _, second = scenario
    reissued = "spending/spending_2564_04.csv"
    path = refreshes.raw / reissued
    lines = path.read_bytes().splitlines(keepends=True)
    removed_rows = 40
    path.write_bytes(b"".join(lines[:-removed_rows]))
    (refreshes.raw / "spending" / "spending_2564_05.csv").unlink()
    before = dict(second.query("SELECT source_file, rows_staged FROM audit.file_manifest WHERE source = 'spending'"))

    third = refreshes.run()
    assert third.result.success
    assert _landing_metadata(third.result, "spending")["files_parsed"] == 1
    manifest = {r["source_file"]: r for r in third.frame("SELECT * FROM audit.file_manifest").to_dicts()}
    assert manifest[reissued]["status"] == "loaded" and manifest[reissued]["reconciled"]
    assert manifest[reissued]["rows_read"] < before[reissued] + 2 and manifest[reissued]["rows_staged"] <= before[reissued]
    assert manifest["spending/spending_2564_05.csv"]["status"] == "removed"
    (left,) = third.query("SELECT count(*) FROM core.fct_spending WHERE source_file = 'spending/spending_2564_05.csv'")[0]
    assert left == 0
    (staged_now,) = third.query_build("SELECT count(*) FROM staging.spending WHERE _source_file = ?", [reissued])[0]
    assert staged_now == manifest[reissued]["rows_staged"]


def test_a_file_is_hashed_again_only_when_its_stat_changed(tmp_path, monkeypatch):
    """The hashes of the last scan are reused for files whose stat is the recorded one and
    that were changed well before that scan; any rewrite (same size or not) is hashed again."""
    from pipeline import landing
    from pipeline.contract import SOURCES_BY_NAME

    spending = SOURCES_BY_NAME["spending"]
    ledger = tmp_path / "spending" / "spending_2565_01.csv"
    ledger.parent.mkdir()
    shutil.copyfile(SAMPLE_RAW_DIR / "spending" / "spending_2565_02.csv", ledger)
    hashed_files = []
    real_sha256 = landing.file_sha256
    monkeypatch.setattr(landing, "file_sha256", lambda path: hashed_files.append(path.name) or real_sha256(path))

    def scan(recorded_hash: str | None = None, hashed_at: datetime | None = None) -> str:
        """The hash a scan gives, when the last one recorded `recorded_hash` at `hashed_at`."""
        (row,) = landing.scan_raw_files(tmp_path, spending).to_dicts() if recorded_hash is None else (
            landing.scan_raw_files(tmp_path, spending, {recorded["source_file"]: (recorded["file_stat"], recorded_hash, hashed_at)})
            .to_dicts()
        )
        return row["sha256"]

    (recorded,) = landing.scan_raw_files(tmp_path, spending).to_dicts()
    assert recorded["sha256"] == real_sha256(ledger)
    later = datetime.now(timezone.utc) + timedelta(seconds=10)
    hashed_files.clear()
    assert scan("recorded hash", later) == "recorded hash" and hashed_files == []

    # Hashed less than two seconds after its last change: that change may share a clock tick
    # with a later write, so the recorded hash is not trusted.
    assert scan("recorded hash", datetime.now(timezone.utc)) == recorded["sha256"]
    assert hashed_files == ["spending_2565_01.csv"]

    # Rewritten in place with the same size: a new stat, hashed again.
    content = ledger.read_bytes()
    ledger.write_bytes(content[:-4] + (b"0000" if content[-4:] != b"0000" else b"1111"))
    assert ledger.stat().st_size == len(content)
    hashed_files.clear()
    assert scan("recorded hash", later) == real_sha256(ledger) != recorded["sha256"]
    assert hashed_files == ["spending_2565_01.csv"]
