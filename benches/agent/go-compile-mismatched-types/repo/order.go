// Package orders computes order totals.
package orders

import "math"

// Order is a customer order.
type Order struct {
	ID       string
	Lines    []Line
	Discount Discount
}

// Items is the number of units on the order.
func (o Order) Items() int {
	n := 0
	for _, l := range o.Lines {
		n += l.Qty
	}
	return n
}

// Subtotal is the sum of price times quantity over all lines.
func (o Order) Subtotal() float64 {
	total := 0
	for _, l := range o.Lines {
		total += l.Price * l.Qty
	}
	return total
}

// Total is the subtotal minus the discount, rounded to cents and never negative.
func (o Order) Total() float64 {
	t := o.Subtotal() - o.Discount.Amount(o)
	if t < 0 {
		t = 0
	}
	return math.Round(t*100) / 100
}
