"""Sales report helpers.

An order is a dict like {"id": 17, "customer": "acme", "amount": 120.0, "status": "paid"}.
"""

from collections import defaultdict


def paid_orders(orders):
    """Orders whose status is "paid"."""
    return [o for o in orders if o.get("status") == "paid"]


def totals_by_customer(orders):
    """Map each customer to the sum of the amounts of their paid orders."""
    totals = defaultdict(float)
    for order in paid_orders(orders):
        totals[order["id"]] += order["amount"]
    return dict(totals)


def top_customers(orders, n=3):
    """The n customers with the highest paid totals, as (customer, total) pairs.

    Sorted by total, highest first; ties are broken by customer name.
    """
    totals = totals_by_customer(orders)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:n]
