"""Which raw files are new, changed or removed since the sensor last looked, by content.

A file's identity is its path under RAW_DATA_DIR and the SHA-256 of its bytes, computed by
`pipeline.landing.scan_raw_files` (the same hash the landing assets record), so touching a file
without changing it is no change, and a rewritten file with new bytes is one. The sensor keeps
the last seen state as its cursor (JSON of path -> sha256, with each file's stat, so a file
whose stat did not change is not read again: see pipeline/landing.py) and derives the run key
from the change, the digests of the state before and after it: a tick evaluated twice (its
cursor not saved) requests no second run, while content that comes back after another (A, B,
then A again) is a new change, and gets the run that rebuilds the warehouse from A.

What a refresh must run is decided against the build database, not the cursor: a source is
pending when its files (path and content) differ from those its landing table has recorded as
seen (loaded, rejected or duplicate), or it was never landed (`pending_sources`). So the first
tick after `make run`, whose cursor is empty, finds the warehouse already reflecting the raw
files and starts nothing, and a run requests only the sources whose files changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipeline.contract import SOURCES
from pipeline.landing import scan_raw_files

CURSOR_VERSION = 2
RUN_KEY_PREFIX = "raw-content-"
SHOWN_PATHS = 5
# When a cursor without stats was taken: long ago, so no recorded hash is trusted.
_NEVER = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Snapshot:
    files: dict[str, str]  # path relative to the raw folder -> SHA-256 of its content
    stats: dict[str, str] = field(default_factory=dict)  # path -> landing.file_stat when hashed
    taken_at: datetime = _NEVER
    sources: dict[str, str] = field(default_factory=dict)  # path -> source name (not kept in the cursor)

    def files_of(self, source: str) -> dict[str, str]:
        return {path: sha for path, sha in self.files.items() if self.sources.get(path) == source}


def snapshot(raw_root: Path, previous: Snapshot | None = None, recorded: Landed | None = None) -> Snapshot:
    """Every raw file of every source with its content hash; files whose stat is the one of
    `previous`, or the one the landing `recorded`, keep that hash."""
    taken_at = datetime.now(timezone.utc)
    hashed = dict(recorded.hashed) if recorded is not None else {}
    hashed.update({
        path: (stat, previous.files[path], previous.taken_at)
        for path, stat in (previous.stats.items() if previous else ())
        if path in previous.files
    })
    files: dict[str, str] = {}
    stats: dict[str, str] = {}
    sources: dict[str, str] = {}
    for source in SOURCES:
        scanned = scan_raw_files(raw_root, source, hashed)
        paths = scanned["source_file"].to_list()
        files.update(zip(paths, scanned["sha256"].to_list(), strict=True))
        stats.update(zip(paths, scanned["file_stat"].to_list(), strict=True))
        sources.update(dict.fromkeys(paths, source.name))
    return Snapshot(dict(sorted(files.items())), dict(sorted(stats.items())), taken_at, sources)


class BuildDatabaseBusy(RuntimeError):
    """A refresh holds the build database: what it landed cannot be read now."""


@dataclass(frozen=True)
class Landed:
    """What the build database's landing recorded of the raw files it has seen."""

    files: dict[str, dict[str, str]] = field(default_factory=dict)  # source -> path -> SHA-256 (not removed)
    # path -> (file_stat, SHA-256, when last seen): hashes a snapshot need not compute again.
    hashed: dict[str, tuple[str, str, datetime]] = field(default_factory=dict)


def landed_files(build_database: Path) -> Landed:
    """Per source, the files its landing has recorded as seen and not removed; a source never
    landed is absent, and so is every source of a database not built yet."""
    if not build_database.exists():
        return Landed()
    try:
        connection = duckdb.connect(str(build_database), read_only=True)
    except duckdb.IOException as error:
        raise BuildDatabaseBusy(f"{build_database} is held by a refresh: {error}") from error
    try:
        recorded = {
            table for (table,) in connection.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'landing' AND database_name = current_database()"
            ).fetchall()
        }
        landed = Landed()
        for source in SOURCES:  # one query per source, not per file
            if f"{source.name}_files" in recorded and source.name in recorded:
                # The table name is the contract's own source name.
                rows = connection.execute(
                    f"SELECT source_file, sha256, file_stat, last_seen_at FROM landing.{source.name}_files "
                    "WHERE status <> 'removed'"
                ).fetchall()
                landed.files[source.name] = {path: sha for path, sha, _stat, _seen in rows}
                landed.hashed.update(
                    {path: (stat, sha, seen) for path, sha, stat, seen in rows if stat is not None and sha is not None}
                )
        return landed
    finally:
        connection.close()


def pending_sources(state: Snapshot, landed: Landed) -> list[str]:
    """The sources whose raw files are not what their landing recorded (or that never landed)."""
    return [
        source.name for source in SOURCES
        if source.name not in landed.files or compare(landed.files[source.name], state.files_of(source.name))
    ]


def content_digest(files: Mapping[str, str]) -> str:
    """One SHA-256 over the sorted (path, file hash) pairs: equal iff paths and contents are equal."""
    canonical = json.dumps(sorted(files.items()), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def run_key(previous: Mapping[str, str] | None, current: Mapping[str, str]) -> str:
    """The key of the run for the change from `previous` (None: never looked) to `current`."""
    change = f"{content_digest(previous or {})}->{content_digest(current)}"
    return RUN_KEY_PREFIX + hashlib.sha256(change.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class RawChanges:
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        parts = []
        for label, paths in (("new", self.added), ("changed", self.changed), ("removed", self.removed)):
            if paths:
                shown = ", ".join(paths[:SHOWN_PATHS]) + (f", … ({len(paths) - SHOWN_PATHS} more)" if len(paths) > SHOWN_PATHS else "")
                parts.append(f"{len(paths)} {label}: {shown}")
        return "; ".join(parts) if parts else "no change"

    def counts(self) -> str:
        return f"{len(self.added)} new, {len(self.changed)} changed, {len(self.removed)} removed"


def compare(previous: Mapping[str, str] | None, current: Mapping[str, str]) -> RawChanges:
    """What changed from `previous` (None: never looked, so everything is new) to `current`."""
    previous = previous or {}
    return RawChanges(
        added=tuple(sorted(set(current) - set(previous))),
        changed=tuple(sorted(p for p in set(current) & set(previous) if current[p] != previous[p])),
        removed=tuple(sorted(set(previous) - set(current))),
    )


def encode_cursor(state: Snapshot) -> str:
    return json.dumps(
        {
            "version": CURSOR_VERSION,
            "digest": content_digest(state.files),
            "files": state.files,
            "stats": state.stats,
            "taken_at": state.taken_at.isoformat(),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode_cursor(cursor: str | None) -> Snapshot | None:
    """The state stored by `encode_cursor` (a version 1 cursor: its hashes, no stats); None when
    there is none, or it is unreadable."""
    if not cursor:
        return None
    try:
        value = json.loads(cursor)
    except ValueError:
        return None
    if not isinstance(value, dict) or value.get("version") not in (1, CURSOR_VERSION) or not isinstance(value.get("files"), dict):
        return None
    files = {str(path): str(sha) for path, sha in value["files"].items()}
    try:
        stats = {str(path): str(stat) for path, stat in value.get("stats", {}).items()}
        taken_at = datetime.fromisoformat(value["taken_at"]) if "taken_at" in value else _NEVER
    except (AttributeError, TypeError, ValueError):
        stats, taken_at = {}, _NEVER
    return Snapshot(files, stats, taken_at)
