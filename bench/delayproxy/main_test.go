package main

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// A round trip through the proxy to an echo server takes at least twice the delay, and
// every byte comes back in order.
func TestRoundTripDelayed(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	for _, delay := range []time.Duration{0, 2 * time.Millisecond, 20 * time.Millisecond} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go serve(ln, echo.Addr().String(), delay)
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		msg := bytes.Repeat([]byte("0123456789"), 20000)
		start := time.Now()
		go c.Write(msg)
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		c.Close()
		ln.Close()
		if !bytes.Equal(got, msg) {
			t.Fatalf("delay %s: the bytes came back changed", delay)
		}
		if took < 2*delay {
			t.Fatalf("delay %s: a round trip took %s, less than twice the delay", delay, took)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		listen, to string
		delay      time.Duration
		ok         bool
	}{
		{"127.0.0.1:1", "127.0.0.1:2", 500 * time.Microsecond, true},
		{"", "127.0.0.1:2", 0, false},
		{"127.0.0.1:1", "", 0, false},
		{"127.0.0.1:1", "127.0.0.1:2", -time.Millisecond, false},
		{"127.0.0.1:1", "127.0.0.1:2", 2 * time.Second, false},
	} {
		if err := validate(tt.listen, tt.to, tt.delay); (err == nil) != tt.ok {
			t.Errorf("validate(%q, %q, %s) = %v", tt.listen, tt.to, tt.delay, err)
		}
	}
}
