package monitor

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

var irisClasses = []string{"setosa", "versicolor", "virginica"}

// fakeClock is a settable clock for tests of MaxAge.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestPredictions(cfg Config) *Predictions {
	p := NewPredictions(cfg)
	p.Register(1, irisClasses)
	return p
}

func TestAccuracy_FallsWithWrongFeedback(t *testing.T) {
	p := newTestPredictions(Config{AccuracyWindow: 100})
	feed := func(from, to int, correct bool) {
		t.Helper()
		for i := from; i < to; i++ {
			id := fmt.Sprintf("req-%d", i)
			p.Record(id, 0, 1, 0) // predicted setosa
			label := "setosa"
			if !correct {
				label = "virginica"
			}
			res, err := p.Feedback(id, 0, label)
			if err != nil {
				t.Fatalf("Feedback(%s, %s): %v", id, label, err)
			}
			if res.Correct != correct {
				t.Fatalf("Feedback(%s, %s).Correct = %v, want %v", id, label, res.Correct, correct)
			}
		}
	}
	check := func(wantLabelled, wantCorrect int, want float64) {
		t.Helper()
		acc := p.Accuracy()
		if len(acc) != 1 {
			t.Fatalf("Accuracy() has %d versions, want 1: %+v", len(acc), acc)
		}
		got := acc[0]
		if got.Version != 1 || got.Labelled != wantLabelled || got.Correct != wantCorrect || got.Accuracy != want {
			t.Errorf("Accuracy() = %+v, want version 1, %d labelled, %d correct, accuracy %g",
				got, wantLabelled, wantCorrect, want)
		}
	}

	if acc := p.Accuracy(); len(acc) != 0 {
		t.Errorf("Accuracy() before feedback = %+v, want none", acc)
	}
	feed(0, 100, true)
	check(100, 100, 1)
	feed(100, 150, false)
	check(100, 50, 0.5)
	feed(150, 175, false)
	check(100, 25, 0.25)
	feed(175, 250, false)
	check(100, 0, 0)
}

func TestFeedback_Errors(t *testing.T) {
	p := newTestPredictions(Config{})
	p.Record("a", 0, 1, 1) // versicolor
	p.Record("batch", 0, 1, 0)
	p.Record("batch", 1, 1, 2)

	tests := []struct {
		name      string
		id        string
		row       int
		label     string
		wantErr   error
		wantRes   Result
		wantCount func(Counts) uint64
	}{
		{name: "unknown id", id: "nope", label: "setosa", wantErr: ErrUnknownRequest,
			wantCount: func(c Counts) uint64 { return c.UnknownRequest }},
		{name: "unknown row", id: "batch", row: 2, label: "setosa", wantErr: ErrUnknownRequest,
			wantCount: func(c Counts) uint64 { return c.UnknownRequest - 1 }},
		{name: "unknown label", id: "a", label: "rose", wantErr: ErrUnknownLabel,
			wantCount: func(c Counts) uint64 { return c.UnknownLabel }},
		{name: "label case matters", id: "a", label: "Versicolor", wantErr: ErrUnknownLabel,
			wantCount: func(c Counts) uint64 { return c.UnknownLabel - 1 }},
		{name: "first label", id: "a", label: "versicolor",
			wantRes:   Result{Version: 1, Predicted: "versicolor", Label: "versicolor", Correct: true},
			wantCount: func(c Counts) uint64 { return c.Labelled }},
		{name: "same label again", id: "a", label: "versicolor",
			wantRes:   Result{Version: 1, Predicted: "versicolor", Label: "versicolor", Correct: true, Repeated: true},
			wantCount: func(c Counts) uint64 { return c.Repeated }},
		{name: "other label after", id: "a", label: "setosa", wantErr: ErrAlreadyLabelled,
			wantCount: func(c Counts) uint64 { return c.Conflicting }},
		{name: "batch row 1", id: "batch", row: 1, label: "setosa",
			wantRes:   Result{Version: 1, Predicted: "virginica", Label: "setosa"},
			wantCount: func(c Counts) uint64 { return c.Labelled - 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := p.Feedback(tt.id, tt.row, tt.label)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Feedback(%q, %d, %q) error = %v, want %v", tt.id, tt.row, tt.label, err, tt.wantErr)
			}
			if res != tt.wantRes {
				t.Errorf("Feedback(%q, %d, %q) = %+v, want %+v", tt.id, tt.row, tt.label, res, tt.wantRes)
			}
			if got := tt.wantCount(p.Counts()); got != 1 {
				t.Errorf("counter after %s = %d, want 1; counts %+v", tt.name, got, p.Counts())
			}
		})
	}
	acc := p.Accuracy()
	if len(acc) != 1 || acc[0].Labelled != 2 || acc[0].Correct != 1 {
		t.Errorf("Accuracy() = %+v, want 2 labelled with 1 correct: repeats and errors must not count", acc)
	}
}

func TestFeedback_LateByAge(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	p := newTestPredictions(Config{MaxAge: time.Minute, Clock: clock.Now})
	p.Record("old", 0, 1, 0)
	clock.Advance(30 * time.Second)
	p.Record("young", 0, 1, 0)
	clock.Advance(31 * time.Second)

	if _, err := p.Feedback("old", 0, "setosa"); !errors.Is(err, ErrTooLate) {
		t.Errorf("Feedback(old) after 61 s error = %v, want ErrTooLate", err)
	}
	if _, err := p.Feedback("young", 0, "setosa"); err != nil {
		t.Errorf("Feedback(young) after 31 s: %v", err)
	}
	if _, err := p.Feedback("never", 0, "setosa"); !errors.Is(err, ErrUnknownRequest) {
		t.Errorf("Feedback(never) error = %v, want ErrUnknownRequest", err)
	}
	c := p.Counts()
	if c.Late != 1 || c.UnknownRequest != 1 || c.Evicted != 1 || c.Labelled != 1 {
		t.Errorf("Counts() = %+v, want 1 late, 1 unknown, 1 evicted, 1 labelled", c)
	}
	clock.Advance(time.Hour)
	if n := p.Len(); n != 0 {
		t.Errorf("Len() an hour later = %d, want 0", n)
	}
}

func TestFeedback_LateByCount(t *testing.T) {
	p := newTestPredictions(Config{MaxPredictions: 10})
	for i := range 11 {
		p.Record(fmt.Sprint(i), 0, 1, 0)
	}
	if n := p.Len(); n != 10 {
		t.Errorf("Len() = %d, want 10", n)
	}
	if _, err := p.Feedback("0", 0, "setosa"); !errors.Is(err, ErrTooLate) {
		t.Errorf("Feedback(0) after 10 newer predictions error = %v, want ErrTooLate", err)
	}
	if _, err := p.Feedback("1", 0, "setosa"); err != nil {
		t.Errorf("Feedback(1): %v", err)
	}
}

func TestRecord_ReusedRequestID(t *testing.T) {
	p := newTestPredictions(Config{MaxPredictions: 3})
	p.Record("dup", 0, 1, 0)
	p.Record("dup", 0, 1, 2) // replaces the first
	p.Record("x", 0, 1, 0)
	p.Record("y", 0, 1, 0) // evicts the first "dup", which no longer owns the key

	res, err := p.Feedback("dup", 0, "virginica")
	if err != nil {
		t.Fatalf("Feedback(dup): %v", err)
	}
	if !res.Correct {
		t.Errorf("Feedback(dup) = %+v, want it paired with the newer prediction (virginica)", res)
	}
}

func TestAccuracy_PerVersion(t *testing.T) {
	p := NewPredictions(Config{MaxVersions: 2})
	p.Register(1, irisClasses)
	p.Register(2, irisClasses)
	p.Record("v1", 0, 1, 0)
	p.Record("v2", 0, 2, 0)
	p.Record("v2b", 0, 2, 0)
	mustFeedback(t, p, "v1", "setosa")
	mustFeedback(t, p, "v2", "setosa")
	mustFeedback(t, p, "v2b", "virginica")

	acc := p.Accuracy()
	want := []VersionAccuracy{{Version: 1, Labelled: 1, Correct: 1, Accuracy: 1}, {Version: 2, Labelled: 2, Correct: 1, Accuracy: 0.5}}
	if fmt.Sprint(acc) != fmt.Sprint(want) {
		t.Errorf("Accuracy() = %+v, want %+v", acc, want)
	}

	// A third version pushes out version 1, whose labels then count as late.
	p.Register(3, irisClasses)
	p.Record("v1late", 0, 1, 0)
	if _, err := p.Feedback("v1late", 0, "setosa"); !errors.Is(err, ErrTooLate) {
		t.Errorf("Feedback for a dropped version error = %v, want ErrTooLate", err)
	}
	if acc := p.Accuracy(); len(acc) != 1 || acc[0].Version != 2 {
		t.Errorf("Accuracy() after dropping version 1 = %+v, want only version 2", acc)
	}
}

func mustFeedback(t *testing.T, p *Predictions, id, label string) {
	t.Helper()
	if _, err := p.Feedback(id, 0, label); err != nil {
		t.Fatalf("Feedback(%q, %q): %v", id, label, err)
	}
}

func TestPredictions_Concurrent(t *testing.T) {
	// Large enough that nothing is evicted, so every label must pair.
	p := newTestPredictions(Config{MaxPredictions: 20_000})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				id := fmt.Sprintf("%d-%d", g, i)
				p.Record(id, 0, 1, i%3)
				_, _ = p.Feedback(id, 0, irisClasses[i%3])
			}
		})
	}
	wg.Go(func() {
		for range 200 {
			_ = p.Accuracy()
			_ = p.Counts()
		}
	})
	wg.Wait()
	c := p.Counts()
	if c.Recorded != 16000 || c.Labelled != 16000 {
		t.Errorf("Counts() = %+v, want 16000 recorded and 16000 labelled", c)
	}
	if acc := p.Accuracy(); len(acc) != 1 || acc[0].Accuracy != 1 {
		t.Errorf("Accuracy() = %+v, want 1 for all-correct labels", acc)
	}
}

// TestPredictions_FloodStaysBounded records many times the capacity with
// no feedback and checks both the entry counts and the live heap.
func TestPredictions_FloodStaysBounded(t *testing.T) {
	const capacity = 10_000
	p := newTestPredictions(Config{MaxPredictions: capacity})
	flood := func(from, to int) {
		for i := from; i < to; i++ {
			p.Record(fmt.Sprintf("flood-request-%032d", i), i%4, 1, i%3)
		}
	}
	heapBefore := liveHeap()
	flood(0, 200_000)
	heapMid := liveHeap()
	flood(200_000, 1_000_000)
	heapAfter := liveHeap()

	if n := p.Len(); n != capacity {
		t.Errorf("Len() = %d, want %d", n, capacity)
	}
	p.mu.Lock()
	ring, index, evicted := len(p.ring), p.index.n, len(p.evicted)
	p.mu.Unlock()
	if ring != capacity || evicted != capacity || index != 2*capacity {
		t.Errorf("ring %d, evicted keys %d, index %d; want %d, %d and %d", ring, evicted, index, capacity, capacity, 2*capacity)
	}
	if c := p.Counts(); c.Evicted != 1_000_000-capacity {
		t.Errorf("Counts().Evicted = %d, want %d", c.Evicted, 1_000_000-capacity)
	}

	// Fixed-size entries: 32 bytes in the ring, 8 in the evicted ring and
	// two 16-byte table slots at a load of a quarter to a half, so 400
	// bytes per slot is generous.
	const bound = 400 * capacity
	grown := int64(heapAfter) - int64(heapBefore)
	t.Logf("live heap: %d bytes for %d slots (%.0f bytes per slot); after 200k records %d",
		grown, capacity, float64(grown)/capacity, int64(heapMid)-int64(heapBefore))
	if grown > bound {
		t.Errorf("live heap grew by %d bytes, want at most %d", grown, bound)
	}
	// Four times more records must not grow the heap by more than a
	// tenth of the bound: memory depends on capacity, not load.
	if extra := int64(heapAfter) - int64(heapMid); extra > bound/10 {
		t.Errorf("heap grew by %d bytes between 200k and 1M records, want at most %d", extra, bound/10)
	}
	runtime.KeepAlive(p)
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func BenchmarkPredictionsRecord(b *testing.B) {
	p := newTestPredictions(Config{})
	ids := make([]string, 4096)
	for i := range ids {
		ids[i] = fmt.Sprintf("%032x", i)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p.Record(ids[i%len(ids)], i, 1, i%3)
	}
}

func BenchmarkPredictionsRecordParallel(b *testing.B) {
	p := newTestPredictions(Config{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			p.Record("0123456789abcdef0123456789abcdef", i, 1, i%3)
			i++
		}
	})
}
