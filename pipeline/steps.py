"""The decorators every step of the refresh is declared with: assets and checks in one pool.

Every step that writes the build database runs in BUILD_POOL; dagster.yaml limits it to one step
at a time, so overlapping runs queue instead of failing on DuckDB's write lock. Dagster sets a
pool on the op, not on the asset spec, so it is bound here once rather than in the definitions'
root (pipeline/definitions.py applies what the specs share: group, kinds, freshness).
"""

from functools import partial

import dagster as dg

BUILD_POOL = "duckdb_build"

asset = partial(dg.asset, pool=BUILD_POOL)
multi_asset = partial(dg.multi_asset, pool=BUILD_POOL)
asset_check = partial(dg.asset_check, pool=BUILD_POOL)
multi_asset_check = partial(dg.multi_asset_check, pool=BUILD_POOL)
