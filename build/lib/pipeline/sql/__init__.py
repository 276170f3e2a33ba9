"""The SQL of the warehouse: models (`<schema>/<table>.sql`), validation (`validate/`) and
checks (`checks/`). Installed as the package `pipeline.sql` (pyproject.toml), so the pipeline
finds it through the package."""
