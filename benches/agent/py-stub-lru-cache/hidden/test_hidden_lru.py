from lru import LRUCache


def test_hidden_capacity_one():
    cache = LRUCache(1)
    assert cache.put("x", 1) is None
    assert cache.put("y", 2) == "x"
    assert cache.get("x") is None
    assert cache.get("y") == 2
    assert (cache.hits, cache.misses) == (1, 1)


def test_hidden_contains_is_not_a_use():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert "a" in cache
    assert cache.put("c", 3) == "a"


def test_hidden_falsy_values_are_hits():
    cache = LRUCache(3)
    cache.put("zero", 0)
    cache.put("none", None)
    assert cache.get("zero", 5) == 0
    assert cache.get("none", 5) is None
    assert cache.hits == 2 and cache.misses == 0


def test_hidden_many_operations():
    cache = LRUCache(3)
    evicted = [cache.put(i, i * i) for i in range(6)]
    assert evicted == [None, None, None, 0, 1, 2]
    cache.get(3)
    cache.put(6, 36)
    assert cache.keys() == [5, 3, 6]
