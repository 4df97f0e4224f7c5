package orders

import "testing"

func sample() Order {
	return Order{ID: "o-1", Lines: []Line{{"tea", 4.5, 2}, {"mug", 12.25, 1}}}
}

func TestSubtotal(t *testing.T) {
	if got := sample().Subtotal(); got != 21.25 {
		t.Fatalf("Subtotal = %v, want 21.25", got)
	}
}

func TestTotalWithDiscount(t *testing.T) {
	o := sample()
	o.Discount = Discount{Percent: 10, Fixed: 1}
	if got := o.Total(); got != 18.13 {
		t.Fatalf("Total = %v, want 18.13", got)
	}
}

func TestDiscountNeedsMinItems(t *testing.T) {
	o := sample()
	o.Discount = Discount{Fixed: 5, MinItems: 4}
	if got := o.Total(); got != 21.25 {
		t.Fatalf("Total = %v, want 21.25", got)
	}
}

func TestValidate(t *testing.T) {
	if err := (Line{"x", 1, 0}).Validate(); err == nil {
		t.Fatal("zero quantity should be invalid")
	}
}
