"""Raw-file reading and value normalisation (pure polars; no Dagster).

- read.read_raw_file(path, source, raw_root) -> RawRead, or raises FileRejected(code, message)
- normalise.normalise(source, raw) -> typed polars DataFrame with lineage, flags and repairs;
  normalise.normalise_files(source, reads): the same for several files in one pass
- value parsers (polars expressions): text, years, dates, amounts, ids, names, provinces, codes
"""

from pipeline.ingest.normalise import normalise
from pipeline.ingest.read import FileRejected, RawRead, read_raw_file

__all__ = ["FileRejected", "RawRead", "normalise", "read_raw_file"]
