from report import top_customers, totals_by_customer


def test_hidden_ties_and_default_n():
    orders = [
        {"id": 10, "customer": "zeta", "amount": 5.0, "status": "paid"},
        {"id": 11, "customer": "alpha", "amount": 5.0, "status": "paid"},
        {"id": 12, "customer": "beta", "amount": 1.0, "status": "paid"},
        {"id": 13, "customer": "gamma", "amount": 0.5, "status": "paid"},
        {"id": 14, "customer": "beta", "amount": 3.0, "status": "paid"},
    ]
    assert top_customers(orders) == [("alpha", 5.0), ("zeta", 5.0), ("beta", 4.0)]


def test_hidden_unpaid_ignored():
    orders = [{"id": 1, "customer": "x", "amount": 9.0, "status": "pending"}]
    assert totals_by_customer(orders) == {}
