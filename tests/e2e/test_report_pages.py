"""The report as managers use it: one colour per region in every chart, shared axes where years
are compared, full cluster names, a page per cluster linked from the rankings, filters that work
from disk, a "since the last refresh" panel, and printing to A4 without clipping (Chromium)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from pipeline.publish import versions_dir
from pipeline.report import render
from pipeline.report.colours import REGION_COLOURS

A4_PRINTABLE_WIDTH_PX = 718  # 210 mm less the 10 mm margins, at 96 px per inch


def _report(sample_warehouse) -> Path:
    return sample_warehouse.warehouse_path.parent.parent / "reports" / "programme_report.html"


def test_the_since_last_refresh_panel_names_what_changed(sample_warehouse, tmp_path):
    current = tmp_path / "warehouse" / "cluster_programme.duckdb"
    current.parent.mkdir()
    shutil.copyfile(sample_warehouse.warehouse_path, current)
    previous = versions_dir(current) / "cluster_programme.20200101T000000000000Z.duckdb"
    previous.parent.mkdir()
    shutil.copyfile(sample_warehouse.warehouse_path, previous)
    connection = duckdb.connect(os.fspath(previous))
    try:  # the earlier warehouse had one ledger fewer and 5 enterprises fewer in 2565
        ((ledger,),) = connection.execute(
            "SELECT max(source_file) FROM audit.file_manifest WHERE source = 'spending'"
        ).fetchall()
        connection.execute("DELETE FROM audit.file_manifest WHERE source_file = ?", [ledger])
        connection.execute("UPDATE marts.fiscal_year_rollup SET enterprises = enterprises - 5 WHERE fiscal_year = 2565")
    finally:
        connection.close()
    html = render.build_report(current, tmp_path / "report.html").path.read_text(encoding="utf-8")
    panel = html.split('data-testid="changes"', 1)[1].split("</section>", 1)[0]
    assert f"<code>{ledger}</code></td><td>new</td>" in panel
    row = re.search(r"<tr><td>2565 / 2022</td><td>Enterprises</td>(.*?)</tr>", panel, re.S).group(1)
    assert "<strong>+5</strong>" in row


def test_the_first_publish_says_there_is_nothing_to_compare(sample_warehouse):
    html = _report(sample_warehouse).read_text(encoding="utf-8")
    assert "nothing to compare with yet" in html


def test_every_cluster_has_a_page_linked_from_the_ranking(sample_warehouse):
    html = _report(sample_warehouse).read_text(encoding="utf-8")
    keys = {key for (key,) in sample_warehouse.query("SELECT DISTINCT cluster_key FROM marts.cluster_outcomes")}
    pages = set(re.findall(r'<article class="cluster-page" id="cluster-([^"]+)"', html))
    assert pages == keys
    linked = set(re.findall(r'<a class="cluster-link" href="#cluster-([^"]+)">', html))
    assert linked == keys
    # Names are wrapped, never cut.
    assert "…" not in html


@pytest.mark.slow
def test_colours_axes_pages_filters_and_print_in_chromium(sample_warehouse, tmp_path):
    pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    from devtools.browser import CHROMIUM_PATH, open_report

    if not Path(CHROMIUM_PATH).exists():
        pytest.skip(f"no Chromium at {CHROMIUM_PATH} (Debian package chromium)")
    expected_north_2565 = sample_warehouse.query(
        "SELECT count(*) FROM marts.cluster_outcomes WHERE fiscal_year = 2565 AND region_en = 'North'"
    )[0][0]
    ((key, code, years),) = sample_warehouse.query(
        "SELECT cluster_key, max(cluster_code), count(*) FROM marts.cluster_outcomes GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT 1"
    )
    with open_report(_report(sample_warehouse)) as opened:
        page = opened.page
        assert opened.console_errors == [] and opened.page_errors == [] and opened.blocked_requests == []

        # One colour per region in both years' charts, and one axis range for both.
        charts = {
            year: page.evaluate(
                "(id) => { const p = document.getElementById(id); return {"
                " colours: p.data.map(t => [t.name, t.marker.color]), range: p.layout.xaxis.range,"
                " labels: p.data.flatMap(t => t.y) }; }",
                f"plot-value-per-baht-{year}",
            )
            for year in (2564, 2565)
        }
        for chart in charts.values():
            assert {name: colour for name, colour in chart["colours"]} == {
                name: REGION_COLOURS[name] for name, _ in chart["colours"]
            }
        assert charts[2564]["range"] == charts[2565]["range"]
        # Full names: every drawn label is the cluster's whole name (wrapped with <br>).
        names = dict(sample_warehouse.query("SELECT cluster_code, cluster_name_th FROM marts.cluster_outcomes"))
        for label in charts[2565]["labels"]:
            name, _, label_code = label.replace("<br>", "").rpartition(" · ")
            assert names[label_code].endswith(name), label

        # Filters: North in 2565 leaves exactly those clusters.
        page.select_option('[data-filter="fy"]', "2565")
        page.select_option('[data-filter="region"]', "North")
        visible = page.locator("tr.cluster-row:not(.filtered-out)")
        assert visible.count() == expected_north_2565
        assert page.get_by_test_id("clusters-shown").inner_text() == f"{expected_north_2565} shown"
        for index in range(visible.count()):
            row = visible.nth(index)
            assert (row.get_attribute("data-fy"), row.get_attribute("data-region")) == ("2565", "North")
        page.select_option('[data-filter="fy"]', "")
        page.select_option('[data-filter="region"]', "")

        # A cluster's page opens from the ranking and shows each of its years.
        cluster_page = page.get_by_test_id(f"cluster-page-{key}")
        assert not cluster_page.is_visible()
        page.locator(f'a.cluster-link[href="#cluster-{key}"]').first.click()
        cluster_page.wait_for(state="visible")
        assert code in cluster_page.inner_text()
        assert cluster_page.get_by_test_id("cluster-years").locator("tbody tr").count() == years
        page.screenshot(path=os.fspath(tmp_path / "cluster-page.png"))

        # Printing to A4: every table shown fits the printable width, and Chromium writes the PDF.
        page.evaluate("() => { window.location.hash = ''; }")
        page.emulate_media(media="print")
        page.set_viewport_size({"width": A4_PRINTABLE_WIDTH_PX, "height": 1000})
        page.wait_for_timeout(300)
        overflowing = page.evaluate(
            "(width) => [...document.querySelectorAll('table')].filter(t => t.offsetParent !== null)"
            ".filter(t => t.getBoundingClientRect().right > width + 1 || t.scrollWidth > width + 1)"
            ".map(t => t.closest('section').id)",
            A4_PRINTABLE_WIDTH_PX,
        )
        assert page.evaluate("() => document.querySelectorAll('table').length") > 5
        assert overflowing == []
        pdf = tmp_path / "report.pdf"
        page.pdf(path=os.fspath(pdf), format="A4", margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"})
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 50_000
