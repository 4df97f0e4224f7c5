// Package semver parses and orders semantic versions (https://semver.org).
package semver

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Version is a parsed semantic version MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD].
type Version struct {
	Major, Minor, Patch int
	// Prerelease holds the dot-separated pre-release identifiers, e.g. ["rc", "1"].
	Prerelease []string
	// Build is the build metadata after "+"; it never affects ordering.
	Build string
}

// Parse parses a version such as "1.4.2", "v2.0.0-rc.1" or "1.0.0+build.5".
// A leading "v" is allowed.
func Parse(s string) (Version, error) {
	var v Version
	rest := strings.TrimPrefix(s, "v")
	if i := strings.IndexByte(rest, '+'); i >= 0 {
		v.Build = rest[i+1:]
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '-'); i >= 0 {
		pre := rest[i+1:]
		rest = rest[:i]
		if pre == "" {
			return Version{}, fmt.Errorf("semver: empty pre-release in %q", s)
		}
		v.Prerelease = strings.Split(pre, ".")
		for _, id := range v.Prerelease {
			if id == "" {
				return Version{}, fmt.Errorf("semver: empty pre-release identifier in %q", s)
			}
		}
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("semver: %q is not MAJOR.MINOR.PATCH", s)
	}
	nums := make([]int, 3)
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return Version{}, fmt.Errorf("semver: bad number %q in %q", p, s)
		}
		nums[i] = n
	}
	v.Major, v.Minor, v.Patch = nums[0], nums[1], nums[2]
	return v, nil
}

// String formats v back into its canonical text form (without a "v" prefix).
func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if len(v.Prerelease) > 0 {
		s += "-" + strings.Join(v.Prerelease, ".")
	}
	if v.Build != "" {
		s += "+" + v.Build
	}
	return s
}

// Compare returns -1 if a < b, 0 if they have the same precedence, and +1 if a > b.
//
// Precedence follows semver: compare Major, Minor, Patch numerically. When those
// are equal, a version without pre-release identifiers is greater than one with
// them (1.0.0 > 1.0.0-rc.1). Two pre-releases are compared identifier by identifier,
// left to right: identifiers made only of digits compare numerically, others compare
// as strings (ASCII order), and a numeric identifier is lower than a non-numeric one.
// If all shared identifiers are equal, the one with more identifiers is greater
// (1.0.0-alpha < 1.0.0-alpha.1). Build metadata is ignored.
func Compare(a, b Version) int {
	// TODO: implement
	return 0
}

// Sort sorts versions in ascending precedence, keeping the input order of equal ones.
func Sort(versions []Version) {
	sort.SliceStable(versions, func(i, j int) bool {
		return Compare(versions[i], versions[j]) < 0
	})
}
