"""The key of the keyed hash that stands in for personal identifiers in `core.*` and `marts.*`.

The key lives outside the warehouse (PII_KEY_FILE, default `.secrets/pii_hash.key`, git-ignored,
created on first use), so the published file alone cannot be used to test guesses of a
personal ID. Models call the session macro `enterprise_key(id)`, built on the session variable
`pii_hash_key`; neither is stored in the database file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import duckdb

KEY_BYTES = 32


def load_or_create_key(key_file: Path) -> str:
    if key_file.exists():
        return key_file.read_text(encoding="ascii").strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(KEY_BYTES)
    # Created readable by the owner only, and never replaced: replacing it would change every hash.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def set_hash_key(connection: duckdb.DuckDBPyConnection, key_file: Path) -> None:
    """Give the session the key and `enterprise_key(id)`, the one definition of the keyed hash."""
    connection.execute("SET VARIABLE pii_hash_key = ?", [load_or_create_key(key_file)])
    connection.execute(
        "CREATE OR REPLACE TEMP MACRO enterprise_key(identifier) AS "
        "'E' || left(sha256(getvariable('pii_hash_key') || identifier), 24)"
    )
