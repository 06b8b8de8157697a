package enginetest

import (
	"archive/tar"
	"bytes"
	"context"
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

// RedisImage imports a minimal Redis image under ref, made of the host's
// redis-server and redis-cli, their shared libraries and the dynamic loader,
// running as a non-root user with /data as its working directory. The image
// is removed when the test ends. The test is skipped (or fails under
// MLOPS_REQUIRE_SERVICES=1) when redis-server or ldd is missing.
func RedisImage(t testing.TB, c *engine.Client, ref string) {
	t.Helper()
	rootfs := redisRootFS(t)
	changes := []string{
		"USER " + strconv.Itoa(RedisUID),
		"WORKDIR /data",
		"ENV PATH=/usr/bin",
		`CMD ["/usr/bin/redis-server", "--port", "6379"]`,
		"LABEL " + LabelTest + "=1",
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.ImportImage(ctx, bytes.NewReader(rootfs), ref, changes); err != nil {
		t.Fatalf("import redis image: %v", err)
	}
	RemoveImageOnCleanup(t, c, ref)
}

func redisRootFS(t testing.TB) []byte {
	t.Helper()
	files := map[string]string{} // path in image -> path on host
	for _, bin := range redisBinaries {
		if _, err := os.Stat(bin); err != nil {
			skipOrFail(t, "needs "+bin+" from Debian's redis-server package: "+err.Error())
		}
		files[bin] = bin
		out, err := exec.Command("ldd", bin).Output()
		if err != nil {
			skipOrFail(t, "needs ldd to list the libraries of "+bin+": "+err.Error())
		}
		for _, m := range lddPath.FindAllStringSubmatch(string(out), -1) {
			files[m[1]] = m[1]
		}
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	addDir := func(dir string, mode int64, uid int) {
		hdr := &tar.Header{Name: strings.TrimPrefix(dir, "/") + "/", Mode: mode, Typeflag: tar.TypeDir, Uid: uid, Gid: uid, ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("write rootfs: %v", err)
		}
		dirs[dir] = true
	}
	var parents func(dir string)
	parents = func(dir string) {
		if dir == "/" || dir == "." || dirs[dir] {
			return
		}
		parents(filepath.Dir(dir))
		addDir(dir, 0o755, 0)
	}

	for _, path := range slices.Sorted(maps.Keys(files)) {
		// Host libraries are often symlinks; the image gets the target's
		// bytes under the name the loader looks for.
		data, err := os.ReadFile(files[path])
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		parents(filepath.Dir(path))
		writeFile(t, tw, path, 0o755, data)
	}
	parents("/etc")
	writeFile(t, tw, "/etc/passwd", 0o644, []byte("root:x:0:0:root:/:/sbin/nologin\nredis:x:999:999:redis:/data:/sbin/nologin\n"))
	writeFile(t, tw, "/etc/group", 0o644, []byte("root:x:0:\nredis:x:999:\n"))
	addDir("/data", 0o755, RedisUID)
	addDir("/tmp", 0o1777, 0)
	if err := tw.Close(); err != nil {
		t.Fatalf("write rootfs: %v", err)
	}
	return buf.Bytes()
}

func writeFile(t testing.TB, tw *tar.Writer, path string, mode int64, data []byte) {
	hdr := &tar.Header{Name: strings.TrimPrefix(path, "/"), Mode: mode, Size: int64(len(data)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}
	if err := tw.WriteHeader(hdr); err != nil {
		t.Fatalf("write rootfs: %v", err)
	}
	if _, err := tw.Write(data); err != nil {
		t.Fatalf("write rootfs: %v", err)
	}
}

func skipOrFail(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf("%s (%s=1)", msg, requireEnv)
	}
	t.Skipf("skipping: %s; set %s=1 to make this a failure", msg, requireEnv)
}
