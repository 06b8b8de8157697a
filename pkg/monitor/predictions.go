package monitor

import (
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults applied to zero Config fields.
const (
	DefaultMaxPredictions = 50_000
	DefaultMaxAge         = time.Hour
	DefaultAccuracyWindow = 1000
	DefaultMaxVersions    = 8
)

// Errors returned by Predictions.Feedback, wrapped with details. Test for
// them with errors.Is.
var (
	// ErrUnknownRequest means no prediction with this request id and row
	// was ever stored, as far as the store can tell.
	ErrUnknownRequest = errors.New("unknown request id")
	// ErrUnknownLabel means the label is not a class of the model version
	// that made the prediction.
	ErrUnknownLabel = errors.New("unknown label")
	// ErrAlreadyLabelled means the prediction already has a different label.
	// Sending the same label again is not an error.
	ErrAlreadyLabelled = errors.New("prediction already labelled")
	// ErrTooLate means the prediction was stored but has since been evicted,
	// because it grew older than MaxAge or MaxPredictions newer ones came in.
	ErrTooLate = errors.New("prediction no longer kept")
)

// Config bounds a Predictions store. Zero fields take the defaults above.
type Config struct {
	// MaxPredictions caps the stored predictions (one per row). When full,
	// the oldest is evicted first. Each costs about 150 bytes of heap,
	// measured by TestPredictions_FloodStaysBounded, so the default takes
	// about 7.5 MB once full.
	MaxPredictions int
	// MaxAge is how long a prediction waits for its label.
	MaxAge time.Duration
	// AccuracyWindow is the number of most recent labelled predictions per
	// model version that rolling accuracy covers.
	AccuracyWindow int
	// MaxVersions caps the model versions with an accuracy window. When a
	// new version is registered beyond it, the one registered first is
	// dropped and feedback for its predictions counts as late.
	MaxVersions int
	// Clock returns the current time; nil means time.Now. Tests set it.
	Clock func() time.Time
}

func (c Config) withDefaults() Config {
	if c.MaxPredictions <= 0 {
		c.MaxPredictions = DefaultMaxPredictions
	}
	if c.MaxAge <= 0 {
		c.MaxAge = DefaultMaxAge
	}
	if c.AccuracyWindow <= 0 {
		c.AccuracyWindow = DefaultAccuracyWindow
	}
	if c.MaxVersions <= 0 {
		c.MaxVersions = DefaultMaxVersions
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return c
}

// noLabel marks an entry that has not been labelled yet.
const noLabel = -1

// evictedSlot is the index value of a key whose prediction was evicted.
const evictedSlot = -1

// entry is one stored prediction. Request ids are kept only as a 64-bit
// keyed hash, so an entry has a fixed size whatever id the caller chose.
type entry struct {
	key     uint64
	at      int64 // Unix nanoseconds
	version int
	class   int32 // predicted class index
	label   int32 // true class index, or noLabel
}

// Counts are running totals since the store was created.
type Counts struct {
	Recorded       uint64 // predictions stored
	Labelled       uint64 // labels paired with a prediction, each counted once
	Repeated       uint64 // the same label sent again for a labelled prediction
	Conflicting    uint64 // a different label sent for a labelled prediction
	Late           uint64 // labels for predictions already evicted
	UnknownRequest uint64 // labels for request ids never stored
	UnknownLabel   uint64 // labels that are not a class of the model
	Evicted        uint64 // predictions dropped unlabelled, by age or count
}

// Result describes a label paired with its prediction.
type Result struct {
	Version   int
	Predicted string
	Label     string
	Correct   bool
	// Repeated is true when the prediction already had this label; the
	// label was not counted again.
	Repeated bool
}

// VersionAccuracy is the rolling accuracy of one model version.
type VersionAccuracy struct {
	Version int
	// Labelled is the number of labelled predictions in the window, at
	// most Config.AccuracyWindow.
	Labelled int
	Correct  int
	// Accuracy is Correct / Labelled, or 0 when Labelled is 0.
	Accuracy float64
}

// Predictions stores recent predictions until their label arrives and
// keeps rolling accuracy per model version. Create it with NewPredictions.
//
// Memory is bounded by Config: a ring of at most MaxPredictions entries,
// the same number of evicted keys (so that a late label can be
// distinguished from an unknown one), a hash table over both, and AccuracyWindow outcomes for
// each of at most MaxVersions versions.
type Predictions struct {
	cfg  Config
	seed maphash.Seed

	mu   sync.Mutex
	ring []entry // grows to cfg.MaxPredictions, then wraps
	head int     // slot of the oldest entry
	size int     // entries in ring
	// index maps a key to its ring slot, or to evictedSlot for the keys
	// in evicted, which lists the most recently evicted keys oldest first.
	index       table
	evicted     []uint64 // grows to cfg.MaxPredictions, then wraps
	evictedHead int
	// versions holds the classes and accuracy window of each registered
	// version; order lists them oldest first.
	versions map[int]*versionState
	order    []int
	counts   Counts
}

type versionState struct {
	classes    []string
	classIndex map[string]int
	window     outcomeWindow
}

// NewPredictions returns an empty store bounded by cfg.
func NewPredictions(cfg Config) *Predictions {
	cfg = cfg.withDefaults()
	return &Predictions{
		cfg:      cfg,
		seed:     maphash.MakeSeed(),
		index:    newTable(),
		versions: make(map[int]*versionState),
	}
}

// Register declares the classes of a model version. Predictions of a
// version that was never registered are stored, but Feedback for them
// returns ErrTooLate. Registering a known version again keeps its
// accuracy window.
func (p *Predictions) Register(version int, classes []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.versions[version]; ok {
		return
	}
	vs := &versionState{
		classes:    slices.Clone(classes),
		classIndex: make(map[string]int, len(classes)),
		window:     newOutcomeWindow(p.cfg.AccuracyWindow),
	}
	for i, c := range classes {
		vs.classIndex[c] = i
	}
	p.versions[version] = vs
	p.order = append(p.order, version)
	if len(p.order) > p.cfg.MaxVersions {
		delete(p.versions, p.order[0])
		p.order = slices.Delete(p.order, 0, 1)
	}
}

// key hashes a request id and row. The hash is keyed with a random seed,
// so callers cannot choose ids that collide; two distinct pairs share a
// key with probability about 2^-64.
func (p *Predictions) key(requestID string, row int) uint64 {
	// Multiplying by an odd constant spreads the row over all 64 bits.
	k := maphash.String(p.seed, requestID) ^ (uint64(row)+1)*0x9e3779b97f4a7c15
	if k == 0 {
		k = 1 // 0 marks an empty slot of table
	}
	return k
}

// Record stores one prediction: row number row of the request requestID,
// predicted class index class by model version. Rows of a single
// prediction are row 0. Recording the same request id and row again
// replaces the earlier prediction.
func (p *Predictions) Record(requestID string, row, version, class int) {
	k := p.key(requestID, row)
	now := p.cfg.Clock().UnixNano()

	p.mu.Lock()
	defer p.mu.Unlock()
	p.expire(now)
	if p.size == p.cfg.MaxPredictions {
		p.evictOldest()
	}
	e := entry{key: k, at: now, version: version, class: int32(class), label: noLabel}
	slot := (p.head + p.size) % p.cfg.MaxPredictions
	if slot == len(p.ring) {
		p.ring = append(p.ring, e)
	} else {
		p.ring[slot] = e
	}
	p.size++
	p.index.put(k, int32(slot))
	p.counts.Recorded++
}

// expire evicts entries older than MaxAge. The ring is in recording order,
// so the oldest entries are at the head.
func (p *Predictions) expire(now int64) {
	limit := now - int64(p.cfg.MaxAge)
	for p.size > 0 && p.ring[p.head].at < limit {
		p.evictOldest()
	}
}

// evictOldest drops the oldest prediction and remembers its key as
// evicted, forgetting the key evicted longest ago once MaxPredictions keys
// are remembered.
func (p *Predictions) evictOldest() {
	oldest := p.head
	e := p.ring[oldest]
	p.head = (p.head + 1) % p.cfg.MaxPredictions
	p.size--
	// A newer prediction under the same key owns the index entry; leave it.
	if slot, ok := p.index.get(e.key); !ok || int(slot) != oldest {
		return
	}
	if e.label == noLabel {
		p.counts.Evicted++
	}
	p.index.put(e.key, evictedSlot)
	if len(p.evicted) < p.cfg.MaxPredictions {
		p.evicted = append(p.evicted, e.key)
		return
	}
	old := p.evicted[p.evictedHead]
	// The old key may have been recorded again since; then it is live.
	if slot, ok := p.index.get(old); ok && slot == evictedSlot {
		p.index.del(old)
	}
	p.evicted[p.evictedHead] = e.key
	p.evictedHead = (p.evictedHead + 1) % p.cfg.MaxPredictions
}

// Feedback pairs the true label with the prediction of requestID and row,
// and counts it in the rolling accuracy of the version that made the
// prediction. Sending the same label again returns the first result with
// Repeated set and counts nothing. Errors wrap ErrUnknownRequest,
// ErrTooLate, ErrUnknownLabel or ErrAlreadyLabelled.
func (p *Predictions) Feedback(requestID string, row int, label string) (Result, error) {
	k := p.key(requestID, row)
	now := p.cfg.Clock().UnixNano()

	p.mu.Lock()
	defer p.mu.Unlock()
	p.expire(now)
	slot, ok := p.index.get(k)
	if !ok {
		p.counts.UnknownRequest++
		return Result{}, fmt.Errorf("request %q row %d: %w", requestID, row, ErrUnknownRequest)
	}
	if slot == evictedSlot {
		p.counts.Late++
		return Result{}, fmt.Errorf("request %q row %d: %w (kept for %s, at most %d predictions)",
			requestID, row, ErrTooLate, p.cfg.MaxAge, p.cfg.MaxPredictions)
	}
	e := &p.ring[slot]
	vs, ok := p.versions[e.version]
	if !ok {
		p.counts.Late++
		return Result{}, fmt.Errorf("request %q row %d: %w (model version %d is no longer tracked)",
			requestID, row, ErrTooLate, e.version)
	}
	li, ok := vs.classIndex[label]
	if !ok {
		p.counts.UnknownLabel++
		return Result{}, fmt.Errorf("%w %q: model version %d has classes %s",
			ErrUnknownLabel, label, e.version, strings.Join(vs.classes, ", "))
	}
	return p.pair(e, vs, li, requestID, row)
}

func (p *Predictions) pair(e *entry, vs *versionState, li int, requestID string, row int) (Result, error) {
	res := Result{Version: e.version, Predicted: vs.classes[e.class], Label: vs.classes[li], Correct: int(e.class) == li}
	switch {
	case e.label == noLabel:
		e.label = int32(li)
		vs.window.add(res.Correct)
		p.counts.Labelled++
		return res, nil
	case int(e.label) == li:
		p.counts.Repeated++
		res.Repeated = true
		return res, nil
	default:
		p.counts.Conflicting++
		return Result{}, fmt.Errorf("request %q row %d: %w as %q", requestID, row, ErrAlreadyLabelled, vs.classes[e.label])
	}
}

// Accuracy returns the rolling accuracy of every tracked version that has
// at least one label, in version order.
func (p *Predictions) Accuracy() []VersionAccuracy {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]VersionAccuracy, 0, len(p.versions))
	for v, vs := range p.versions {
		if vs.window.size == 0 {
			continue
		}
		out = append(out, VersionAccuracy{
			Version:  v,
			Labelled: vs.window.size,
			Correct:  vs.window.correct,
			Accuracy: float64(vs.window.correct) / float64(vs.window.size),
		})
	}
	slices.SortFunc(out, func(a, b VersionAccuracy) int { return a.Version - b.Version })
	return out
}

// Counts returns the running totals.
func (p *Predictions) Counts() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts
}

// Len returns the number of stored predictions after evicting expired ones.
func (p *Predictions) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expire(p.cfg.Clock().UnixNano())
	return p.size
}
