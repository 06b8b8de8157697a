package server

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// smallKeySet is the number of keys a keySet compares one by one before it
// switches to a map. Most request objects have fewer members, and for them
// a scan of an array on the stack avoids allocating and hashing.
const smallKeySet = 8

// keySet records the keys of one JSON object and reports duplicates. The
// first smallKeySet keys are compared pairwise. After that every key costs
// one map operation, so an object of n keys costs O(n) rather than O(n²).
type keySet struct {
	// fold makes keys that differ only in case equal, by the Unicode
	// simple case folding of strings.EqualFold.
	fold  bool
	small [smallKeySet]string
	n     int
	large map[string]struct{}
	// probes counts key comparisons and map lookups.
	probes int
}

// add records key and reports whether an equal key was recorded before.
func (ks *keySet) add(key string) (duplicate bool) {
	if ks.large == nil && ks.n < smallKeySet {
		for _, k := range ks.small[:ks.n] {
			ks.probes++
			if k == key || ks.fold && strings.EqualFold(k, key) {
				return true
			}
		}
		ks.small[ks.n] = key
		ks.n++
		return false
	}
	if ks.large == nil {
		ks.large = make(map[string]struct{}, 4*smallKeySet)
		for _, k := range ks.small[:ks.n] {
			ks.large[ks.mapKey(k)] = struct{}{}
		}
	}
	ks.probes++
	k := ks.mapKey(key)
	if _, ok := ks.large[k]; ok {
		return true
	}
	ks.large[k] = struct{}{}
	return false
}

func (ks *keySet) mapKey(key string) string {
	if ks.fold {
		return foldKey(key)
	}
	return key
}

// foldKey maps key to a form that is equal for two keys exactly when
// strings.EqualFold reports them equal: every rune becomes the smallest
// rune of its case-folding orbit, so "k", "K" and the Kelvin sign U+212A
// all become "K". An invalid UTF-8 byte becomes U+FFFD, as EqualFold
// decodes it.
func foldKey(key string) string {
	ascii := true
	for i := 0; i < len(key) && ascii; i++ {
		ascii = key[i] < utf8.RuneSelf
	}
	if ascii {
		return strings.ToUpper(key)
	}
	out := make([]byte, 0, len(key))
	for _, r := range key {
		out = utf8.AppendRune(out, smallestFold(r))
	}
	return string(out)
}

// smallestFold returns the smallest rune that unicode.SimpleFold reaches
// from r. SimpleFold steps through an orbit in increasing order and wraps
// around to its smallest member, which ends the loop.
func smallestFold(r rune) rune {
	for {
		next := unicode.SimpleFold(r)
		if next <= r {
			return next
		}
		r = next
	}
}
