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

// Check is the "nothing lost" check. Every account's final balance must equal its start
// plus the tally of committed movements, and a transfer whose commit is in doubt must have
// happened entirely or not at all. A Robinhood in doubt is unknown beyond that it conserves
// money and moves between at most count donors and count recipients: whatever is left over
// must look like that.
func Check(start, final []bank.Balance, tally map[int64]money.Cents, inDoubt []Transfer,
	inDoubtRobinhoods, robinhoodCount int) Verdict {
	var out Verdict
	violate := func(format string, args ...any) {
		out.Violations = append(out.Violations, fmt.Sprintf(format, args...))
	}

	startOf := make(map[int64]money.Cents, len(start))
	for _, b := range start {
		startOf[b.AccountID] = b.Balance
	}
	residual := map[int64]money.Cents{} // what the final balance has beyond start + tally
	seen := make(map[int64]bool, len(final))
	for _, b := range final {
		seen[b.AccountID] = true
		s, ok := startOf[b.AccountID]
		if !ok {
			violate("account %d appeared during the bench", b.AccountID)
			continue
		}
		if d := b.Balance - s - tally[b.AccountID]; d != 0 {
			residual[b.AccountID] = d
		}
		if b.Balance < 0 {
			violate("account %d ended negative: %s", b.AccountID, b.Balance)
		}
	}
	for _, b := range start {
		if !seen[b.AccountID] {
			violate("account %d disappeared during the bench", b.AccountID)
		}
	}
	for id := range tally {
		if _, ok := startOf[id]; !ok {
			violate("a committed movement touched account %d, which the bank did not have", id)
		}
	}

	for _, comp := range entangled(inDoubt) {
		if len(comp) > maxEntangled {
			violate("%d in-doubt transfers share accounts: too many to decide", len(comp))
			continue
		}
		accounts := map[int64]bool{}
		for _, t := range comp {
			accounts[t.From], accounts[t.To] = true, true
		}
		found := false
		// Fewest happened first: the answer a reader would check first.
		masks := make([]uint, 1<<len(comp))
		for m := range masks {
			masks[m] = uint(m)
		}
		slices.SortStableFunc(masks, func(a, b uint) int { return bits.OnesCount(a) - bits.OnesCount(b) })
		for _, m := range masks {
			delta := map[int64]money.Cents{}
			for i, t := range comp {
				if m&(1<<i) != 0 {
					delta[t.From] -= t.Amount
					delta[t.To] += t.Amount
				}
			}
			ok := true
			for a := range accounts {
				if residual[a] != delta[a] {
					ok = false
					break
				}
			}
			if ok {
				found = true
				n := bits.OnesCount(m)
				out.InDoubtHappened += n
				out.InDoubtNotHappened += len(comp) - n
				for a := range accounts {
					delete(residual, a)
				}
				break
			}
		}
		if !found && inDoubtRobinhoods == 0 {
			violate("in-doubt transfers %v neither all happened nor all did not, each on its own", comp)
		}
	}

	ids := make([]int64, 0, len(residual))
	for id := range residual {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if inDoubtRobinhoods > 0 && len(ids) > 0 {
		var sum money.Cents
		neg, pos := 0, 0
		for _, id := range ids {
			sum += residual[id]
			if residual[id] < 0 {
				neg++
			} else {
				pos++
			}
		}
		limit := inDoubtRobinhoods * robinhoodCount
		if sum == 0 && neg <= limit && pos <= limit {
			out.RobinhoodInDoubtHappened = true
			return out
		}
	}
	const shown = 10
	for i, id := range ids {
		if i == shown {
			violate("... and %d more accounts", len(ids)-shown)
			break
		}
		want := startOf[id] + tally[id]
		violate("account %d holds %s, want %s (start %s, committed movements %s): %s unaccounted for",
			id, want+residual[id], want, startOf[id], tally[id], residual[id])
	}
	return out
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
