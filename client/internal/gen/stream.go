package gen

// Stream makes every batch of c on up to workers goroutines and hands them to emit in
// batch order, with account ids numbered consecutively from 1 across batches. At most
// about 3*workers batches exist at once, so a bank of any size streams in bounded memory.
// If emit returns an error, Stream stops making batches and returns that error.
func Stream(c Config, workers int, emit func(*Batch) error) error {
	workers = max(1, workers)
	// futures holds one channel per batch, in batch order: its capacity bounds how far
	// generation runs ahead of emit, and busy bounds how many batches are being made.
	futures := make(chan chan Batch, 2*workers)
	busy := make(chan struct{}, workers)
	stop := make(chan struct{})
	defer close(stop)

	go func() {
		defer close(futures)
		for i := range c.Batches() {
			future := make(chan Batch, 1)
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
				future <- c.MakeBatch(i) // buffered: never blocks, even after a stop
				<-busy
			}()
		}
	}()

	var nextAccount int64
	for future := range futures {
		b := <-future
		for k := range b.Accounts {
			b.Accounts[k].ID += nextAccount
		}
		nextAccount += int64(len(b.Accounts))
		if err := emit(&b); err != nil {
			return err
		}
	}
	return nil
}
