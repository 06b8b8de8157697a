package enginetest

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/engine"
)

// RedisUID is the non-root user the Redis test image runs as.
const RedisUID = 999

// redisBinaries are copied from the host; redis-cli serves health checks.
var redisBinaries = []string{"/usr/bin/redis-server", "/usr/bin/redis-cli"}

// lddPath matches the library paths in ldd output, both the
// "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" lines and the
// dynamic loader's "/lib64/ld-linux-x86-64.so.2 (0x...)" line.
var lddPath = regexp.MustCompile(`(?m)(?:=>\s+|^\s*)(/\S+)\s+\(0x`)

// ErrMissingTool means a host program that RedisImage copies or runs is
// missing.
var ErrMissingTool = errors.New("missing host tool")

// RedisImage imports a minimal Redis image under ref (see ImportRedisImage)
// and removes it when the test ends. The test is skipped, or fails under
// MLOPS_REQUIRE_SERVICES=1, when redis-server or ldd is missing.
func RedisImage(t testing.TB, c *engine.Client, ref string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := ImportRedisImage(ctx, c, ref)
	if errors.Is(err, ErrMissingTool) {
		SkipOrFail(t, err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	RemoveImageOnCleanup(t, c, ref)
}

// ImportRedisImage imports a minimal Redis image under ref, made of the
// host's redis-server and redis-cli, their shared libraries and the dynamic
// loader, running as user 999 with /data as its working directory. The
// caller removes the image. Errors wrap ErrMissingTool when redis-server,
// redis-cli or ldd is missing.
func ImportRedisImage(ctx context.Context, c *engine.Client, ref string) error {
	rootfs, err := redisRootFS()
	if err != nil {
		return err
	}
	changes := []string{
		"USER " + strconv.Itoa(RedisUID),
		"WORKDIR /data",
		"ENV PATH=/usr/bin",
		`CMD ["/usr/bin/redis-server", "--port", "6379"]`,
		"LABEL " + LabelTest + "=1",
	}
	return c.ImportImage(ctx, bytes.NewReader(rootfs), ref, changes)
}

func redisRootFS() ([]byte, error) {
	files := map[string]string{} // path in image -> path on host
	for _, bin := range redisBinaries {
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("%w: needs %s from Debian's redis-server and redis-tools packages: %v",
				ErrMissingTool, bin, err)
		}
		files[bin] = bin
		out, err := exec.Command("ldd", bin).Output()
		if err != nil {
			return nil, fmt.Errorf("%w: needs ldd to list the libraries of %s: %v", ErrMissingTool, bin, err)
		}
		for _, m := range lddPath.FindAllStringSubmatch(string(out), -1) {
			files[m[1]] = m[1]
		}
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	w := &rootfsWriter{tw: tw, dirs: map[string]bool{}}
	for _, path := range slices.Sorted(maps.Keys(files)) {
		// Host libraries are often symlinks; the image gets the target's
		// bytes under the name the loader looks for.
		data, err := os.ReadFile(files[path])
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		w.parents(filepath.Dir(path))
		w.file(path, 0o755, data)
	}
	w.parents("/etc")
	w.file("/etc/passwd", 0o644, []byte("root:x:0:0:root:/:/sbin/nologin\nredis:x:999:999:redis:/data:/sbin/nologin\n"))
	w.file("/etc/group", 0o644, []byte("root:x:0:\nredis:x:999:\n"))
	w.dir("/data", 0o755, RedisUID)
	w.dir("/tmp", 0o1777, 0)
	if w.err != nil {
		return nil, fmt.Errorf("write rootfs: %w", w.err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("write rootfs: %w", err)
	}
	return buf.Bytes(), nil
}

// rootfsWriter writes a root filesystem tar and keeps its first error.
type rootfsWriter struct {
	tw   *tar.Writer
	dirs map[string]bool
	err  error
}

func (w *rootfsWriter) parents(dir string) {
	if dir == "/" || dir == "." || w.dirs[dir] {
		return
	}
	w.parents(filepath.Dir(dir))
	w.dir(dir, 0o755, 0)
}

func (w *rootfsWriter) dir(dir string, mode int64, uid int) {
	w.dirs[dir] = true
	hdr := &tar.Header{
		Name:     strings.TrimPrefix(dir, "/") + "/",
		Mode:     mode,
		Typeflag: tar.TypeDir,
		Uid:      uid,
		Gid:      uid,
		ModTime:  time.Unix(0, 0),
	}
	if err := w.tw.WriteHeader(hdr); err != nil && w.err == nil {
		w.err = err
	}
}

func (w *rootfsWriter) file(path string, mode int64, data []byte) {
	hdr := &tar.Header{
		Name:     strings.TrimPrefix(path, "/"),
		Mode:     mode,
		Size:     int64(len(data)),
		Typeflag: tar.TypeReg,
		ModTime:  time.Unix(0, 0),
	}
	if err := w.tw.WriteHeader(hdr); err != nil && w.err == nil {
		w.err = err
	}
	if _, err := w.tw.Write(data); err != nil && w.err == nil {
		w.err = err
	}
}

// SkipOrFail skips the test with msg, or fails it when
// MLOPS_REQUIRE_SERVICES=1.
func SkipOrFail(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf("%s (%s=1)", msg, requireEnv)
	}
	t.Skipf("skipping: %s; set %s=1 to make this a failure", msg, requireEnv)
}
