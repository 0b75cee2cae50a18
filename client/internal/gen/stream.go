package gen

// Stream makes every batch of c on up to workers goroutines and hands them to emit in
// batch order, with account ids numbered consecutively from 1 across batches. At most
// about 3*workers batches exist at once, so a bank of any size streams in bounded memory.
// If emit returns an error, Stream stops making batches and returns that error.
func Stream(c Config, workers int, emit func(*Batch) error) error {
	return StreamPrepared(c, workers, func(*Batch) struct{} { return struct{}{} },
		func(b *Batch, _ struct{}) error { return emit(b) })
}

// StreamPrepared is Stream with a prepare step that runs on the worker goroutines, in
// parallel, right after each batch is made: the place for work on a batch that does not
// need the batches before it (encoding it for the database, say). prepare sees the batch's
// own account ids, 1..len(Accounts); emit sees them renumbered to follow earlier batches.
func StreamPrepared[T any](c Config, workers int, prepare func(*Batch) T, emit func(*Batch, T) error) error {
	workers = max(1, workers)
	type made struct {
		b Batch
		p T
	}
	// futures holds one channel per batch, in batch order: its capacity bounds how far
	// generation runs ahead of emit, and busy bounds how many batches are being made.
	futures := make(chan chan made, 2*workers)
	busy := make(chan struct{}, workers)
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
