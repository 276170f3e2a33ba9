"""File names as offices write them load and stay loaded, a re-sent file keeps when its path was
first seen, and a refresh is never stuck on its own recorded state (pipeline/change_tracking.py).

Every refresh runs the real definitions on a copy of the committed sample in a raw folder whose
own path has spaces, parentheses and Thai letters.
"""

import shutil

import polars as pl
import pytest

from pipeline import tiers

from support import SAMPLE_RAW_DIR, Materialised, project_environment, run_refresh

LEDGER_HEADER = ["ปีงบประมาณ", "เลขที่เอกสาร", "วันที่", "ประเภทรายการ", "หน่วยงาน", "รหัสคลัสเตอร์", "กิจกรรม", "ช่องทาง", "รายการ", "จำนวนเงิน (บาท)"]
ROWS_PER_LEDGER = 4
# Names present at the first (full) refresh, and names added before the second (incremental) one.
FIRST_NAMES = ["spending/spending_2565_12 copy.csv", "spending/sub dir/spending_2566_01.CSV"]
ADDED_NAMES = ["spending/ใบเบิกจ่าย (แก้ไข) 2566_02.csv", "spending/sub dir/SPENDING 2566-03 (final).XLSX"]


def _ledger_rows(prefix: str, amount: int) -> list[list[str]]:
    return [
        ["2565", f"{prefix}-{row:04d}", f"0{row}/10/2565", "เบิกจ่าย", "กสอ.", "", "บริหารโครงการ", "กสอ.", "ค่าบริหารโครงการ", f"{amount + row}.00"]
        for row in range(1, ROWS_PER_LEDGER + 1)
    ]


def _write_ledger(path, prefix: str, amount: int = 1000) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pl.DataFrame(_ledger_rows(prefix, amount), schema=LEDGER_HEADER, orient="row")
    if path.suffix.lower() == ".xlsx":
        frame.write_excel(path)
    else:
        path.write_bytes(b"\xef\xbb\xbf" + frame.write_csv(line_terminator="\r\n").encode("utf-8"))


def _refresh(raw, work) -> Materialised:
    with project_environment(raw, work) as paths:
        result = run_refresh()
    return Materialised(result, paths["WAREHOUSE_PATH"], paths["BUILD_DIR"] / "cluster_programme.build.duckdb")


def _manifest(run: Materialised) -> dict[str, dict]:
    return {r["source_file"]: r for r in run.frame("SELECT * FROM audit.file_manifest").to_dicts()}


def _build_mode(run: Materialised, asset: str) -> str:
    (materialisation,) = [m for m in run.result.get_asset_materialization_events() if m.asset_key.to_user_string() == asset]
    return materialisation.materialization.metadata["build_mode"].value


def _marts(run: Materialised) -> dict[str, list]:
    return {
        table: run.query(f"SELECT * FROM marts.{table} ORDER BY ALL")
        for table in ("fiscal_year_rollup", "cluster_outcomes", "spending_by_channel")
    }


@pytest.fixture(scope="module")
def office_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("names")
    raw = root / "ไฟล์จากสำนักงาน (raw data)" / "raw folder"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    for number, name in enumerate(FIRST_NAMES):
        _write_ledger(raw / name, f"FN{number}")
    return root, raw


def _assert_loaded(run: Materialised, names: list[str]) -> None:
    manifest = _manifest(run)
    for name in names:
        row = manifest[name]
        assert (row["status"], row["reconciled"]) == ("loaded", True), row
        assert (row["rows_staged"], row["rows_quarantined"]) == (ROWS_PER_LEDGER, 0), row
        (staged,) = run.query_build("SELECT count(*) FROM staging.spending WHERE _source_file = ?", [name])[0]
        assert staged == ROWS_PER_LEDGER, name


def test_office_file_names_load_through_a_full_and_an_incremental_refresh(office_folder):
    root, raw = office_folder
    work = root / "work"
    first = _refresh(raw, work)
    assert first.result.success
    _assert_loaded(first, FIRST_NAMES)

    for number, name in enumerate(ADDED_NAMES):
        _write_ledger(raw / name, f"AN{number}")
    second = _refresh(raw, work)
    assert second.result.success, "the incremental refresh after files with spaces, Thai and upper-case names failed"
    _assert_loaded(second, FIRST_NAMES + ADDED_NAMES)
    assert _build_mode(second, "staging/spending") == "appended"
    assert _build_mode(second, "core/fct_spending") == "appended"

    # And they stay loaded: the next refresh changes nothing and succeeds.
    third = _refresh(raw, work)
    assert third.result.success
    assert _build_mode(third, "staging/spending") == "kept"
    _assert_loaded(third, FIRST_NAMES + ADDED_NAMES)

    # The same files from scratch give the same marts.
    scratch_work = root / "scratch"
    (scratch_work / "secrets").mkdir(parents=True)
    shutil.copyfile(work / "secrets" / "pii_hash.key", scratch_work / "secrets" / "pii_hash.key")
    assert _marts(_refresh(raw, scratch_work)) == _marts(third)


def test_a_resent_file_keeps_when_its_path_was_first_seen(office_folder):
    root, raw = office_folder
    work = root / "work"
    before = _manifest(_refresh(raw, work))[FIRST_NAMES[0]]
    _write_ledger(raw / FIRST_NAMES[0], "FN0", amount=5000)  # same path, new content
    resent = _refresh(raw, work)
    assert resent.result.success
    after = _manifest(resent)[FIRST_NAMES[0]]
    assert after["sha256"] != before["sha256"] and after["loaded_at"] > before["loaded_at"]
    assert (after["first_run_id"], after["first_seen_at"]) == (before["first_run_id"], before["first_seen_at"])
    (amounts,) = resent.query("SELECT min(amount_thb) FROM core.fct_spending WHERE source_file = ?", [FIRST_NAMES[0]])[0]
    assert amounts == 5001


@pytest.mark.parametrize(
    "corruption",
    [
        # The recorded split forgets one of the files already staged: the next split would add its rows twice.
        "UPDATE tracking.built_from SET files = files[2:] WHERE table_name = 'staging.spending'",
        # A table's recorded version that matches nothing.
        "UPDATE tracking.table_versions SET version = 'corrupted' WHERE table_name = 'staging.spending'",
    ],
    ids=["files_of_a_split", "table_version"],
)
def test_a_refresh_is_never_stuck_on_a_corrupted_state_record(tmp_path, corruption):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    work = tmp_path / "work"
    assert _refresh(raw, work).result.success
    connection = tiers.connect_build(work / "build" / "cluster_programme.build.duckdb", read_only=False)
    try:
        connection.execute(corruption)
    finally:
        connection.close()
    _write_ledger(raw / "spending" / "spending_2566_01.csv", "CR")

    # The refresh after the corruption either gets the tables right or fails its reconciliation,
    # which makes the next one rebuild from the landed rows; it never fails twice.
    results = [_refresh(raw, work)]
    if not results[0].result.success:
        failed_checks = [
            e.check_name for e in results[0].result.get_asset_check_evaluations() if not e.passed and e.severity.value == "ERROR"
        ]
        assert "every_row_accounted_for" in failed_checks, failed_checks
        results.append(_refresh(raw, work))
    assert results[-1].result.success, "the refresh stayed stuck on its own state"
    _assert_loaded(results[-1], ["spending/spending_2566_01.csv"])
    assert all(row["reconciled"] for row in _manifest(results[-1]).values() if row["status"] == "loaded")

    scratch_work = tmp_path / "scratch"
    (scratch_work / "secrets").mkdir(parents=True)
    shutil.copyfile(work / "secrets" / "pii_hash.key", scratch_work / "secrets" / "pii_hash.key")
    assert _marts(_refresh(raw, scratch_work)) == _marts(results[-1])
