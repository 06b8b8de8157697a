package monitor

// table is an open-addressing hash table from uint64 keys to int32
// values, with linear probing and backward-shift deletion. Under this
// package's steady insert-and-delete churn, Go's built-in map (Go 1.26)
// took microseconds per insert in BenchmarkPredictionsRecord, because its
// deleted slots lengthen probe sequences. Backward-shift deletion leaves
// no deleted slots behind. Keys and values
// share a slot so that a lookup touches one cache line.
//
// Key 0 marks an empty slot, so callers must never use it. The table keeps
// its load at or below one half and never shrinks.
type table struct {
	slots []tableSlot
	shift uint // 64 - log2(len(slots))
	n     int
}

type tableSlot struct {
	key uint64
	val int32
}

const minTableBits = 10

func newTable() table {
	return table{slots: make([]tableSlot, 1<<minTableBits), shift: 64 - minTableBits}
}

// home is the slot where probing for k starts. Fibonacci hashing spreads
// keys that differ only in low bits.
func (t *table) home(k uint64) int {
	return int((k * 0x9e3779b97f4a7c15) >> t.shift)
}

// find returns the slot holding k, or the empty slot where it would go.
func (t *table) find(k uint64) int {
	mask := len(t.slots) - 1
	i := t.home(k)
	for t.slots[i].key != 0 && t.slots[i].key != k {
		i = (i + 1) & mask
	}
	return i
}

func (t *table) get(k uint64) (int32, bool) {
	s := t.slots[t.find(k)]
	return s.val, s.key == k
}

func (t *table) put(k uint64, v int32) {
	i := t.find(k)
	if t.slots[i].key == 0 {
		if 2*(t.n+1) > len(t.slots) {
			t.grow()
			i = t.find(k)
		}
		t.slots[i].key = k
		t.n++
	}
	t.slots[i].val = v
}

func (t *table) grow() {
	old := t.slots
	t.slots = make([]tableSlot, 2*len(old))
	t.shift--
	for _, s := range old {
		if s.key != 0 {
			t.slots[t.find(s.key)] = s
		}
	}
}

// del removes k and shifts later entries of its probe run back, so every
// key stays reachable from its home slot without a deleted marker.
func (t *table) del(k uint64) {
	mask := len(t.slots) - 1
	i := t.find(k)
	if t.slots[i].key == 0 {
		return
	}
	t.n--
	for j := i; ; {
		j = (j + 1) & mask
		if t.slots[j].key == 0 {
			break
		}
		h := t.home(t.slots[j].key)
		// The entry at j may move to i only if its home is not in (i, j]
		// cyclically, because otherwise it would land before its home.
		if i <= j && i < h && h <= j || i > j && (i < h || h <= j) {
			continue
		}
		t.slots[i] = t.slots[j]
		i = j
	}
	t.slots[i] = tableSlot{}
}
