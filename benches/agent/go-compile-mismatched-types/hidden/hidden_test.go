package orders

import "testing"

func TestHiddenSubtotalFractions(t *testing.T) {
	o := Order{Lines: []Line{{"a", 0.5, 3}, {"b", 2.25, 4}, {"c", 10, 1}}}
	if got := o.Subtotal(); got != 20.5 {
		t.Fatalf("Subtotal = %v, want 20.5", got)
	}
	if got := (Order{}).Subtotal(); got != 0 {
		t.Fatalf("empty Subtotal = %v", got)
	}
}

func TestHiddenTotalNeverNegative(t *testing.T) {
	o := Order{Lines: []Line{{"a", 1.99, 1}}, Discount: Discount{Fixed: 5}}
	if got := o.Total(); got != 0 {
		t.Fatalf("Total = %v, want 0", got)
	}
}
