def compute_total(prices):
    """Sum of the prices."""
    return sum(prices)
