package texttable

import "testing"

func TestHiddenLongerRow(t *testing.T) {
	got := Render([][]string{{"name", "qty"}, {"apple", "3"}, {"pear", "5", "ripe"}})
	want := "name  | qty |\n" +
		"------+-----+-----\n" +
		"apple | 3   |\n" +
		"pear  | 5   | ripe\n"
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestHiddenEmptyHeader(t *testing.T) {
	got := Render([][]string{{}, {"a", "bb"}})
	want := "  |\n--+---\na | bb\n"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestHiddenUnicodeWidths(t *testing.T) {
	got := Render([][]string{{"café", "n"}, {"x", "1", "été"}})
	want := "café | n |\n-----+---+----\nx    | 1 | été\n"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
