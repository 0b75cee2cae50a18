package workload

import (
	"fmt"
	"math/bits"
	"slices"

	"funwithbanking/client/internal/bank"
	"funwithbanking/client/internal/money"
)

// Transfer is one transfer the bench sent.
type Transfer struct {
	From, To int64
	Amount   money.Cents
}

// Doubt is one transaction whose commit the run could not confirm: a transfer, or a
// Robinhood the bank could not say the end of. Its movements happened all or none.
type Doubt struct {
	Robinhood bool
	Moves     []Transfer
}

// Verdict is what the checker found.
type Verdict struct {
	Violations []string
	// In-doubt transfers whose commit did and did not happen, as the final balances show.
	InDoubtHappened, InDoubtNotHappened int
	// The same of in-doubt Robinhoods, decided by their movements.
	RobinhoodsInDoubtHappened, RobinhoodsInDoubtNotHappened int
}

// OK: no invariant broken, nothing lost.
func (v Verdict) OK() bool { return len(v.Violations) == 0 }

// maxEntangled bounds how many in-doubt transactions touching the same accounts the
// checker decides together (it tries every subset).
const maxEntangled = 12

// maxUnaccounted bounds the accounts a verdict lists one by one.
const maxUnaccounted = 10

// Check is the "nothing lost" check: every final balance is its start plus the tally of
// committed movements, and every in-doubt transaction happened whole or not at all, its
// own movements exactly. Nothing else explains a balance.
func Check(start, final []bank.Balance, tally map[int64]money.Cents, inDoubt []Doubt) Verdict {
	c := checker{tally: tally, startOf: make(map[int64]money.Cents, len(start)), residual: map[int64]money.Cents{}}
	c.balances(start, final)
	for _, comp := range entangled(inDoubt) {
		c.decide(comp)
	}
	c.unaccounted()
	return c.out
}

// checker is one Check under way.
type checker struct {
	tally, startOf map[int64]money.Cents
	// residual is what a final balance holds beyond its start and tally: nothing, once
	// every in-doubt transfer is decided.
	residual map[int64]money.Cents
	out      Verdict
}

func (c *checker) violate(format string, args ...any) {
	c.out.Violations = append(c.out.Violations, fmt.Sprintf(format, args...))
}

// balances compares the final balances with the start and the tally, account by account.
func (c *checker) balances(start, final []bank.Balance) {
	for _, b := range start {
		c.startOf[b.AccountID] = b.Balance
	}
	seen := make(map[int64]bool, len(final))
	for _, b := range final {
		seen[b.AccountID] = true
		s, ok := c.startOf[b.AccountID]
		if !ok {
			c.violate("account %d appeared during the bench", b.AccountID)
			continue
		}
		if d := b.Balance - s - c.tally[b.AccountID]; d != 0 {
			c.residual[b.AccountID] = d
		}
		if b.Balance < 0 {
			c.violate("account %d ended negative: %s", b.AccountID, b.Balance)
		}
	}
	for _, b := range start {
		if !seen[b.AccountID] {
			c.violate("account %d disappeared during the bench", b.AccountID)
		}
	}
	for id := range c.tally {
		if _, ok := c.startOf[id]; !ok {
			c.violate("a committed movement touched account %d, which the bank did not have", id)
		}
	}
}

// decide finds which of comp, in-doubt transactions that share accounts, happened: the
// subset whose movements are exactly the residual on their accounts, fewest first.
func (c *checker) decide(comp []Doubt) {
	if len(comp) > maxEntangled {
		c.violate("%d in-doubt transactions share accounts: too many to decide", len(comp))
		return
	}
	accounts := map[int64]bool{}
	for _, d := range comp {
		for _, t := range d.Moves {
			accounts[t.From], accounts[t.To] = true, true
		}
	}
	masks := make([]uint, 1<<len(comp))
	for m := range masks {
		masks[m] = uint(m)
	}
	slices.SortStableFunc(masks, func(a, b uint) int { return bits.OnesCount(a) - bits.OnesCount(b) })
	for _, m := range masks {
		if c.explains(comp, m, accounts) {
			c.count(comp, m)
			for a := range accounts {
				delete(c.residual, a)
			}
			return
		}
	}
	c.violate("in-doubt transactions %v: no set of them happening, each whole, explains the balances", comp)
}

// count tallies the in-doubt transactions of comp that happened (in mask) and did not.
func (c *checker) count(comp []Doubt, mask uint) {
	for i, d := range comp {
		happened := mask&(1<<i) != 0
		switch {
		case d.Robinhood && happened:
			c.out.RobinhoodsInDoubtHappened++
		case d.Robinhood:
			c.out.RobinhoodsInDoubtNotHappened++
		case happened:
			c.out.InDoubtHappened++
		default:
			c.out.InDoubtNotHappened++
		}
	}
}

// explains reports whether the transactions of comp in mask, having happened, are the
// residual on accounts.
func (c *checker) explains(comp []Doubt, mask uint, accounts map[int64]bool) bool {
	delta := map[int64]money.Cents{}
	for i, d := range comp {
		if mask&(1<<i) != 0 {
			for _, t := range d.Moves {
				delta[t.From] -= t.Amount
				delta[t.To] += t.Amount
			}
		}
	}
	for a := range accounts {
		if c.residual[a] != delta[a] {
			return false
		}
	}
	return true
}

// unaccounted lists the accounts whose balance nothing explains, by id.
func (c *checker) unaccounted() {
	ids := make([]int64, 0, len(c.residual))
	for id := range c.residual {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for i, id := range ids {
		if i == maxUnaccounted {
			c.violate("... and %d more accounts", len(ids)-maxUnaccounted)
			break
		}
		want := c.startOf[id] + c.tally[id]
		c.violate("account %d holds %s, want %s (start %s, committed movements %s): %s unaccounted for",
			id, want+c.residual[id], want, c.startOf[id], c.tally[id], c.residual[id])
	}
}

// entangled groups in-doubt transactions that share an account (union-find over
// accounts), in the order they were sent.
func entangled(ds []Doubt) [][]Doubt {
	parent := map[int64]int64{}
	var find func(int64) int64
	find = func(a int64) int64 {
		if p, ok := parent[a]; ok && p != a {
			parent[a] = find(p)
			return parent[a]
		}
		parent[a] = a
		return a
	}
	union := func(a, b int64) { parent[find(a)] = find(b) }
	for _, d := range ds {
		for _, t := range d.Moves {
			union(t.From, t.To)
			union(t.From, d.Moves[0].From) // a Robinhood's accounts are one set
		}
	}
	index := map[int64]int{}
	var out [][]Doubt
	for _, d := range ds {
		if len(d.Moves) == 0 {
			continue // moved nothing: nothing to decide
		}
		root := find(d.Moves[0].From)
		i, ok := index[root]
		if !ok {
			i = len(out)
			index[root] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], d)
	}
	return out
}
