package monitor

import (
	"math"
	"sync"

	"github.com/mlops-dev/mlops/pkg/dataset"
)

// Defaults applied to zero DriftConfig fields.
const (
	// DefaultDriftWindow is the number of most recent input rows compared
	// with the training data.
	DefaultDriftWindow = 1000
	// DefaultDriftMinSamples is the number of rows needed before drift is
	// reported. For inputs drawn from the training distribution the PSI
	// over 10 bins has sampling noise of about (bins-1)/n, 0.045 at 200
	// rows, well below the threshold.
	DefaultDriftMinSamples = 200
	// DefaultDriftThreshold is the PSI above which a feature counts as
	// drifted. The usual reading of PSI: below 0.1 no significant change,
	// 0.1 to 0.2 a moderate change, above 0.2 a significant shift.
	DefaultDriftThreshold = 0.2
)

// psiEpsilon replaces an empty bin's share of the window, so that the
// logarithm in the PSI stays finite.
const psiEpsilon = 1e-4

// DriftConfig sets the window and threshold of drift detection. Zero
// fields take the defaults above.
type DriftConfig struct {
	Window     int
	MinSamples int
	Threshold  float64
}

func (c DriftConfig) withDefaults() DriftConfig {
	if c.Window <= 0 {
		c.Window = DefaultDriftWindow
	}
	if c.MinSamples <= 0 {
		c.MinSamples = DefaultDriftMinSamples
	}
	c.MinSamples = min(c.MinSamples, c.Window)
	if c.Threshold <= 0 {
		c.Threshold = DefaultDriftThreshold
	}
	return c
}

// FeatureDrift is the drift of one feature.
type FeatureDrift struct {
	Name string
	// Available is false when the model stores no quantiles for the
	// feature; PSI is then 0 and Drifted false.
	Available bool
	PSI       float64
	Drifted   bool
}

// DriftReport is the drift of every feature over the current window.
type DriftReport struct {
	// Samples is the number of rows in the window.
	Samples    int
	Window     int
	MinSamples int
	Threshold  float64
	// Ready is true once Samples reaches MinSamples. Before that every PSI
	// is 0 and no feature is drifted.
	Ready    bool
	Features []FeatureDrift
	// Drifted is the number of drifted features.
	Drifted int
}

// Drift compares a rolling window of recent input rows with the training
// deciles of each feature, using the population stability index:
//
//	PSI = sum over bins of (a - e) * ln(a / e)
//
// where e is a bin's share of the training data and a its share of the
// window. The bins are the intervals between the deciles, so each holds
// 0.1 of the training data. Create it with NewDrift.
type Drift struct {
	cfg      DriftConfig
	features []featureBins

	mu sync.Mutex
	// window holds the bin index of every feature for the last cfg.Window
	// rows, row after row; bins count them per feature.
	window []uint8
	next   int // row slot written next
	size   int // rows in the window
	counts [][]int
}

// featureBins are the bins of one feature: bin i is (edges[i-1], edges[i]],
// with the first bin open below and the last open above.
type featureBins struct {
	name     string
	edges    []float64
	expected []float64
}

// NewDrift returns a drift detector for a model trained on data with stats.
func NewDrift(stats []dataset.FeatureStats, cfg DriftConfig) *Drift {
	cfg = cfg.withDefaults()
	d := &Drift{
		cfg:      cfg,
		features: make([]featureBins, len(stats)),
		window:   make([]uint8, cfg.Window*len(stats)),
		counts:   make([][]int, len(stats)),
	}
	for i, st := range stats {
		d.features[i] = newFeatureBins(st)
		d.counts[i] = make([]int, len(d.features[i].expected))
	}
	return d
}

// newFeatureBins builds bins from the quantiles q_1..q_K, each bin holding
// 1/(K+1) of the training data. Tied quantiles come from a value repeated
// in the training data and would make empty bins (x, x]. The bin ending at
// x receives every input equal to x, so it takes the training share of
// the empty bins as well.
//
// NOTE: the shares are nominal. For features with few distinct values the
// true training shares differ, so inputs drawn from the training data
// still show some PSI: about 0.10 for Iris petal_width in TestDrift_Iris.
// Storing the training share of each bin in the model would remove this.
func newFeatureBins(st dataset.FeatureStats) featureBins {
	fb := featureBins{name: st.Name}
	k := len(st.Quantiles)
	if k == 0 || k > math.MaxUint8-1 {
		return fb
	}
	share := 1 / float64(k+1)
	for _, q := range st.Quantiles {
		n := len(fb.edges)
		if n > 0 && q <= fb.edges[n-1] {
			fb.expected[n-1] += share
			continue
		}
		fb.edges = append(fb.edges, q)
		fb.expected = append(fb.expected, share)
	}
	fb.expected = append(fb.expected, share) // the bin above the last edge
	return fb
}

// bin returns the index of the bin holding v: the number of edges below v.
func (fb *featureBins) bin(v float64) uint8 {
	i := 0
	for i < len(fb.edges) && fb.edges[i] < v {
		i++
	}
	return uint8(i)
}

// Observe adds one input row, in the model's feature order, to the window,
// dropping the oldest row once the window is full. It costs O(features)
// and does not allocate. A row of the wrong length is ignored.
func (d *Drift) Observe(row []float64) {
	nf := len(d.features)
	if len(row) != nf || nf == 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	slot := d.window[d.next*nf : (d.next+1)*nf]
	full := d.size == d.cfg.Window
	for i := range d.features {
		fb := &d.features[i]
		if len(fb.expected) == 0 {
			continue
		}
		if full {
			d.counts[i][slot[i]]--
		}
		b := fb.bin(row[i])
		slot[i] = b
		d.counts[i][b]++
	}
	if !full {
		d.size++
	}
	d.next = (d.next + 1) % d.cfg.Window
}

// Report computes the PSI of every feature over the current window.
func (d *Drift) Report() DriftReport {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := DriftReport{
		Samples:    d.size,
		Window:     d.cfg.Window,
		MinSamples: d.cfg.MinSamples,
		Threshold:  d.cfg.Threshold,
		Ready:      d.size >= d.cfg.MinSamples,
		Features:   make([]FeatureDrift, len(d.features)),
	}
	for i := range d.features {
		fb := &d.features[i]
		fd := FeatureDrift{Name: fb.name, Available: len(fb.expected) > 0}
		if fd.Available && r.Ready {
			fd.PSI = psi(fb.expected, d.counts[i], d.size)
			fd.Drifted = fd.PSI > d.cfg.Threshold
		}
		if fd.Drifted {
			r.Drifted++
		}
		r.Features[i] = fd
	}
	return r
}

func psi(expected []float64, counts []int, n int) float64 {
	sum := 0.0
	for i, e := range expected {
		a := max(float64(counts[i])/float64(n), psiEpsilon)
		sum += (a - e) * math.Log(a/e)
	}
	return sum
}
