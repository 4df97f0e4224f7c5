import pytest

from lru import LRUCache


def test_get_missing_returns_default():
    cache = LRUCache(2)
    assert cache.get("a") is None
    assert cache.get("a", 0) == 0
    assert cache.misses == 2


def test_put_then_get():
    cache = LRUCache(2)
    cache.put("a", 1)
    assert cache.get("a") == 1
    assert cache.hits == 1
    assert len(cache) == 1


def test_evicts_least_recently_used():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")
    assert cache.put("c", 3) == "b"
    assert "b" not in cache
    assert cache.keys() == ["a", "c"]


def test_update_does_not_evict():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.put("a", 10) is None
    assert cache.keys() == ["b", "a"]
    assert cache.get("a") == 10


def test_capacity_must_be_positive():
    with pytest.raises(ValueError):
        LRUCache(0)
