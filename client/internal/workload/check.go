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

// Verdict is what the checker found.
type Verdict struct {
	Violations []string
	// In-doubt transfers whose commit did and did not happen, as the final balances show.
	InDoubtHappened, InDoubtNotHappened int
	// RobinhoodInDoubtHappened: an in-doubt Robinhood's movements are in the final balances.
	RobinhoodInDoubtHappened bool
}

// OK: no invariant broken, nothing lost.
func (v Verdict) OK() bool { return len(v.Violations) == 0 }

// maxEntangled bounds how many in-doubt transfers touching the same accounts the checker
// decides together (it tries every subset).
const maxEntangled = 12

// maxUnaccounted bounds the accounts a verdict lists one by one.
const maxUnaccounted = 10

// Check is the "nothing lost" check: every final balance is its start plus the tally of
// committed movements, every in-doubt transfer happened whole or not at all, and what is
// left conserves money among at most robinhoodCount donors and recipients per Robinhood in doubt.
func Check(start, final []bank.Balance, tally map[int64]money.Cents, inDoubt []Transfer,
	inDoubtRobinhoods, robinhoodCount int) Verdict {
	c := checker{tally: tally, startOf: make(map[int64]money.Cents, len(start)), residual: map[int64]money.Cents{}}
	c.balances(start, final)
	for _, comp := range entangled(inDoubt) {
		c.decide(comp, inDoubtRobinhoods > 0)
	}
	if inDoubtRobinhoods > 0 && c.robinhoodShaped(inDoubtRobinhoods*robinhoodCount) {
		c.out.RobinhoodInDoubtHappened = true
		return c.out
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

// decide finds which of comp, in-doubt transfers that share accounts, happened: the
// subset whose movements are exactly the residual on their accounts, fewest first. With
// a Robinhood in doubt, no such subset may still be explained by it.
func (c *checker) decide(comp []Transfer, robinhoodsInDoubt bool) {
	if len(comp) > maxEntangled {
		c.violate("%d in-doubt transfers share accounts: too many to decide", len(comp))
		return
	}
	accounts := map[int64]bool{}
	for _, t := range comp {
		accounts[t.From], accounts[t.To] = true, true
	}
	masks := make([]uint, 1<<len(comp))
	for m := range masks {
		masks[m] = uint(m)
	}
	slices.SortStableFunc(masks, func(a, b uint) int { return bits.OnesCount(a) - bits.OnesCount(b) })
	for _, m := range masks {
		if !c.explains(comp, m, accounts) {
			continue
		}
		n := bits.OnesCount(m)
		c.out.InDoubtHappened += n
		c.out.InDoubtNotHappened += len(comp) - n
		for a := range accounts {
			delete(c.residual, a)
		}
		return
	}
	if !robinhoodsInDoubt {
		c.violate("in-doubt transfers %v neither all happened nor all did not, each on its own", comp)
	}
}

// explains reports whether the transfers of comp in mask, having happened, are the
// residual on accounts.
func (c *checker) explains(comp []Transfer, mask uint, accounts map[int64]bool) bool {
	delta := map[int64]money.Cents{}
	for i, t := range comp {
		if mask&(1<<i) != 0 {
			delta[t.From] -= t.Amount
			delta[t.To] += t.Amount
		}
	}
	for a := range accounts {
		if c.residual[a] != delta[a] {
			return false
		}
	}
	return true
}

// robinhoodShaped reports whether what is left could be Robinhoods' movements: money
// conserved, among at most limit donors and limit recipients.
func (c *checker) robinhoodShaped(limit int) bool {
	if len(c.residual) == 0 {
		return false
	}
	var sum money.Cents
	neg, pos := 0, 0
	for _, d := range c.residual {
		sum += d
		if d < 0 {
			neg++
		} else {
			pos++
		}
	}
	return sum == 0 && neg <= limit && pos <= limit
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

// entangled groups in-doubt transfers that share an account (union-find over accounts),
// in the order they were sent.
func entangled(ts []Transfer) [][]Transfer {
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
	for _, t := range ts {
		parent[find(t.From)] = find(t.To)
	}
	index := map[int64]int{}
	var out [][]Transfer
	for _, t := range ts {
		root := find(t.From)
		i, ok := index[root]
		if !ok {
			i = len(out)
			index[root] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], t)
	}
	return out
}
