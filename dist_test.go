package funwithbanking_test

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDist builds the deliverable archive and checks it is under the brief's 100 KB and
// holds what the brief asks for.
func TestDist(t *testing.T) {
	dir := t.TempDir()
	out, err := exec.Command("scripts/dist.sh", "First Last", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("dist.sh: %v\n%s", err, out)
	}
	path := filepath.Join(dir, "first_last.tgz")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d bytes", path, info.Size())
	if info.Size() >= 100*1024 {
		t.Fatalf("%s is %d bytes, over 100 KB", path, info.Size())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		have[h.Name] = true
	}
	for _, want := range []string{"README.md", "Dockerfile", "setup.sh", "go.mod", "go.sum", "db/init.sql",
		"db/procedures.sql", "db/test/functions_test.sql", "client/main.go", "client/internal/gen/places.txt"} {
		if !have["first_last/"+want] {
			t.Errorf("archive lacks %s", want)
		}
	}
	for name := range have {
		if strings.HasSuffix(name, "_test.go") || strings.Contains(name, "/testdata/") {
			t.Errorf("archive holds the test file %s", name)
		}
	}
	// What is in it must build on its own: no package may import a test-only one.
	build := exec.Command("sh", "-c", "tar -xzf "+path+" && cd first_last && go build -o /dev/null ./client && go vet ./client/...")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the archive does not build: %v\n%s", err, out)
	}
}
