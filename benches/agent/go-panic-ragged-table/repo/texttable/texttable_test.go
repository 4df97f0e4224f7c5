package texttable

import "testing"

func TestRender(t *testing.T) {
	got := Render([][]string{{"name", "qty"}, {"apple", "3"}, {"fig", "12"}})
	want := "name  | qty\n" +
		"------+----\n" +
		"apple | 3\n" +
		"fig   | 12\n"
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestRenderShortRow(t *testing.T) {
	got := Render([][]string{{"a", "b"}, {"x"}})
	want := "a | b\n--+--\nx |\n"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestRenderEmpty(t *testing.T) {
	if Render(nil) != "" {
		t.Fatal("want empty output for no rows")
	}
}
