package cli

import (
	"bytes"
	"os"
	"testing"
)

// Progress lines are for people at a terminal: a pipe, a file or /dev/null gets none.
func TestProgressQuietOffTerminal(t *testing.T) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	file, err := os.Create(t.TempDir() + "/log")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for name, w := range map[string]interface{ Write([]byte) (int, error) }{
		"buffer": &bytes.Buffer{}, "/dev/null": devNull, "file": file,
	} {
		if progressBar(w) != nil {
			t.Errorf("%s: progress would be drawn", name)
		}
	}
}
