package registry

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func exportVersion(t *testing.T, reg *Registry, name string, version int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := reg.Export(name, version, &buf); err != nil {
		t.Fatalf("Export(%s, %d): %v", name, version, err)
	}
	return buf.Bytes()
}

func TestExportImport_RoundTrip(t *testing.T) {
	priv, pub := newKey(t)
	src := Open(t.TempDir())
	publish(t, src, "iris", modelFiles(), priv)
	publish(t, src, "iris", map[string][]byte{"forest.bin": []byte("second")}, priv)
	archive := exportVersion(t, src, "iris", 2)

	dst := Open(t.TempDir())
	name, version, err := dst.Import(bytes.NewReader(archive), pub)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if name != "iris" || version != 2 {
		t.Errorf("Import = %s v%d, want iris v2", name, version)
	}
	want, err := src.Load("iris", 2, pub)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dst.Load("iris", 2, pub)
	if err != nil {
		t.Fatalf("Load after Import: %v", err)
	}
	if diff := cmp.Diff(want.Files, got.Files); diff != "" {
		t.Errorf("imported files differ (-exported +imported):\n%s", diff)
	}
	if got.ManifestDigest != want.ManifestDigest {
		t.Errorf("imported ManifestDigest = %s, want %s", got.ManifestDigest, want.ManifestDigest)
	}
	if left := listDir(t, dst.Root); !cmp.Equal(left, []string{"iris"}) {
		t.Errorf("registry root holds %v after Import, want only iris", left)
	}
	if runtime.GOOS != "windows" {
		assertMode(t, filepath.Join(dst.Root, "iris", "v2"), 0o755|os.ModeDir)
	}

	// The same archive again is a no-op.
	if _, _, err := dst.Import(bytes.NewReader(archive), pub); err != nil {
		t.Errorf("second Import of the same version: %v", err)
	}
	if again := exportVersion(t, src, "iris", 2); !bytes.Equal(again, archive) {
		t.Error("Export of the same version is not byte-identical")
	}
}

func TestImport_DifferentManifestAtSameVersion(t *testing.T) {
	priv, pub := newKey(t)
	src := Open(t.TempDir())
	publish(t, src, "iris", modelFiles(), priv)
	dst := Open(t.TempDir())
	publish(t, dst, "iris", map[string][]byte{"forest.bin": []byte("local")}, priv)

	_, _, err := dst.Import(bytes.NewReader(exportVersion(t, src, "iris", 1)), pub)
	if err == nil || !strings.Contains(err.Error(), "import iris v1: version already exists with a different manifest") {
		t.Fatalf("Import error = %v, want a different-manifest error", err)
	}
	art, err := dst.Load("iris", 1, pub)
	if err != nil {
		t.Fatal(err)
	}
	if string(art.Files["forest.bin"]) != "local" {
		t.Error("Import replaced the existing version")
	}
}

// tarEntry describes one archive entry for crafted archives.
type tarEntry struct {
	name     string
	typeflag byte
	body     []byte
	size     int64 // header size when the body is left out; 0 means len(body)
	linkname string
}

// readEntries returns the entries of an archive written by Export.
func readEntries(t *testing.T, archive []byte) []tarEntry {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var entries []tarEntry
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return entries
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		entries = append(entries, tarEntry{name: hdr.Name, typeflag: hdr.Typeflag, body: body})
	}
}

// buildArchive writes entries as a gzip-compressed tar. An entry with a size larger than
// its body ends the archive after its header, which is enough for header checks.
func buildArchive(t *testing.T, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		size := int64(len(e.body))
		if e.size != 0 {
			size = e.size
		}
		hdr := &tar.Header{Name: e.name, Typeflag: e.typeflag, Size: size, Mode: 0o644, Linkname: e.linkname}
		if e.typeflag != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if size != int64(len(e.body)) {
			// Leave the body out and skip tw.Close, which would reject it.
			if err := gz.Close(); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImport_RejectsBadArchives(t *testing.T) {
	priv, pub := newKey(t)
	otherPriv, _ := newKey(t)
	src := Open(t.TempDir())
	publish(t, src, "iris", modelFiles(), priv)
	good := readEntries(t, exportVersion(t, src, "iris", 1))
	other := Open(t.TempDir())
	publish(t, other, "iris", modelFiles(), otherPriv)
	otherSigned := readEntries(t, exportVersion(t, other, "iris", 1))

	// edit returns a copy of the good entries changed by fn.
	edit := func(fn func([]tarEntry) []tarEntry) []tarEntry {
		copied := make([]tarEntry, len(good))
		for i, e := range good {
			e.body = bytes.Clone(e.body)
			copied[i] = e
		}
		return fn(copied)
	}
	find := func(entries []tarEntry, suffix string) *tarEntry {
		for i := range entries {
			if strings.HasSuffix(entries[i].name, suffix) {
				return &entries[i]
			}
		}
		t.Fatalf("no entry ending in %s", suffix)
		return nil
	}
	reg := func(name string, body string) tarEntry {
		return tarEntry{name: name, typeflag: tar.TypeReg, body: []byte(body)}
	}

	tests := []struct {
		name    string
		archive []byte
		wantErr string
	}{
		{"flipped byte in model file", buildArchive(t, edit(func(e []tarEntry) []tarEntry {
			find(e, "forest.bin").body[0] ^= 1
			return e
		})), "import rejected: verify iris v1: forest.bin: sha256 is"},
		{"flipped byte in manifest", buildArchive(t, edit(func(e []tarEntry) []tarEntry {
			find(e, manifestFile).body[10] ^= 1
			return e
		})), "manifest.json: does not match the signature"},
		{"signed by another key", buildArchive(t, otherSigned), "manifest.sig: signed by another key"},
		{"missing file", buildArchive(t, edit(func(e []tarEntry) []tarEntry {
			return slicesDelete(e, find(e, "model.json"))
		})), "model.json: listed in the manifest but missing"},
		{"extra file", buildArchive(t, edit(func(e []tarEntry) []tarEntry {
			return append(e, reg("iris/v1/run.sh", "#!/bin/sh"))
		})), "run.sh: extra file not listed in the manifest"},
		{"parent traversal", buildArchive(t, append(edit(noChange), reg("../evil", "x"))), `archive entry "../evil": path escapes`},
		{"nested traversal", buildArchive(t, append(edit(noChange), reg("iris/v1/../../evil", "x"))), "path escapes"},
		{"absolute path", buildArchive(t, append(edit(noChange), reg("/etc/evil", "x"))), "absolute"},
		{"windows path", buildArchive(t, []tarEntry{reg(`iris\v1\x`, "x")}), "Windows-style path"},
		{"symlink", buildArchive(t, append(edit(noChange),
			tarEntry{name: "iris/v1/link", typeflag: tar.TypeSymlink, linkname: "/etc/passwd"})),
			`link to "/etc/passwd": links are not allowed`},
		{"hard link", buildArchive(t, append(edit(noChange),
			tarEntry{name: "iris/v1/link", typeflag: tar.TypeLink, linkname: "iris/v1/forest.bin"})),
			"links are not allowed"},
		{"device file", buildArchive(t, []tarEntry{{name: "iris/v1/dev", typeflag: tar.TypeChar}}), "only regular files and directories"},
		{"nested directory", buildArchive(t, []tarEntry{reg("iris/v1/sub/x", "x")}), "unexpected path, want NAME/vN/FILE"},
		{"oversized file", buildArchive(t, []tarEntry{{name: "iris/v1/forest.bin", typeflag: tar.TypeReg, size: 2 << 30}}),
			"size 2147483648 bytes exceeds the limit of 1073741824 bytes"},
		{"oversized manifest", buildArchive(t, []tarEntry{{name: "iris/v1/manifest.json", typeflag: tar.TypeReg, size: 5 << 20}}),
			"exceeds the limit"},
		{"two versions", buildArchive(t, append(edit(noChange), reg("iris/v2/forest.bin", "x"))), "archive mixes iris v1 with iris v2"},
		{"invalid model name", buildArchive(t, []tarEntry{reg("Iris/v1/forest.bin", "x")}), `invalid model name "Iris"`},
		{"invalid version dir", buildArchive(t, []tarEntry{reg("iris/latest/forest.bin", "x")}), `invalid version directory "latest"`},
		{"duplicate file", buildArchive(t, append(edit(noChange), *find(good, "forest.bin"))), "duplicate file"},
		{"empty archive", buildArchive(t, nil), "no model version in it"},
		{"not gzip", []byte("plain text"), "not a gzip-compressed tar file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := Open(t.TempDir())
			_, _, err := dst.Import(bytes.NewReader(tt.archive), pub)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Import error = %v, want one containing %q", err, tt.wantErr)
			}
			if left := listDir(t, dst.Root); len(left) != 0 {
				t.Errorf("rejected Import left %v in the registry root", left)
			}
		})
	}
}

func noChange(e []tarEntry) []tarEntry { return e }

func slicesDelete(entries []tarEntry, target *tarEntry) []tarEntry {
	var remaining []tarEntry
	for i := range entries {
		if &entries[i] != target {
			remaining = append(remaining, entries[i])
		}
	}
	return remaining
}

func TestExport_RejectsCorruptedVersion(t *testing.T) {
	priv, _ := newKey(t)
	reg := Open(t.TempDir())
	publish(t, reg, "iris", modelFiles(), priv)
	flipByte("forest.bin", "first")(t, reg)
	err := reg.Export("iris", 1, io.Discard)
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.File != "forest.bin" {
		t.Errorf("Export error = %v, want a *VerifyError naming forest.bin", err)
	}
}
