"""Read one raw file (CSV or xlsx) into a table of strings with lineage, or reject it.

`read_raw_file(path, source, raw_root) -> RawRead` decides the format from the content (an xlsx
is a zip), decodes CSV text (UTF-8 with or without BOM, else cp874), reads every cell as a
string, finds the header row, maps headers to the contract's canonical names and classifies each
row below the header as data, blank or total. A file that cannot be used raises FileRejected
with one of the file-rejection codes of docs/reason-codes.md.

Decisions worth knowing:
- Row numbers are the ones the office sees: the CSV record number, or the Excel row number
  (1-based, counting title and header rows). Calamine drops leading empty rows by default, so
  sheets are loaded with `skip_rows=0`, which keeps them.
- A file with a header row but no rows below it is accepted with 0 data rows (not
  `file_empty`): the office sent a valid, empty report, and the manifest shows 0 rows.
- Workbooks: every sheet is scanned; sheets without a recognisable header (notes, lookup
  lists, empty sheets) are skipped and listed in `ignored_sheets`; the data sheets are stacked.
- A total row is one whose first non-empty cell starts with `รวม` and that lacks at least one
  required value, so an enterprise called `รวมใจ...` in a complete row stays data.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import numpy as np
import polars as pl

from pipeline import contract
from pipeline.ingest.text import clean_text, let, non_blank_or_null

# Row kinds in `_row_kind` (non-data kinds are the reason codes of docs/reason-codes.md).
ROW_DATA = "data"
ROW_BLANK = "blank_row"
ROW_TOTAL = "total_row"
ROW_TITLE = "title_row"  # counted in RawRead.title_rows; such rows are not in `data`

# File rejection codes.
FILE_EMPTY = "file_empty"
FILE_UNREADABLE = "file_unreadable"
ENCODING_UNKNOWN = "encoding_unknown"
HEADER_NOT_FOUND = "header_not_found"
REQUIRED_COLUMNS_MISSING = "required_columns_missing"

HEADER_SEARCH_ROWS = 10
HEADER_MIN_REQUIRED_SHARE = 0.6
LINEAGE_COLUMNS = ("_row_number", "_sheet", "_row_kind", "_extra")
# The row's cells as read are the columns _raw_1, _raw_2, ... (see RawRead).
RAW_CELL_PREFIX = "_raw_"
# The names of the raw-cell columns, as a regular expression (polars and DuckDB read it alike).
RAW_CELL_PATTERN = f"^{RAW_CELL_PREFIX}\\d+$"

_XLSX_SIGNATURE = b"PK\x03\x04"
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Signatures of binary formats an office might rename to .csv/.xlsx by mistake.
_BINARY_SIGNATURES = {
    b"\xd0\xcf\x11\xe0": "a legacy Excel .xls / OLE2 file",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-zip archive",
}
_CANDIDATE_SEPARATORS = (",", ";", "\t")
# `(บาท)` / `(บาท/ปี)` in a header becomes `(ล้านบาท)` / `(ล้านบาท/ปี)` when the unit is million.
_BAHT_UNIT = "(บาท"
_MILLION_BAHT_UNIT = contract.MILLION_BAHT_MARKER.removesuffix(")")

# cp874 decodes almost any byte, so its text must also look like Thai/ASCII: characters outside
# printable ASCII, the Thai block and common typography, and Thai above/below marks that follow
# no Thai letter, are signs of another encoding (e.g. Latin-1 `é` becomes a Thai tone mark).
# cp874 is one byte per character, so the check counts bytes by the class of the character each
# decodes to (_CP874_BYTE_CLASSES), without decoding the text first.
_CP874_ODD_CHARACTER = (
    r"[^\t\n\r\x20-\x7e\x{0e01}-\x{0e5b}\x{00a0}\x{2018}\x{2019}\x{201c}\x{201d}"
    r"\x{2022}\x{2013}\x{2014}\x{2026}\x{20ac}]"
)
_THAI_CHARACTER = r"[\x{0e01}-\x{0e5b}]"
_THAI_LETTER_OR_MARK = r"[\x{0e01}-\x{0e4e}]"
_THAI_ABOVE_OR_BELOW_MARK = r"[\x{0e31}\x{0e34}-\x{0e3a}\x{0e47}-\x{0e4e}]"
_MAX_ODD_SHARE = 0.01
_CP874_SLICE = 1 << 20
_UTF8_CHECK_SLICE = 1 << 24
_WIDTH_SAMPLE = 1 << 20


class FileRejected(Exception):
    """A whole file that cannot be ingested; `code` is a file-rejection reason code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RawRead:
    """A raw file read as strings, with the facts the file manifest records.

    data columns: one String column per canonical name of the source, in contract order
    (optional columns the file lacks are null), then `_row_number` (Int64, the row number the
    office sees), `_sheet` (String; null for CSV), `_row_kind` (`data`, `blank_row`,
    `total_row`), `_extra` (JSON object of the unknown columns, header -> value; null when
    the file has none or they are all blank in that row), then `_raw_1`, `_raw_2`, ...
    (String): all the row's cells as read, in order (a sheet narrower than another of the
    same workbook has nulls in the last ones). Title rows are not in `data`; see `title_rows`.

    raw_headers: per sheet (`""` for a CSV file), the header of each raw cell (header text,
    repeated names made unique, `_column_<n>` for a cell without a header). The names are kept
    once per sheet rather than in every row: `raw_values(row)` gives a row's cells as a dict;
    landing stores the cells as these columns (pipeline/landing.py), and
    audit.quarantine shows them as a JSON object header -> value.

    raw_columns: per sheet, aligned with raw_headers, the canonical name each cell was read as
    (None for an unknown extra column), so personal values can be told apart from the others
    whatever header the office wrote (pipeline/validation/row_rules.py masks them for analysts).
    """

    data: pl.DataFrame
    source_name: str
    relative_path: str
    sha256: str
    size_bytes: int
    file_format: str  # "csv" | "xlsx"
    encoding: str | None  # "utf-8-sig" | "utf-8" | "cp874"; None for xlsx
    header_row_number: int  # of the first data sheet
    title_rows: int  # rows above the header (all data sheets)
    million_baht_columns: list[str]
    header_language: str  # "th" | "en" | "mixed"
    extra_columns: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)
    ignored_sheets: list[str] = field(default_factory=list)
    raw_headers: dict[str, list[str]] = field(default_factory=dict)
    raw_columns: dict[str, list[str | None]] = field(default_factory=dict)

    @property
    def raw_cell_columns(self) -> list[str]:
        return raw_cell_columns(self.data.columns)

    def raw_values(self, row: dict) -> dict:
        """A row of `data` (as a dict) -> its cells as read, header -> value."""
        headers = self.raw_headers[row["_sheet"] or ""]
        return dict(zip(headers, (row[c] for c in self.raw_cell_columns[: len(headers)]), strict=True))

    def row_kind_counts(self) -> dict[str, int]:
        """Rows per kind, including `title_row`."""
        counts = self.data.group_by("_row_kind").len()
        by_kind = dict(zip(counts["_row_kind"].to_list(), counts["len"].to_list(), strict=True))
        return {
            ROW_DATA: by_kind.get(ROW_DATA, 0),
            ROW_BLANK: by_kind.get(ROW_BLANK, 0),
            ROW_TOTAL: by_kind.get(ROW_TOTAL, 0),
            ROW_TITLE: self.title_rows,
        }


def raw_cell_columns(columns: list[str]) -> list[str]:
    """The `_raw_<n>` columns among `columns`, in cell order."""
    cells = [c for c in columns if c.startswith(RAW_CELL_PREFIX) and c[len(RAW_CELL_PREFIX) :].isdigit()]
    return sorted(cells, key=lambda c: int(c[len(RAW_CELL_PREFIX) :]))


# --------------------------------------------------------------------------------------------
# Header matching


def header_key(text: pl.Expr) -> pl.Expr:
    """How headers are compared: cleaned, lower-case, without spaces and underscores."""
    return clean_text(text).str.to_lowercase().str.replace_all(r"[\s_]", "")


def _thai_letters(text: str) -> bool:
    return any("\u0e01" <= character <= "\u0e5b" for character in text)


def header_lookup(source: contract.Source) -> pl.DataFrame:
    """Accepted header spellings: key, canonical, required, language, million_baht.

    Each column is found by its Thai header or its canonical name; a Thai header with `(บาท`
    is also accepted with `(ล้านบาท` (and a canonical `_thb` as `_mthb`), marking the column as
    being in million baht. Headers without Thai letters (e.g. `Cluster name (EN)`) carry no
    language signal.
    """
    rows: list[dict[str, object]] = []
    for column in source.columns:
        thai_language = "th" if _thai_letters(column.thai) else None
        spellings = [(column.thai, thai_language, False), (column.canonical, "en", False)]
        if _BAHT_UNIT in column.thai:
            million_header = column.thai.replace(_BAHT_UNIT, _MILLION_BAHT_UNIT)
            spellings.append((million_header, thai_language, True))
        if column.canonical.endswith("_thb"):
            spellings.append((column.canonical.removesuffix("_thb") + "_mthb", "en", True))
        rows += [
            {
                "spelling": spelling,
                "canonical": column.canonical,
                "required": column.required,
                "language": language,
                "million_baht": million,
            }
            for spelling, language, million in spellings
        ]
    lookup = (
        pl.DataFrame(rows, schema_overrides={"language": pl.String})
        .with_columns(key=header_key(pl.col("spelling")))
        .unique("key", keep="first", maintain_order=True)
    )
    return lookup.drop("spelling")


# --------------------------------------------------------------------------------------------
# Bytes -> grid of strings


def _reject_binary(content: bytes, name: str) -> None:
    for signature, what in _BINARY_SIGNATURES.items():
        if content.startswith(signature):
            raise FileRejected(FILE_UNREADABLE, f"{name}: the file is {what}, not a CSV or xlsx")
    if content.startswith(_UTF16_BOMS):
        raise FileRejected(ENCODING_UNKNOWN, f"{name}: UTF-16 text; only UTF-8 or cp874 accepted")
    if b"\x00" in content[:65536]:
        raise FileRejected(FILE_UNREADABLE, f"{name}: binary content (NUL bytes), not a CSV")


def _cp874_byte_classes() -> pl.DataFrame:
    """Per byte value (256 rows, in order): the class of the character cp874 decodes it to."""
    characters = [bytes([value]).decode("cp874", errors="replace") for value in range(256)]
    return pl.DataFrame({"character": characters}).select(
        odd=pl.col("character").str.contains(_CP874_ODD_CHARACTER),
        thai=pl.col("character").str.contains(_THAI_CHARACTER),
        letter_or_mark=pl.col("character").str.contains(_THAI_LETTER_OR_MARK),
        mark=pl.col("character").str.contains(_THAI_ABOVE_OR_BELOW_MARK),
    )


_CP874_BYTE_CLASSES = {name: column.to_numpy() for name, column in _cp874_byte_classes().to_dict().items()}


def _cp874_to_utf8(content: bytes, name: str) -> bytes:
    """cp874 bytes as UTF-8, converted and checked a slice at a time (one byte per character, so
    any cut is between characters), or FileRejected(encoding_unknown) when they are not cp874 or
    not plausible Thai/ASCII text."""
    mark, letter_or_mark = _CP874_BYTE_CLASSES["mark"], _CP874_BYTE_CLASSES["letter_or_mark"]
    byte_counts = np.zeros(256, dtype=np.int64)
    orphan_marks, previous_is_letter_or_mark = 0, False
    utf8_slices = []
    for start in range(0, len(content), _CP874_SLICE):  # one per MB
        piece = content[start : start + _CP874_SLICE]
        try:
            utf8_slices.append(piece.decode("cp874").encode("utf-8"))
        except UnicodeDecodeError as error:
            raise FileRejected(
                ENCODING_UNKNOWN, f"{name}: neither UTF-8 nor cp874 (byte {start + error.start} undecodable)"
            ) from error
        array = np.frombuffer(piece, dtype=np.uint8)
        byte_counts += np.bincount(array, minlength=256)
        is_mark, is_letter_or_mark = mark[array], letter_or_mark[array]
        orphan_marks += int(is_mark[0] and not previous_is_letter_or_mark)
        orphan_marks += int(np.count_nonzero(is_mark[1:] & ~is_letter_or_mark[:-1]))
        previous_is_letter_or_mark = bool(is_letter_or_mark[-1])
    odd = int(byte_counts[_CP874_BYTE_CLASSES["odd"]].sum())
    thai = int(byte_counts[_CP874_BYTE_CLASSES["thai"]].sum())
    if odd > _MAX_ODD_SHARE * len(content) or orphan_marks > _MAX_ODD_SHARE * max(thai, 1):
        raise FileRejected(
            ENCODING_UNKNOWN, f"{name}: not UTF-8, and as cp874 the text is not plausible Thai"
        )
    return b"".join(utf8_slices)


def _is_utf8(content: bytes) -> bool:
    # Checked by polars (SIMD UTF-8 validation, ~3x Python's decoder) in slices cut between
    # characters, so a large file is checked without holding a second copy of it.
    start = 0
    while start < len(content):
        end = min(start + _UTF8_CHECK_SLICE, len(content))
        # Cut between characters: back off continuation bytes (10xxxxxx); UTF-8 has at most 3
        # in a row, so in valid text this finds a boundary (in invalid text a slice fails).
        for _ in range(3):
            if end < len(content) and content[end] & 0xC0 == 0x80:
                end -= 1
        try:
            pl.Series([content[start:end]], dtype=pl.Binary).cast(pl.String, strict=True)
        except (pl.exceptions.ComputeError, pl.exceptions.InvalidOperationError):
            return False
        start = end
    return True


def _decode_csv(content: bytes, name: str) -> tuple[bytes, str]:
    """(UTF-8 bytes for polars, encoding name) or FileRejected(encoding_unknown)."""
    if content.startswith(_UTF8_BOM):
        if not _is_utf8(content):
            raise FileRejected(ENCODING_UNKNOWN, f"{name}: starts with a UTF-8 BOM but is not UTF-8")
        return content[len(_UTF8_BOM) :], "utf-8-sig"
    if _is_utf8(content):
        return content, "utf-8"
    return _cp874_to_utf8(content, name), "cp874"


def _csv_separator(content: bytes) -> str:
    head = content[:20000]
    counts = {separator: head.count(separator.encode()) for separator in _CANDIDATE_SEPARATORS}
    # Comma unless the head clearly uses another separator.
    best = max(_CANDIDATE_SEPARATORS, key=lambda separator: counts[separator])
    return "," if counts[","] > 0 or counts[best] == 0 else best


def _widest_line(content: bytes, separator: str) -> int:
    """Fields on the widest physical line (separators are ASCII, so bytes can be counted)."""
    array = np.frombuffer(content, dtype=np.uint8)
    line_ends = np.flatnonzero(array == ord("\n"))
    separators = np.flatnonzero(array == ord(separator))
    if separators.size == 0:
        return 1
    per_line = np.bincount(np.searchsorted(line_ends, separators))
    return int(per_line.max()) + 1


def _csv_grid(content: bytes, name: str) -> pl.DataFrame:
    """All CSV records as String columns c0..cN plus `_row_number` (the record number)."""
    if b"\n" not in content and b"\r" in content:
        content = content.replace(b"\r", b"\n")  # classic Mac line ends
    separator = _csv_separator(content)
    width = _widest_line(content[:_WIDTH_SAMPLE], separator)
    # polars sizes the table from the first line unless given a schema; a schema as wide as
    # the widest line of the head (short rows padded with nulls) makes room for the records.
    # A wider record further down (or a quoted multi-line one): polars reports it and the read
    # is retried wider, so fields are never dropped silently.
    while True:
        try:
            grid = pl.read_csv(
                content,
                has_header=False,
                separator=separator,
                schema={f"column_{i + 1}": pl.String for i in range(width)},
                missing_columns="insert",
                truncate_ragged_lines=False,
                raise_if_empty=False,
            )
            break
        except pl.exceptions.ComputeError as error:
            if "more fields" not in str(error) or width > 100_000:
                first_line = str(error).splitlines()[0]
                raise FileRejected(FILE_UNREADABLE, f"{name}: not a valid CSV ({first_line})") from error
            width *= 2
    grid = grid.rename({old: f"c{i}" for i, old in enumerate(grid.columns)})
    return grid.with_row_index("_row_number", offset=1).with_columns(
        pl.col("_row_number").cast(pl.Int64), _sheet=pl.lit(None, dtype=pl.String)
    )


def _xlsx_grids(content: bytes, name: str) -> list[tuple[str, pl.DataFrame]]:
    """(sheet name, grid) for every sheet; grid as in _csv_grid with the Excel row number."""
    try:
        workbook = fastexcel.read_excel(content)
        grids = []
        for sheet_name in workbook.sheet_names:
            # skip_rows=0 keeps leading empty rows (the default drops them), so position i is
            # Excel row i + 1. dtypes="string" makes dates `2564-03-15 00:00:00` and numbers
            # `44270` / `1250000.5` (no trailing `.0`).
            sheet = workbook.load_sheet(sheet_name, header_row=None, dtypes="string", skip_rows=0)
            grid = sheet.to_polars()
            grid = grid.rename({old: f"c{i}" for i, old in enumerate(grid.columns)})
            grid = grid.with_row_index("_row_number", offset=1).with_columns(
                pl.col("_row_number").cast(pl.Int64), _sheet=pl.lit(sheet_name, dtype=pl.String)
            )
            grids.append((sheet_name, grid))
    except fastexcel.FastExcelError as error:
        first_line = str(error).splitlines()[0]
        raise FileRejected(FILE_UNREADABLE, f"{name}: not a readable xlsx ({first_line})") from error
    return grids


def _cell_columns(grid: pl.DataFrame) -> list[str]:
    return [c for c in grid.columns if not c.startswith("_")]


def _has_any_value(grid: pl.DataFrame) -> bool:
    cells = _cell_columns(grid)
    if not cells or grid.height == 0:
        return False
    any_value = pl.any_horizontal(non_blank_or_null(pl.col(c)).is_not_null() for c in cells).any()
    # The head settles it for any real file; the full scan only runs for (nearly) empty ones.
    return bool(grid.head(1000).select(any_value).item()) or bool(grid.select(any_value).item())


# --------------------------------------------------------------------------------------------
# Grid -> RawRead pieces


@dataclass(frozen=True)
class _SheetTable:
    frame: pl.DataFrame
    header_row_number: int
    title_rows: int
    million_baht_columns: list[str]
    languages: set[str]
    extra_columns: list[str]
    raw_headers: list[str]
    raw_columns: list[str | None]


def _find_header_position(grid: pl.DataFrame, lookup: pl.DataFrame, source: contract.Source) -> int | None:
    cells = _cell_columns(grid)
    if not cells:
        return None
    needed = math.ceil(HEADER_MIN_REQUIRED_SHARE * len(source.required_names))
    candidates = (
        grid.head(HEADER_SEARCH_ROWS)
        .select(cells)
        .with_row_index("position")
        .unpivot(index="position", value_name="cell")
        .with_columns(key=header_key(pl.col("cell")))
        .join(lookup.filter(pl.col("required")), on="key")
        .group_by("position")
        .agg(pl.col("canonical").n_unique().alias("matched"))
        .filter(pl.col("matched") >= needed)
    )
    return None if candidates.height == 0 else int(candidates["position"].min())


def _unique_names(names: list[str]) -> list[str]:
    """Make header texts usable as JSON keys: repeated names get ` (2)`, ` (3)`..."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique


def _sheet_table(
    grid: pl.DataFrame, header_position: int, lookup: pl.DataFrame, source: contract.Source, where: str
) -> _SheetTable:
    cells = _cell_columns(grid)
    header_texts = [grid[c][header_position] for c in cells]
    headers = (
        pl.DataFrame({"column": cells, "text": header_texts}, schema={"column": pl.String, "text": pl.String})
        .with_row_index("position")
        .with_columns(key=header_key(pl.col("text")))
        .join(lookup, on="key", how="left", maintain_order="left")
        # A canonical column named twice: the first one counts, later ones are kept as extras.
        .with_columns(
            canonical=pl.when(pl.int_range(pl.len()).over("canonical") == 0).then("canonical")
        )
    )
    matched = headers.filter(pl.col("canonical").is_not_null())
    missing = [name for name in source.required_names if name not in set(matched["canonical"])]
    if missing:
        raise FileRejected(
            REQUIRED_COLUMNS_MISSING,
            f"{where}: header row {grid['_row_number'][header_position]} lacks required "
            f"column(s) {', '.join(missing)} "
            f"(Thai: {', '.join(c.thai for c in source.columns if c.canonical in missing)})",
        )

    body = grid.slice(header_position + 1)
    # Columns with neither a header nor any value (e.g. trailing separators) carry nothing.
    has_values = body.select(pl.col(cells).is_not_null().any()).row(0) if body.height else ()
    columns_with_values = [c for c, has_value in zip(cells, has_values, strict=False) if has_value]
    kept = headers.filter(pl.col("text").is_not_null() | pl.col("column").is_in(columns_with_values))
    json_names = _unique_names(
        [
            text.strip() if text and text.strip() else f"_column_{position + 1}"
            for text, position in zip(kept["text"].to_list(), kept["position"].to_list(), strict=True)
        ]
    )
    cell_for_json = dict(zip(kept["column"].to_list(), json_names, strict=True))
    canonical_of = {
        row["column"]: row["canonical"] for row in matched.select("column", "canonical").to_dicts()
    }
    extra = [c for c in kept["column"].to_list() if c not in canonical_of]

    # The row kind is decided from trimmed cells (regex-free, cheap enough to compute inline).
    all_required_present = pl.all_horizontal(
        non_blank_or_null(pl.col(column)).is_not_null()
        for column, canonical in canonical_of.items()
        if canonical in source.required_names
    )
    row_kind = let(
        pl.coalesce(non_blank_or_null(pl.col(c)) for c in cells),
        lambda first_value: pl.when(first_value.is_null())
        .then(pl.lit(ROW_BLANK))
        .when(first_value.str.starts_with(contract.TOTAL_ROW_MARKER) & ~all_required_present)
        .then(pl.lit(ROW_TOTAL))
        .otherwise(pl.lit(ROW_DATA)),
    )
    if extra:
        any_extra = pl.any_horizontal(pl.col(c).is_not_null() for c in extra)
        extra_json = pl.when(any_extra).then(
            pl.struct([pl.col(c).alias(cell_for_json[c]) for c in extra]).struct.json_encode()
        )
    else:
        extra_json = pl.lit(None, dtype=pl.String)

    absent = [name for name in source.canonical_names if name not in set(canonical_of.values())]
    frame = body.select(
        *[pl.col(column).alias(canonical) for column, canonical in canonical_of.items()],
        *[pl.lit(None, dtype=pl.String).alias(name) for name in absent],
        extra_json.alias("_extra"),
        pl.col("_row_number"),
        pl.col("_sheet"),
        row_kind.alias("_row_kind"),
        # The cells as read; their header names are kept once, in raw_headers.
        *[pl.col(column).alias(f"{RAW_CELL_PREFIX}{n}") for n, column in enumerate(cell_for_json, start=1)],
    ).select(*source.canonical_names, *LINEAGE_COLUMNS, pl.col(RAW_CELL_PATTERN))

    million = matched.filter(pl.col("million_baht"))["canonical"].to_list()
    languages = set(matched["language"].drop_nulls().to_list())
    return _SheetTable(
        frame=frame,
        header_row_number=int(grid["_row_number"][header_position]),
        title_rows=header_position,
        million_baht_columns=million,
        languages=languages,
        extra_columns=[cell_for_json[c] for c in extra],
        raw_headers=list(cell_for_json.values()),
        raw_columns=[canonical_of.get(column) for column in cell_for_json],
    )


def _relative_path(path: Path, raw_root: Path) -> str:
    try:
        return path.resolve().relative_to(raw_root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def read_raw_file(path: Path, source: contract.Source, raw_root: Path, sha256: str | None = None) -> RawRead:
    """Read one raw file of `source`; raise FileRejected when the whole file is unusable.

    `sha256`: the content's hash when the caller has just computed it (landing), else computed.
    """
    path = Path(path)
    relative_path = _relative_path(path, Path(raw_root))
    try:
        content = path.read_bytes()
    except OSError as error:
        raise FileRejected(FILE_UNREADABLE, f"{relative_path}: cannot be opened ({error})") from error
    if not content:
        raise FileRejected(FILE_EMPTY, f"{relative_path}: the file has zero bytes")

    if content.startswith(_XLSX_SIGNATURE):
        file_format, encoding = "xlsx", None
        grids = _xlsx_grids(content, relative_path)
    else:
        _reject_binary(content, relative_path)
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            raise FileRejected(
                FILE_UNREADABLE, f"{relative_path}: named .xlsx but is not a zip-based workbook"
            )
        file_format = "csv"
        csv_bytes, encoding = _decode_csv(content, relative_path)
        grids = [("", _csv_grid(csv_bytes, relative_path))]
        del csv_bytes
    sha256 = sha256 or hashlib.sha256(content).hexdigest()
    size_bytes = len(content)
    del content

    grids = [(sheet, grid) for sheet, grid in grids if _has_any_value(grid)]
    if not grids:
        raise FileRejected(FILE_EMPTY, f"{relative_path}: the file has no rows with any value")

    lookup = header_lookup(source)
    tables: list[_SheetTable] = []
    sheets: list[str] = []
    ignored: list[str] = []
    raw_headers: dict[str, list[str]] = {}
    raw_columns: dict[str, list[str | None]] = {}
    for sheet, grid in grids:
        where = f"{relative_path} sheet {sheet!r}" if file_format == "xlsx" else relative_path
        position = _find_header_position(grid, lookup, source)
        if position is None:
            ignored.append(sheet)
            continue
        tables.append(_sheet_table(grid, position, lookup, source, where))
        sheets.append(sheet)
        raw_headers[sheet] = tables[-1].raw_headers
        raw_columns[sheet] = tables[-1].raw_columns
    if not tables:
        raise FileRejected(
            HEADER_NOT_FOUND,
            f"{relative_path}: no row among the first {HEADER_SEARCH_ROWS}"
            + (" of any sheet" if file_format == "xlsx" else "")
            + f" carries at least {HEADER_MIN_REQUIRED_SHARE:.0%} of the {source.name} "
            f"required headers ({', '.join(source.required_names)})",
        )

    languages = set().union(*(t.languages for t in tables))
    header_language = "mixed" if len(languages) > 1 else (languages.pop() if languages else "en")
    return RawRead(
        # Diagonal: sheets of one workbook may have different numbers of cells.
        data=pl.concat([t.frame for t in tables], how="diagonal"),
        source_name=source.name,
        relative_path=relative_path,
        sha256=sha256,
        size_bytes=size_bytes,
        file_format=file_format,
        encoding=encoding,
        header_row_number=tables[0].header_row_number,
        title_rows=sum(t.title_rows for t in tables),
        million_baht_columns=sorted({c for t in tables for c in t.million_baht_columns}),
        header_language=header_language,
        extra_columns=list(dict.fromkeys(c for t in tables for c in t.extra_columns)),
        sheets=sheets if file_format == "xlsx" else [],
        ignored_sheets=ignored if file_format == "xlsx" else [],
        raw_headers=raw_headers,
        raw_columns=raw_columns,
    )


__all__ = [
    "ENCODING_UNKNOWN",
    "FILE_EMPTY",
    "FILE_UNREADABLE",
    "HEADER_NOT_FOUND",
    "REQUIRED_COLUMNS_MISSING",
    "ROW_BLANK",
    "ROW_DATA",
    "ROW_TITLE",
    "ROW_TOTAL",
    "FileRejected",
    "RawRead",
    "header_lookup",
    "read_raw_file",
]
