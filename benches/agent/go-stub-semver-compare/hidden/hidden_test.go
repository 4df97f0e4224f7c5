package semver

import "testing"

func TestHiddenSemverSpecOrder(t *testing.T) {
	// The precedence example from the semver 2.0.0 specification, in ascending order.
	order := []string{
		"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
		"1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.0.0", "2.1.0", "2.1.1",
	}
	for i := range order {
		for j := range order {
			a, _ := Parse(order[i])
			b, _ := Parse(order[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := Compare(a, b); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
}

func TestHiddenNumericVsAlpha(t *testing.T) {
	a, _ := Parse("1.0.0-2")
	b, _ := Parse("1.0.0-10")
	c, _ := Parse("1.0.0-a")
	if Compare(a, b) != -1 || Compare(b, c) != -1 || Compare(c, a) != 1 {
		t.Fatal("numeric identifiers must compare numerically and sort before alphanumeric ones")
	}
	d, _ := Parse("3.0.0+x")
	e, _ := Parse("v3.0.0")
	if Compare(d, e) != 0 {
		t.Fatal("build metadata must be ignored")
	}
}
