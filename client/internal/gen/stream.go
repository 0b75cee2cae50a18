package gen

// Stream makes every batch of c on up to jobs goroutines and hands them to emit in batch
// order, account ids numbered on from 1 across batches, about 3*jobs batches at most in
// memory. An error from emit stops it, and Stream returns that error.
func Stream(c Config, jobs int, emit func(*Batch) error) error {
	return StreamPrepared(c, jobs, func(*Batch) struct{} { return struct{}{} },
		func(b *Batch, _ struct{}) error { return emit(b) })
}

// StreamPrepared is Stream with prepare run on the making goroutines right after each
// batch is made, for work that needs no earlier batch (encoding it, say): prepare sees the
// batch's own account ids, 1..len(Accounts); emit sees them renumbered.
func StreamPrepared[T any](c Config, jobs int, prepare func(*Batch) T, emit func(*Batch, T) error) error {
	jobs = max(1, jobs)
	type made struct {
		b Batch
		p T
	}
	// futures holds one channel per batch, in batch order: its capacity bounds how far
	// generation runs ahead of emit, and busy bounds how many batches are being made.
	futures := make(chan chan made, 2*jobs)
	busy := make(chan struct{}, jobs)
	stop := make(chan struct{})
	defer close(stop)

	go func() {
		defer close(futures)
		for i := range c.Batches() {
			future := make(chan made, 1)
			select {
			case futures <- future:
			case <-stop:
				return
			}
			select {
			case busy <- struct{}{}:
			case <-stop:
				return
			}
			go func() {
				b := c.MakeBatch(i)
				p := prepare(&b)
				future <- made{b, p} // buffered: never blocks, even after a stop
				<-busy
			}()
		}
	}()

	var nextAccount int64
	for future := range futures {
		m := <-future
		for k := range m.b.Accounts {
			m.b.Accounts[k].ID += nextAccount
		}
		nextAccount += int64(len(m.b.Accounts))
		if err := emit(&m.b, m.p); err != nil {
			return err
		}
	}
	return nil
}
