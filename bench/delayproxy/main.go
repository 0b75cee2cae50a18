// Command delayproxy forwards TCP connections and delays every byte by a fixed time each
// way, as a network between machines would: bench/citus-latency.sh puts one in front of
// each Citus worker, so that every connection to a worker crosses it. It delays, and does
// not throttle: each direction forwards what it read once that read is the delay old, and
// goes on reading meanwhile.
//
//	delayproxy -listen 127.0.0.1:PORT -to 127.0.0.1:PORT -delay 500us
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"time"
)

func main() {
	listen := flag.String("listen", "", "address to listen on")
	to := flag.String("to", "", "address to forward to")
	delay := flag.Duration("delay", 0, "one-way delay added to every byte")
	flag.Parse()
	if err := validate(*listen, *to, *delay); err != nil {
		fmt.Fprintln(os.Stderr, "delayproxy:", err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("delayproxy: %v", err)
	}
	log.Fatalf("delayproxy: %v", serve(ln, *to, *delay))
}

func serve(ln net.Listener, to string, delay time.Duration) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go forward(c, to, delay)
	}
}

func validate(listen, to string, delay time.Duration) error {
	switch {
	case listen == "" || to == "":
		return errors.New("-listen and -to are both needed")
	case delay < 0 || delay > time.Second:
		return fmt.Errorf("-delay must be between 0 and 1s, got %s", delay)
	}
	return nil
}

func forward(in net.Conn, to string, delay time.Duration) {
	defer in.Close()
	out, err := net.Dial("tcp", to)
	if err != nil {
		log.Printf("delayproxy: %v", err)
		return
	}
	defer out.Close()
	done := make(chan struct{}, 2)
	go func() { pipe(out, in, delay); done <- struct{}{} }()
	go func() { pipe(in, out, delay); done <- struct{}{} }()
	<-done // either side closed: close both
}

type chunk struct {
	data []byte
	due  time.Time
}

// pipe copies src to dst, each read delivered delay after it arrived.
func pipe(dst io.WriteCloser, src io.Reader, delay time.Duration) {
	defer dst.Close()
	queue := make(chan chunk, 1024)
	go func() {
		defer close(queue)
		for {
			buf := make([]byte, 64<<10)
			n, err := src.Read(buf)
			if n > 0 {
				queue <- chunk{buf[:n], time.Now().Add(delay)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range queue {
		time.Sleep(time.Until(c.due))
		if _, err := dst.Write(c.data); err != nil {
			go func() { // the reader ends when forward closes src; until then, unblock it
				for range queue {
				}
			}()
			return
		}
	}
}
