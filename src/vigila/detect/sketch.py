"""Log-bucket quantile sketch: bounded, mergeable, accurate in the upper tail.

Values fall into bins whose bounds grow geometrically, so every quantile is
known within ``accuracy`` relative error. When more than ``max_bins`` bins are
occupied the lowest two merge, which keeps the state bounded and leaves the
upper quantiles (p90, p99) exact to the bin.

>>> sk = LogSketch()
>>> for v in range(1, 1001):
...     sk.learn_one(float(v))
>>> abs(sk.quantile(0.99) - 990.0) / 990.0 <= 0.02
True
"""

from __future__ import annotations

import math
import struct

from vigila.detect.state import StateError

#: Magnitudes below this count as zero.
_TINY = 1e-9
_HEADER = struct.Struct("<B")
_BIN = struct.Struct("<hI")
_MAX_KEY = 32_767


class LogSketch:
    """Counts per log-spaced bin; ``learn_one`` adds a value, ``quantile`` reads one."""

    def __init__(self, accuracy: float = 0.02, max_bins: int = 24) -> None:
        if not 0.01 <= accuracy < 1.0 or not 2 <= max_bins <= 255:
            raise ValueError(
                f"need 0.01 <= accuracy < 1 and 2 <= max_bins <= 255, got {accuracy}, {max_bins}"
            )
        self.gamma = (1.0 + accuracy) / (1.0 - accuracy)
        self._log_gamma = math.log(self.gamma)
        self.max_bins = max_bins
        self.bins: dict[int, int] = {}
        self.count = 0

    def _key(self, x: float) -> int:
        m = abs(x)
        if m < _TINY:
            return 0
        # Keys are stored in 16 bits; only magnitudes beyond 1e270 share the top bin.
        k = min(math.ceil(math.log(m / _TINY) / self._log_gamma) + 1, _MAX_KEY)
        return k if x > 0.0 else -k

    def _value(self, key: int) -> float:
        if key == 0:
            return 0.0
        upper = _TINY * self.gamma ** (abs(key) - 1)
        v = 2.0 * upper / (1.0 + self.gamma)
        return v if key > 0 else -v

    def learn_one(self, x: float) -> None:
        """Add one value."""
        k = self._key(x)
        self.bins[k] = self.bins.get(k, 0) + 1
        self.count += 1
        if len(self.bins) > self.max_bins:
            self._collapse()

    def _collapse(self) -> None:
        while len(self.bins) > self.max_bins:
            low, second = sorted(self.bins)[:2]
            self.bins[second] += self.bins.pop(low)

    def merge(self, other: LogSketch) -> None:
        """Add the counts of a sketch with the same accuracy."""
        for k, c in other.bins.items():
            self.bins[k] = self.bins.get(k, 0) + c
        self.count += other.count
        self._collapse()

    def quantile(self, q: float) -> float:
        """The ``q`` quantile (nearest rank), or NaN when empty."""
        if not self.count:
            return math.nan
        rank = q * (self.count - 1)
        seen = 0
        for k in sorted(self.bins):
            seen += self.bins[k]
            if seen > rank:
                return self._value(k)
        return self._value(max(self.bins))

    def to_state(self) -> bytes:
        """Bin keys and counts: 1 + 6 bytes per occupied bin."""
        return _HEADER.pack(len(self.bins)) + b"".join(
            _BIN.pack(k, c) for k, c in self.bins.items()
        )

    def from_state(self, state: bytes) -> None:
        """Restore bins saved by ``to_state`` (same accuracy)."""
        (n,) = _HEADER.unpack_from(state)
        if len(state) != _HEADER.size + n * _BIN.size:
            raise StateError(
                f"LogSketch: state is {len(state)} bytes, expected {_HEADER.size + n * _BIN.size}"
            )
        self.bins = dict(_BIN.iter_unpack(state[_HEADER.size :]))
        self.count = sum(self.bins.values())
