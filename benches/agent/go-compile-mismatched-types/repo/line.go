package orders

import "fmt"

// Line is one product on an order.
type Line struct {
	SKU   string
	Price float64 // unit price
	Qty   int
}

// Validate reports a problem with the line, or nil.
func (l Line) Validate() error {
	if l.SKU == "" {
		return fmt.Errorf("line without SKU")
	}
	if l.Qty <= 0 {
		return fmt.Errorf("%s: quantity must be positive, got %d", l.SKU, l.Qty)
	}
	if l.Price < 0 {
		return fmt.Errorf("%s: negative price", l.SKU)
	}
	return nil
}
