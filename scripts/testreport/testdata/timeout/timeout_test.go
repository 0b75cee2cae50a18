package timeout

import (
	"testing"
	"time"
)

// TestQuick passes; TestSlow outlasts go test's -timeout, which ends the package with a panic.
func TestQuick(t *testing.T) {}

func TestSlow(t *testing.T) { time.Sleep(time.Minute) }
