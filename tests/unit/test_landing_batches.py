"""How landing groups new files into batches read and normalised together."""

from pipeline.landing import BATCH_BYTES, _batches


def _file(name: str, size: int) -> tuple:
    return (name, f"sha-{name}", size, "stat")


def test_small_files_share_a_batch_a_large_one_is_alone_and_order_is_kept():
    files = [
        _file("empty.csv", 0),
        _file("a.csv", BATCH_BYTES // 4),
        _file("b.csv", BATCH_BYTES // 4),
        _file("large.csv", BATCH_BYTES * 2),
        _file("c.csv", BATCH_BYTES // 2),
        _file("d.csv", BATCH_BYTES // 2 + 1),
    ]
    batches = _batches(files)
    assert [[f[0] for f in batch] for batch in batches] == [
        ["empty.csv", "a.csv", "b.csv"], ["large.csv"], ["c.csv"], ["d.csv"],
    ]
    assert [f for batch in batches for f in batch] == files  # every file once, in order
    assert _batches([]) == []
