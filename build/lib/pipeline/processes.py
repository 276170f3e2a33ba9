"""Whether a process still runs: leftovers named by a process's pid (landing's spill folders, a
publish's partial copy) are removed only once it has gone."""

from __future__ import annotations

import os


def process_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: no signal, only the check that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True
