package wordfreq

import (
	"reflect"
	"testing"
)

func TestWords(t *testing.T) {
	got := Words("Don't panic -- it's only 42 words!")
	want := []string{"don't", "panic", "it's", "only", "42", "words"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Words = %q, want %q", got, want)
	}
}

func TestCount(t *testing.T) {
	got := Count("a b a A")
	if got["a"] != 3 || got["b"] != 1 {
		t.Fatalf("Count = %v", got)
	}
}

func TestTopOrdersByCountThenWord(t *testing.T) {
	got := Top("pear apple fig apple pear kiwi", 3)
	want := []WordCount{{"apple", 2}, {"pear", 2}, {"fig", 1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Top = %v, want %v", got, want)
	}
}

func TestTopFewerWords(t *testing.T) {
	if got := Top("one", 5); len(got) != 1 {
		t.Fatalf("Top = %v, want one entry", got)
	}
}
