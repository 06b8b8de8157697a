package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// DefaultMaxKeys bounds the keys a Memory limiter keeps. At roughly 100
// bytes per key that is about 10 MB.
const DefaultMaxKeys = 100_000

const memoryShards = 32

// Memory is a Limiter that keeps each key's TAT in process memory with the
// same GCRA arithmetic as Redis. It serves one process only: several
// servers each apply the full limit.
//
// Memory is bounded. Expired keys are dropped when a shard fills, and when
// every key is still live the one closest to expiry is evicted, which
// gives that key a fresh burst early.
type Memory struct {
	base    time.Time // monotonic reference point for the clock
	seed    maphash.Seed
	perCap  int
	shards  [memoryShards]memoryShard
	nowFunc func() int64
}

type memoryShard struct {
	mu   sync.Mutex
	tats map[string]int64 // TAT in microseconds since base
}

// NewMemory returns a Memory limiter holding at most DefaultMaxKeys keys.
func NewMemory() *Memory {
	return NewMemoryMaxKeys(DefaultMaxKeys)
}

// NewMemoryMaxKeys returns a Memory limiter holding at most maxKeys keys
// (at least one per shard, so at least 32).
func NewMemoryMaxKeys(maxKeys int) *Memory {
	m := &Memory{base: time.Now(), seed: maphash.MakeSeed()}
	m.perCap = max(1, maxKeys/memoryShards)
	for i := range m.shards {
		m.shards[i].tats = make(map[string]int64)
	}
	m.nowFunc = func() int64 { return time.Since(m.base).Microseconds() }
	return m
}

// Allow applies one request for key. It returns an error only for an
// invalid rule.
func (m *Memory) Allow(_ context.Context, key string, rule Rule) (Decision, error) {
	p, err := rule.params()
	if err != nil {
		return Decision{}, err
	}
	// Keep TATs strictly positive so the zero value means "no entry".
	now := m.nowFunc() + 1
	s := &m.shards[m.shardIndex(key)]

	s.mu.Lock()
	defer s.mu.Unlock()
	tat, ok := s.tats[key]
	d, newTAT := gcra(now, tat, p, rule.Limit)
	if !d.Allowed {
		return d, nil
	}
	if !ok && len(s.tats) >= m.perCap {
		s.evict(now)
	}
	s.tats[key] = newTAT
	return d, nil
}

func (m *Memory) shardIndex(key string) uint64 {
	return maphash.String(m.seed, key) % memoryShards
}

// Len returns the number of keys held, including expired ones not yet
// dropped.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.tats)
		s.mu.Unlock()
	}
	return n
}

// evict drops every expired key, or when none has expired, the key with
// the earliest TAT. A key whose TAT is in the past behaves exactly like a
// missing key, so dropping it changes no decision.
func (s *memoryShard) evict(now int64) {
	var oldestKey string
	oldest := int64(-1)
	removed := false
	for k, tat := range s.tats {
		if tat <= now {
			delete(s.tats, k)
			removed = true
			continue
		}
		if oldest < 0 || tat < oldest {
			oldestKey, oldest = k, tat
		}
	}
	if !removed && oldest >= 0 {
		delete(s.tats, oldestKey)
	}
}
