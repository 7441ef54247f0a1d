"""Optional glibc malloc tuning for a process dedicated to serving the sandbox.

Rendering a page allocates numpy temporaries of a few hundred KiB. glibc serves blocks above
``M_MMAP_THRESHOLD`` (128 KiB by default) with fresh ``mmap`` calls and trims freed memory back
to the kernel, so every request page-faults its buffers in again: about half the cost of a
cold 1000-row page. Raising both thresholds keeps that memory in the heap for reuse. It is
process-wide, hence only applied by the blocking runner (``cl3 sandbox``), never on import.
"""

from __future__ import annotations

import ctypes
import ctypes.util

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def tune_malloc(mmap_threshold: int = 64 << 20, trim_threshold: int = 256 << 20) -> bool:
    """Best effort; returns False where glibc's ``mallopt`` is not available."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    ok = mallopt(_M_MMAP_THRESHOLD, mmap_threshold) == 1
    return mallopt(_M_TRIM_THRESHOLD, trim_threshold) == 1 and ok
