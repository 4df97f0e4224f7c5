// Package wordfreq counts words in text.
package wordfreq

import (
	"sort"
	"strings"
	"unicode"
)

// WordCount is a word and how often it occurs.
type WordCount struct {
	Word  string
	Count int
}

// Words splits text into lower-case words made of letters, digits and apostrophes.
func Words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
}

// Count returns how often each word occurs in text.
func Count(text string) map[string]int {
	counts := make(map[string]int)
	for _, w := range Words(text) {
		counts[w]++
	}
	return counts
}

// Top returns the n most frequent words, most frequent first. Words with the same
// count are ordered alphabetically. Fewer than n are returned if there are fewer words.
func Top(text string, n int) []WordCount {
	counts := Count(text)
	list := make([]WordCount, 0, len(counts))
	for w, c := range counts {
		list = append(list, WordCount{w, c})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].Count != list[j].Count {
			return list[i].Count > list[j].Count
		}
		return list[i].Word > list[j].Word
	})
	if n < len(list) {
		list = list[:n]
	}
	return list
}
