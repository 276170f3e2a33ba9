"""One module per stage of the refresh, each exposing its definitions as `defs`
(merged, with the policies they share, by pipeline/definitions.py)."""
