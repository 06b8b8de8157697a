package forest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// Binary format, version 1, all integers little-endian:
//
//	magic "MLRF", version uint16, reserved uint16 (0)
//	features, classes, trees, nodes, values: uint32 each
//	max depth, min samples per leaf, max features: int32 each
//	seed int64, out-of-bag score float64 (IEEE 754 bits)
//	roots: int32 per tree
//	nodes: feature int32, threshold float64, left, right, value int32
//	values: float64 per leaf class probability
//	CRC-32 (IEEE) of all preceding bytes
const (
	formatVersion = 1
	headerSize    = 4 + 2 + 2 + 5*4 + 3*4 + 8 + 8
	nodeSize      = 4 + 8 + 4 + 4 + 4
	trailerSize   = 4
)

var magic = [4]byte{'M', 'L', 'R', 'F'}

// ErrFormat is wrapped by every UnmarshalBinary error caused by malformed
// input.
var ErrFormat = errors.New("invalid forest data")

// MarshalBinary encodes the forest. Equal forests give equal bytes.
func (f *Forest) MarshalBinary() ([]byte, error) {
	if len(f.roots) == 0 {
		return nil, fmt.Errorf("encode forest: the forest has no trees")
	}
	size := headerSize + 4*len(f.roots) + nodeSize*len(f.feature) + 8*len(f.values) + trailerSize
	b := make([]byte, 0, size)

	b = append(b, magic[:]...)
	b = binary.LittleEndian.AppendUint16(b, formatVersion)
	b = binary.LittleEndian.AppendUint16(b, 0)
	for _, n := range []int{f.numFeatures, f.numClasses, len(f.roots), len(f.feature), len(f.values)} {
		b = binary.LittleEndian.AppendUint32(b, uint32(n))
	}
	for _, n := range []int{f.params.MaxDepth, f.params.MinSamplesLeaf, f.params.MaxFeatures} {
		b = binary.LittleEndian.AppendUint32(b, uint32(int32(n)))
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(f.params.Seed))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f.oobScore))

	for _, r := range f.roots {
		b = binary.LittleEndian.AppendUint32(b, uint32(r))
	}
	for i := range f.feature {
		b = binary.LittleEndian.AppendUint32(b, uint32(f.feature[i]))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f.threshold[i]))
		b = binary.LittleEndian.AppendUint32(b, uint32(f.left[i]))
		b = binary.LittleEndian.AppendUint32(b, uint32(f.right[i]))
		b = binary.LittleEndian.AppendUint32(b, uint32(f.value[i]))
	}
	for _, v := range f.values {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b)), nil
}

// UnmarshalBinary decodes data written by MarshalBinary into f, replacing
// its contents. It checks the checksum, every size and every index, so a
// forest it accepts can be used without further checks. Errors on bad
// input wrap ErrFormat and leave f unchanged.
func (f *Forest) UnmarshalBinary(data []byte) error {
	decoded, err := decode(data)
	if err != nil {
		return fmt.Errorf("decode forest: %w: %w", ErrFormat, err)
	}
	*f = *decoded
	return nil
}

// reader consumes little-endian values from a buffer whose length the
// caller has already checked.
type reader struct {
	buf []byte
	off int
}

func (r *reader) uint16() uint16 {
	v := binary.LittleEndian.Uint16(r.buf[r.off:])
	r.off += 2
	return v
}

func (r *reader) uint32() uint32 {
	v := binary.LittleEndian.Uint32(r.buf[r.off:])
	r.off += 4
	return v
}

func (r *reader) int32() int32 { return int32(r.uint32()) }

func (r *reader) uint64() uint64 {
	v := binary.LittleEndian.Uint64(r.buf[r.off:])
	r.off += 8
	return v
}

func (r *reader) float64() float64 { return math.Float64frombits(r.uint64()) }

// counts are the sizes stored in the header.
type counts struct {
	features, classes, trees, nodes, values uint32
}

func decode(data []byte) (*Forest, error) {
	if len(data) < headerSize+trailerSize {
		return nil, fmt.Errorf("%d bytes is shorter than the %d-byte header and checksum",
			len(data), headerSize+trailerSize)
	}
	r := &reader{buf: data}
	if [4]byte(data[:4]) != magic {
		return nil, fmt.Errorf("magic bytes %q, expected %q", data[:4], magic[:])
	}
	r.off = 4
	if v := r.uint16(); v != formatVersion {
		return nil, fmt.Errorf("format version %d is not supported, this build reads version %d", v, formatVersion)
	}
	if v := r.uint16(); v != 0 {
		return nil, fmt.Errorf("reserved header field is %d, expected 0", v)
	}
	c := counts{r.uint32(), r.uint32(), r.uint32(), r.uint32(), r.uint32()}
	if err := checkSize(c, len(data)); err != nil {
		return nil, err
	}
	body := data[:len(data)-trailerSize]
	if got, want := crc32.ChecksumIEEE(body), binary.LittleEndian.Uint32(data[len(body):]); got != want {
		return nil, fmt.Errorf("checksum %08x does not match the stored %08x", got, want)
	}

	f := &Forest{numFeatures: int(c.features), numClasses: int(c.classes)}
	if err := f.readParams(r, c); err != nil {
		return nil, err
	}
	f.readArrays(r, c)
	if err := f.checkTrees(); err != nil {
		return nil, err
	}
	if err := f.checkValues(); err != nil {
		return nil, err
	}
	return f, nil
}

// checkSize validates the header counts and that the data length matches
// them exactly. The arithmetic is in uint64, so it cannot overflow.
func checkSize(c counts, length int) error {
	switch {
	case c.features == 0 || c.features > math.MaxInt32:
		return fmt.Errorf("feature count %d is out of range", c.features)
	case c.classes == 0 || c.classes > math.MaxInt32:
		return fmt.Errorf("class count %d is out of range", c.classes)
	case c.trees == 0:
		return fmt.Errorf("tree count is 0")
	case c.nodes < c.trees || c.nodes > maxNodes:
		return fmt.Errorf("node count %d is out of range for %d trees", c.nodes, c.trees)
	case c.values > maxNodes:
		return fmt.Errorf("value count %d is out of range", c.values)
	}
	want := uint64(headerSize) + 4*uint64(c.trees) + nodeSize*uint64(c.nodes) +
		8*uint64(c.values) + trailerSize
	if uint64(length) != want {
		return fmt.Errorf("length is %d bytes, expected %d for %d trees, %d nodes and %d values",
			length, want, c.trees, c.nodes, c.values)
	}
	return nil
}

func (f *Forest) readParams(r *reader, c counts) error {
	f.params = Params{
		Trees:          int(c.trees),
		MaxDepth:       int(r.int32()),
		MinSamplesLeaf: int(r.int32()),
		MaxFeatures:    int(r.int32()),
		Seed:           int64(r.uint64()),
	}
	if err := f.params.Validate(); err != nil {
		return err
	}
	if f.params.MaxFeatures > f.numFeatures {
		return fmt.Errorf("max features %d exceeds the feature count %d", f.params.MaxFeatures, f.numFeatures)
	}
	f.oobScore = r.float64()
	if !math.IsNaN(f.oobScore) && (f.oobScore < 0 || f.oobScore > 1) {
		return fmt.Errorf("out-of-bag score %v is outside [0, 1]", f.oobScore)
	}
	return nil
}

func (f *Forest) readArrays(r *reader, c counts) {
	f.roots = make([]int32, c.trees)
	for i := range f.roots {
		f.roots[i] = r.int32()
	}
	f.feature = make([]int32, c.nodes)
	f.threshold = make([]float64, c.nodes)
	f.left = make([]int32, c.nodes)
	f.right = make([]int32, c.nodes)
	f.value = make([]int32, c.nodes)
	for i := range f.feature {
		f.feature[i] = r.int32()
		f.threshold[i] = r.float64()
		f.left[i] = r.int32()
		f.right[i] = r.int32()
		f.value[i] = r.int32()
	}
	f.values = make([]float64, c.values)
	for i := range f.values {
		f.values[i] = r.float64()
	}
}

// checkTrees validates the tree structure: roots ascending from 0, and in
// every tree children after their parent and inside the same tree. That
// rules out cycles and out-of-range reads in PredictProba.
func (f *Forest) checkTrees() error {
	nodes := int32(len(f.feature))
	if f.roots[0] != 0 {
		return fmt.Errorf("tree 0 starts at node %d, expected 0", f.roots[0])
	}
	for t := 1; t < len(f.roots); t++ {
		if f.roots[t] <= f.roots[t-1] || f.roots[t] >= nodes {
			return fmt.Errorf("tree %d starts at node %d, expected a node after tree %d's start %d and before %d",
				t, f.roots[t], t-1, f.roots[t-1], nodes)
		}
	}
	for t, root := range f.roots {
		end := nodes
		if t+1 < len(f.roots) {
			end = f.roots[t+1]
		}
		for n := root; n < end; n++ {
			if err := f.checkNode(t, n, end); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *Forest) checkNode(t int, n, end int32) error {
	feat, left, right, value := f.feature[n], f.left[n], f.right[n], f.value[n]
	if feat == -1 {
		if left != -1 || right != -1 {
			return fmt.Errorf("leaf node %d of tree %d has children %d and %d", n, t, left, right)
		}
		if value < 0 || int64(value)+int64(f.numClasses) > int64(len(f.values)) {
			return fmt.Errorf("leaf node %d of tree %d has value offset %d outside the %d values",
				n, t, value, len(f.values))
		}
		return nil
	}
	switch {
	case feat < 0 || int(feat) >= f.numFeatures:
		return fmt.Errorf("node %d of tree %d splits on feature %d, expected 0 to %d", n, t, feat, f.numFeatures-1)
	case math.IsNaN(f.threshold[n]) || math.IsInf(f.threshold[n], 0):
		return fmt.Errorf("node %d of tree %d has threshold %v, expected a finite number", n, t, f.threshold[n])
	case left <= n || left >= end || right <= n || right >= end:
		return fmt.Errorf("node %d of tree %d has children %d and %d, expected nodes %d to %d",
			n, t, left, right, n+1, end-1)
	case value != -1:
		return fmt.Errorf("inner node %d of tree %d has value offset %d, expected -1", n, t, value)
	}
	return nil
}

func (f *Forest) checkValues() error {
	for i, v := range f.values {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("leaf value %d is %v, expected a probability in [0, 1]", i, v)
		}
	}
	return nil
}
