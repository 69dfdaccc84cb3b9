"""Float32 copies of f16/quantized weights, kept between evaluations (ggml's CPU_REPACK idea).

A MUL_MAT with an f16 or quantized src0 converts src0 to float32 before BLAS. When src0 sits
in a buffer whose usage is WEIGHTS, its bytes only change when someone writes that buffer, so
the converted copy is kept here, keyed by (buffer, data offset, type, ne, nb), filled on first
use and dropped when a write overlaps its bytes (set_tensor, memset, cpy into the buffer, a
CPU node computed into it) or the buffer is cleared, reset or freed. COMPUTE and ANY buffers
are never cached: their contents change every evaluation.

The copies are bounded process-wide by ``GGSCHED_CPU_WEIGHT_CACHE_MB`` (default 1024; 0
turns the cache off); the least recently used copy goes first, and a weight bigger than the
cap is converted on every use as without the cache.

NOTE: writes that bypass the Buffer methods and the CPU backend (another backend writing
``host_array()`` directly) are not seen; call ``WEIGHT_CACHE.invalidate(buffer)`` after them.
"""

from __future__ import annotations

import collections
import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ggsched.backend import Buffer, BufferUsage
from ggsched.errors import GGSchedError
from ggsched.tensor import Tensor

ENV = "GGSCHED_CPU_WEIGHT_CACHE_MB"
DEFAULT_MB = 1024
MB = 1 << 20

Key = tuple  # (id(buffer), data, type, ne, nb)
Converter = Callable[[Tensor], np.ndarray]


def cap_from_env() -> int:
    """The cap in bytes from GGSCHED_CPU_WEIGHT_CACHE_MB (a number of MiB ≥ 0)."""
    text = os.environ.get(ENV, "").strip()
    if not text:
        return DEFAULT_MB * MB
    try:
        mb = float(text)
    except ValueError:
        mb = -1.0
    if not mb >= 0:
        raise GGSchedError(f"{ENV}={text!r}: expected a number of MiB >= 0 (0 disables)")
    return int(mb * MB)


@dataclass
class Entry:
    value: np.ndarray  # the float32 values, shape t.shape, C-contiguous
    start: int  # the byte range of the weight in its buffer
    end: int


class WeightCache:
    """An LRU of converted weights, bounded by ``cap_bytes`` (0: nothing is kept)."""

    def __init__(self, cap_bytes: int | None = None) -> None:
        self._cap = cap_bytes  # None: read GGSCHED_CPU_WEIGHT_CACHE_MB on first use
        self.nbytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: collections.OrderedDict[Key, Entry] = collections.OrderedDict()
        self._by_buffer: dict[int, set[Key]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def cap_bytes(self) -> int:
        if self._cap is None:
            self._cap = cap_from_env()
        return self._cap

    @cap_bytes.setter
    def cap_bytes(self, value: int) -> None:
        self._cap = value
        self._make_room(0)

    def get(self, buf: Buffer, t: Tensor, convert: Converter) -> np.ndarray | None:
        """t's float32 values from the cache, converted with ``convert(t)`` on a miss; None
        when t is not cacheable (not in a WEIGHTS buffer, or bigger than the cap)."""
        size = t.nelements * 4
        if buf.usage != BufferUsage.WEIGHTS or size > self.cap_bytes:
            return None
        key = (id(buf), t.data, t.type, t.ne, t.nb)
        entry = self._entries.get(key)
        if entry is not None:
            self.hits += 1
            self._entries.move_to_end(key)
            return entry.value
        self.misses += 1
        value = np.ascontiguousarray(convert(t))
        self._make_room(size)
        self._add(buf, key, Entry(value, t.data, t.data + t.nbytes))
        return value

    def invalidate(self, buf: Buffer, start: int = 0, size: int | None = None) -> None:
        """Drop buf's copies whose bytes overlap [start, start + size) (all of them: None)."""
        keys = self._by_buffer.get(id(buf))
        if not keys:
            return
        end = None if size is None else start + size
        for key in list(keys):
            e = self._entries[key]
            if end is None or (e.start < end and start < e.end):
                self._remove(key)

    def clear(self) -> None:
        """Drop every copy and zero the hit/miss counts."""
        for key in list(self._entries):
            self._remove(key)
        self.hits = self.misses = 0

    def _add(self, buf: Buffer, key: Key, entry: Entry) -> None:
        keys = self._by_buffer.get(id(buf))
        if keys is None:
            keys = self._by_buffer[id(buf)] = set()
            # NOTE: keyed by id(buf): drop the copies before the id can be reused
            weakref.finalize(buf, self._forget_buffer, id(buf))
        keys.add(key)
        self._entries[key] = entry
        self.nbytes += entry.value.nbytes

    def _make_room(self, size: int) -> None:
        while self._entries and self.nbytes + size > self.cap_bytes:
            self._remove(next(iter(self._entries)))

    def _remove(self, key: Key) -> None:
        entry = self._entries.pop(key)
        self.nbytes -= entry.value.nbytes
        keys = self._by_buffer[key[0]]
        keys.discard(key)

    def _forget_buffer(self, buf_id: int) -> None:
        for key in list(self._by_buffer.pop(buf_id, ())):
            entry = self._entries.pop(key, None)
            if entry is not None:
                self.nbytes -= entry.value.nbytes


WEIGHT_CACHE = WeightCache()
