from pricing import compute_total


def cart_total(cart):
    return compute_total(item["price"] for item in cart)
