from report import paid_orders, top_customers, totals_by_customer

ORDERS = [
    {"id": 1, "customer": "acme", "amount": 100.0, "status": "paid"},
    {"id": 2, "customer": "globex", "amount": 250.0, "status": "paid"},
    {"id": 3, "customer": "acme", "amount": 200.0, "status": "paid"},
    {"id": 4, "customer": "initech", "amount": 80.0, "status": "refunded"},
    {"id": 5, "customer": "initech", "amount": 40.0, "status": "paid"},
]


def test_paid_orders():
    assert [o["id"] for o in paid_orders(ORDERS)] == [1, 2, 3, 5]


def test_totals_by_customer():
    assert totals_by_customer(ORDERS) == {"acme": 300.0, "globex": 250.0, "initech": 40.0}


def test_top_customers():
    assert top_customers(ORDERS, n=2) == [("acme", 300.0), ("globex", 250.0)]
