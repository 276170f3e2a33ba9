"""Validation: expectation suites (pipeline/expectations/*.json) are the single statement of the rules.

Row-level rules are evaluated in DuckDB over every landed row to split staging from
quarantine (`row_rules`); the same suites are then run by Great Expectations over the staged
tables as Dagster asset checks (`gx_checks`).
"""
