from cart import cart_total
from pricing import compute_total


def test_cart_total():
    assert cart_total([{"price": 2}, {"price": 3}]) == 5


def test_compute_total():
    assert compute_total([1, 2]) == 3
