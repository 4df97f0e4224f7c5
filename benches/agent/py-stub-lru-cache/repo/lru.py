"""A least-recently-used cache."""

from collections import OrderedDict


class LRUCache:
    """A mapping with at most `capacity` entries that evicts the least recently used one.

    An entry is "used" when it is inserted, updated with put, or read with get.
    `key in cache` and len(cache) do not count as uses.
    """

    def __init__(self, capacity):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.hits = 0
        self.misses = 0
        self._data = OrderedDict()

    def __len__(self):
        return len(self._data)

    def __contains__(self, key):
        return key in self._data

    def keys(self):
        """Keys from least to most recently used."""
        return list(self._data)

    def get(self, key, default=None):
        """Value stored for key, or default when key is absent.

        A found key becomes the most recently used one and counts as a hit
        (self.hits += 1); an absent key counts as a miss (self.misses += 1).
        """
        raise NotImplementedError

    def put(self, key, value):
        """Store value under key, making key the most recently used entry.

        Updating an existing key never evicts anything. Inserting a new key into
        a full cache first evicts the least recently used entry. Returns the
        evicted key, or None when nothing was evicted.
        """
        raise NotImplementedError
