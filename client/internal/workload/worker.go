package workload

import (
	"context"
	"time"

	"funwithbanking/client/internal/bank"
)

// A worker that lost its connection (a restart, a failover) tries again after
// reconnectFirstWait, doubling up to reconnectMaxWait, for reconnectFor in all.
const (
	reconnectFor       = 2 * time.Minute
	reconnectFirstWait = 50 * time.Millisecond
	reconnectMaxWait   = time.Second
)

// worker is one goroutine's dedicated connection: opened at its start, replaced when it
// is lost, closed at its end.
type worker struct {
	run *runner
	// call is never cancelled: a statement cut off after its commit would look in doubt.
	// The server's timeouts bound statements; the run's context only stops the loops.
	call context.Context
	sess *bank.Session // nil once the connection is gone for good
	// suspect takes back the last answered write: an answer is not a commit until the
	// next exchange on the connection succeeds (docs/reliability.md).
	suspect func()
}

// newWorker connects; false (the failure recorded) when it cannot.
func (s *runner) newWorker(runCtx context.Context) (*worker, bool) {
	w := &worker{run: s, call: context.WithoutCancel(runCtx)}
	sess, err := s.connect(w.call)
	if err != nil {
		w.fail(err)
		return w, false
	}
	w.sess = sess
	return w, true
}

// answered makes the write just answered the suspect one, undo taking it back, and
// confirms the one before: the server lived on to answer. undo is nil for a refusal.
func (w *worker) answered(undo func()) { w.suspect = undo }

// doubt takes back the suspect write: the connection died before the next answer.
func (w *worker) doubt() {
	if w.suspect != nil {
		w.suspect()
		w.suspect = nil
	}
}

// fail records an error that is not a refusal. An answer from the server confirms the
// suspect write; a lost connection doubts it and is replaced. False when it cannot be.
func (w *worker) fail(err error) bool {
	s := w.run
	s.countError(err)
	if !bank.ConnectionLost(err) {
		w.suspect = nil
		return true
	}
	w.doubt()
	s.closeSession(w.sess)
	s.counts.reconnects.Add(1)
	next, err := s.connect(w.call)
	w.sess = next
	if err != nil && s.parent.Err() == nil { // stopped while it waited for the server: no failure
		s.violate("could not reconnect: %v", err)
	}
	return err == nil
}

// close settles the suspect write, which the server's going away since doubts, and
// closes the connection.
func (w *worker) close() {
	if w.suspect != nil && w.sess != nil && bank.ConnectionLost(w.sess.Ping(w.call)) {
		w.doubt()
	}
	w.run.closeSession(w.sess)
}

// connect opens a session, waiting with backoff while the server is away, for up to
// reconnectFor, or until the caller gives up.
func (s *runner) connect(ctx context.Context) (*bank.Session, error) {
	deadline := time.Now().Add(reconnectFor)
	wait := reconnectFirstWait
	for {
		sess, err := s.db.Session(ctx)
		if err == nil {
			if err = sess.Ping(ctx); err == nil {
				return sess, nil
			}
			sess.Close()
		}
		if !bank.ConnectionLost(err) || time.Now().After(deadline) {
			return nil, err
		}
		select {
		case <-time.After(wait):
		case <-s.parent.Done():
			return nil, err
		}
		wait = min(2*wait, reconnectMaxWait)
	}
}

// closeSession keeps the session's retries for the report, then closes it.
func (s *runner) closeSession(sess *bank.Session) {
	if sess == nil {
		return
	}
	s.mu.Lock()
	s.retries += sess.Retries()
	s.mu.Unlock()
	sess.Close()
}

// countError counts an error by SQLSTATE ("other" without one).
func (s *runner) countError(err error) {
	code := bank.Code(err)
	if code == "" {
		code = "other"
	}
	s.counts.errs.Add(1)
	s.mu.Lock()
	s.byCode[code]++
	s.mu.Unlock()
}
