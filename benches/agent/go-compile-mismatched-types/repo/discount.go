package orders

// Discount reduces an order's total: a percentage of the subtotal, a fixed
// amount, or both (percentage first). MinItems, when set, is the number of
// units the order needs before the discount applies.
type Discount struct {
	Percent  float64
	Fixed    float64
	MinItems int
}

// Amount is how much the discount takes off order o.
func (d Discount) Amount(o Order) float64 {
	if d.MinItems > 0 && o.Items() < d.MinItems {
		return 0
	}
	return o.Subtotal()*d.Percent/100 + d.Fixed
}
