package semver

import (
	"testing"
)

func mustParse(t *testing.T, s string) Version {
	t.Helper()
	v, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return v
}

func TestParse(t *testing.T) {
	v := mustParse(t, "v1.2.3-rc.1+sha.5114f85")
	if v.Major != 1 || v.Minor != 2 || v.Patch != 3 || v.String() != "1.2.3-rc.1+sha.5114f85" {
		t.Fatalf("Parse gave %+v", v)
	}
	if _, err := Parse("1.2"); err == nil {
		t.Fatal("Parse(1.2) should fail")
	}
}

func TestCompare(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1.0.0", "1.0.0", 0},
		{"1.0.0", "2.0.0", -1},
		{"1.10.0", "1.9.0", 1},
		{"1.0.10", "1.0.9", 1},
		{"1.0.0-rc.1", "1.0.0", -1},
		{"1.0.0-alpha", "1.0.0-alpha.1", -1},
		{"1.0.0-alpha.1", "1.0.0-alpha.beta", -1},
		{"1.0.0-rc.2", "1.0.0-rc.10", -1},
		{"1.0.0+build.1", "1.0.0+build.2", 0},
	}
	for _, c := range cases {
		got := Compare(mustParse(t, c.a), mustParse(t, c.b))
		if got != c.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestSort(t *testing.T) {
	in := []string{"1.0.0", "1.0.0-rc.1", "0.9.12", "1.0.0-beta", "1.0.0-alpha.1"}
	vs := make([]Version, len(in))
	for i, s := range in {
		vs[i] = mustParse(t, s)
	}
	Sort(vs)
	want := []string{"0.9.12", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-rc.1", "1.0.0"}
	for i, v := range vs {
		if v.String() != want[i] {
			t.Fatalf("sorted = %v, want %v", vs, want)
		}
	}
}
