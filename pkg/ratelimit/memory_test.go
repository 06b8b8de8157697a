package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func TestMemory_Semantics(t *testing.T) {
	testLimiterSemantics(t, limiterHarness{limiter: NewMemory()})
}

func TestMemory_BoundedKeys(t *testing.T) {
	m := NewMemoryMaxKeys(64)
	rule := Rule{Limit: 5, Period: time.Hour}
	for i := range 10_000 {
		allow(t, m, fmt.Sprintf("key-%d", i), rule)
	}
	if n := m.Len(); n > 64 {
		t.Errorf("Len() = %d after 10000 distinct keys, want at most 64", n)
	}
}

func TestMemory_EvictsExpiredFirst(t *testing.T) {
	m := NewMemoryMaxKeys(memoryShards) // one key per shard
	var now int64 = 1_000_000
	m.nowFunc = func() int64 { return now }
	rule := Rule{Limit: 1, Period: time.Second}

	// Fill every shard with a key that expires one second later.
	keys := map[uint64]string{}
	for i := 0; len(keys) < memoryShards; i++ {
		k := fmt.Sprintf("k%d", i)
		shard := m.shardIndex(k)
		if _, ok := keys[shard]; !ok {
			keys[shard] = k
			allow(t, m, k, rule)
		}
	}
	if n := m.Len(); n != memoryShards {
		t.Fatalf("Len() = %d, want %d", n, memoryShards)
	}

	// Two seconds later every key has expired; a new key drops the expired
	// one in its shard and the others stay until their shard fills.
	now += 2_000_000
	newKey := "fresh"
	if d := allow(t, m, newKey, rule); !d.Allowed {
		t.Fatalf("new key denied: %+v", d)
	}
	if n := m.Len(); n != memoryShards {
		t.Errorf("Len() = %d after replacing one expired key, want %d", n, memoryShards)
	}
	// The evicted key behaves like a new one, as an expired key must.
	old := keys[m.shardIndex(newKey)]
	if d := allow(t, m, old, rule); !d.Allowed {
		t.Errorf("expired key %q denied after eviction: %+v", old, d)
	}
}

func TestMemory_LiveKeyEvictionKeepsLatest(t *testing.T) {
	m := NewMemoryMaxKeys(memoryShards)
	var now int64 = 1_000_000
	m.nowFunc = func() int64 { return now }
	rule := Rule{Limit: 1, Period: time.Hour}

	// Two keys in the same shard: the second evicts the first because the
	// first has the earlier TAT.
	first := "a0"
	var second string
	for i := 1; ; i++ {
		k := fmt.Sprintf("a%d", i)
		if m.shardIndex(k) == m.shardIndex(first) {
			second = k
			break
		}
	}
	allow(t, m, first, rule)
	now += 1000
	allow(t, m, second, rule)
	if d := allow(t, m, second, rule); d.Allowed {
		t.Errorf("second key allowed twice within its hour: %+v", d)
	}
	if d := allow(t, m, first, rule); !d.Allowed {
		t.Errorf("evicted first key denied, want a fresh budget: %+v", d)
	}
}

func BenchmarkMemoryAllow(b *testing.B) {
	m := NewMemory()
	rule := Rule{Limit: 1_000_000, Period: time.Second}
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("subject-%d", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := m.Allow(b.Context(), keys[i%len(keys)], rule); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
