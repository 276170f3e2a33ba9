"""The programme report and the BI exports, as plain functions (no Dagster).

`pipeline/defs/report.py` turns them into assets; everything here reads an open, read-only
connection to the published warehouse and writes files, so it can be tested without a run.
"""
