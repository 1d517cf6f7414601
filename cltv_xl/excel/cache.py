"""A small in-process cache for the worksheet functions: several cells, one computation.

A workbook often has several formulas over the same ranges (``=BGNBD_FIT(...)`` beside
``=CLV_PREDICT(...)``, or one ``=HISTORICAL_CLV(..., "C001")`` per customer). Each call
arrives separately, so without a cache every cell cleans the orders and fits the models
again. :data:`CACHE` keeps the most recent results (cleaned orders, RFM summaries, fitted
models) keyed by a digest of the input cells and every option that changes the result, and
evicts the least recently used entry beyond :data:`MAX_ENTRIES`. It lives as long as the
Python process (the xlwings Server worker, the Lite kernel, the classic COM server).

Cached objects are treated as read-only by every caller.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np

#: Entries kept; each holds the results for one set of ranges and options.
MAX_ENTRIES = 32

_T = TypeVar("_T")


class LRUCache:
    """A thread-safe least-recently-used cache of computed values."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, build: Callable[[], _T]) -> _T:
        """The value stored under ``key``, computing it with ``build()`` the first time.

        An exception from ``build`` is not cached: the next call tries again.
        """
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
            self.misses += 1
        value = build()
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)


#: The process-wide cache of the worksheet functions.
CACHE = LRUCache()


def _column_bytes(values: np.ndarray) -> bytes:
    """Bytes that identify a column of raw cells, value and type (1, 1.0 and "1" differ).

    A pickle of the cells is one C-speed pass that keeps each cell's type.
    """
    return pickle.dumps(np.asarray(values, dtype=object).tolist(), protocol=5)


def digest(*parts: Any) -> str:
    """A hex digest of arrays of cells and plain option values (order matters)."""
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        if isinstance(part, np.ndarray):
            h.update(b"A%d:" % len(part))
            h.update(_column_bytes(part))
        else:
            h.update(b"O:" + repr(part).encode("utf-8", "surrogatepass"))
        h.update(b"|")
    return h.hexdigest()
