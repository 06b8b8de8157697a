package imagebuild_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mlops-dev/mlops/pkg/engine"
	"github.com/mlops-dev/mlops/pkg/engine/enginetest"
	"github.com/mlops-dev/mlops/pkg/imagebuild"
)

func TestContext_Files(t *testing.T) {
	data, err := imagebuild.Context([]byte("BINARY"), []byte("CERTS"), map[string]string{"a.b": "v 1"})
	if err != nil {
		t.Fatalf("Context: %v", err)
	}
	files := map[string]string{}
	modes := map[string]int64{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read context tar: %v", err)
		}
		body, _ := io.ReadAll(tr)
		files[hdr.Name] = string(body)
		modes[hdr.Name] = hdr.Mode
	}
	if files["rootfs/mlops"] != "BINARY" || modes["rootfs/mlops"] != 0o755 {
		t.Errorf("mlops = %q mode %o, want the binary with mode 755", files["rootfs/mlops"], modes["rootfs/mlops"])
	}
	if files["rootfs/etc/ssl/certs/ca-certificates.crt"] != "CERTS" {
		t.Errorf("ca-certificates.crt = %q, want the CA bundle", files["rootfs/etc/ssl/certs/ca-certificates.crt"])
	}
	if mode, ok := modes["rootfs/tmp/"]; !ok || mode != 0o1777 {
		t.Errorf("rootfs/tmp/ mode %o (present %t), want a directory with mode 1777", mode, ok)
	}
	if !strings.Contains(files["rootfs/etc/passwd"], ":65532:65532:") {
		t.Errorf("passwd %q has no user 65532", files["rootfs/etc/passwd"])
	}
	dockerfile := files["Dockerfile"]
	for _, want := range []string{"FROM scratch", "USER 65532:65532", `ENTRYPOINT ["/mlops"]`, `LABEL a.b="v 1"`} {
		if !strings.Contains(dockerfile, want) {
			t.Errorf("Dockerfile does not contain %q:\n%s", want, dockerfile)
		}
	}
}

func TestEnsure_RejectsDynamicBinary(t *testing.T) {
	// /bin/sh is dynamically linked on every glibc distribution.
	_, err := imagebuild.Ensure(context.Background(), nil, imagebuild.Options{Binary: "/bin/sh", Tag: "x:y"}, nil)
	if err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Fatalf("Ensure(/bin/sh) error = %v, want a dynamically linked error with the fix", err)
	}
}

func TestEnsure_BuildsOnceFromScratch(t *testing.T) {
	c := enginetest.Connect(t)
	binary := enginetest.BuildTestApp(t)
	tag := enginetest.UniqueTag(t, "mlops-test-app")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var steps []string
	opts := imagebuild.Options{Binary: binary, Tag: tag, Version: "0.0.0-test"}
	built, err := imagebuild.Ensure(ctx, c, opts, func(p engine.Progress) {
		steps = append(steps, p.Status)
	})
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	enginetest.RemoveImageOnCleanup(t, c, tag)
	if !built {
		t.Fatalf("Ensure reported no build for a new tag")
	}
	if len(steps) == 0 {
		t.Errorf("Ensure reported no build progress")
	}

	img, err := c.InspectImage(ctx, tag)
	if err != nil {
		t.Fatalf("InspectImage: %v", err)
	}
	if img.User != "65532:65532" {
		t.Errorf("image user = %q, want 65532:65532", img.User)
	}
	if diff := cmp.Diff([]string{"/mlops"}, img.Entrypoint); diff != "" {
		t.Errorf("image entrypoint (-want +got):\n%s", diff)
	}
	if img.Labels["org.opencontainers.image.version"] != "0.0.0-test" {
		t.Errorf("version label = %q, want 0.0.0-test", img.Labels["org.opencontainers.image.version"])
	}

	built, err = imagebuild.Ensure(ctx, c, imagebuild.Options{Binary: binary, Tag: tag}, nil)
	if err != nil {
		t.Fatalf("second Ensure: %v", err)
	}
	if built {
		t.Errorf("second Ensure rebuilt an image built from the same binary")
	}
}

// TestEnsure_RepoBinaryRuns builds the repository's own main package
// statically, puts it into the image and runs `mlops --help` in it.
func TestEnsure_RepoBinaryRuns(t *testing.T) {
	c := enginetest.Connect(t)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "main.go")); err != nil {
		t.Skipf("skipping: no main package at %s yet (%v)", root, err)
	}
	binary := filepath.Join(t.TempDir(), "mlops")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		// Other packages of the repository may be mid-change; this test is
		// about the image, so a compile error is not its failure.
		t.Skipf("skipping: the main package does not compile now: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tag := enginetest.UniqueTag(t, "mlops-test-repo")
	if _, err := imagebuild.Ensure(ctx, c, imagebuild.Options{Binary: binary, Tag: tag}, nil); err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	enginetest.RemoveImageOnCleanup(t, c, tag)

	project := enginetest.Project(t, c)
	labels := enginetest.Labels()
	labels[engine.LabelProject] = project
	id, err := c.CreateContainer(ctx, engine.ContainerSpec{
		Name: project + "-help-1", Image: tag, Cmd: []string{"--help"}, Labels: labels, ReadOnly: true,
	})
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	if err := c.StartContainer(ctx, id); err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	var state engine.ContainerState
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if state, err = c.InspectContainer(ctx, id); err != nil {
			t.Fatal(err)
		}
		if state.Status == "exited" {
			break
		}
	}
	var out strings.Builder
	if err := c.Logs(ctx, id, engine.LogOptions{Tail: -1}, &out, &out); err != nil {
		t.Fatalf("Logs: %v", err)
	}
	if state.Status != "exited" || state.ExitCode != 0 {
		t.Fatalf("mlops --help in the image: status %q, exit code %d, output:\n%s", state.Status, state.ExitCode, out.String())
	}
	if !strings.Contains(out.String(), "mlops") {
		t.Errorf("mlops --help output does not mention mlops:\n%s", out.String())
	}
}
