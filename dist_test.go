package funwithbanking_test

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestDist builds the deliverable archive and checks it is under the brief's 100 KB and
// holds what the brief asks for.
func TestDist(t *testing.T) {
	dir := t.TempDir()
	out, err := exec.Command("scripts/dist.sh", "first_last", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("dist.sh: %v\n%s", err, out)
	}
	path := filepath.Join(dir, "first_last.tgz")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
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
		"db/procedures.sql", "client/main.go"} {
		if !have["first_last/"+want] {
			t.Errorf("archive lacks %s", want)
		}
	}
}
