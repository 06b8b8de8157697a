package registry

import (
	"crypto/rand"
	"testing"
)

// benchFiles returns four random files of 256 KiB, 1 MiB in total.
func benchFiles(b *testing.B) map[string][]byte {
	files := map[string][]byte{}
	for _, name := range []string{"forest.bin", "model.json", "metadata.json", "extra.bin"} {
		data := make([]byte, 256<<10)
		if _, err := rand.Read(data); err != nil {
			b.Fatal(err)
		}
		files[name] = data
	}
	return files
}

func BenchmarkVerify1MiB(b *testing.B) {
	priv, pub := newKey(b)
	reg := Open(b.TempDir())
	publish(b, reg, "iris", benchFiles(b), priv)
	b.SetBytes(1 << 20)
	for b.Loop() {
		if err := reg.Verify("iris", 1, pub); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad1MiB(b *testing.B) {
	priv, pub := newKey(b)
	reg := Open(b.TempDir())
	publish(b, reg, "iris", benchFiles(b), priv)
	b.SetBytes(1 << 20)
	for b.Loop() {
		if _, err := reg.Load("iris", 1, pub); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPublish1MiB(b *testing.B) {
	priv, _ := newKey(b)
	reg := Open(b.TempDir())
	files := benchFiles(b)
	b.SetBytes(1 << 20)
	for b.Loop() {
		if _, err := reg.Publish("iris", files, priv); err != nil {
			b.Fatal(err)
		}
	}
}
