package gen

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func collect(t *testing.T, c Config, jobs int) []Batch {
	t.Helper()
	var out []Batch
	if err := Stream(c, jobs, func(b *Batch) error { out = append(out, *b); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSameSeedSameBank(t *testing.T) {
	c := Config{Customers: 2500, MaxAccounts: 10, Seed: 7}
	a, b := collect(t, c, 1), collect(t, c, 1)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with the same seed made different banks")
	}
	other := c
	other.Seed = 8
	if reflect.DeepEqual(a, collect(t, other, 1)) {
		t.Fatal("seeds 7 and 8 made the same bank")
	}
}

func TestJobsDoNotChangeTheBank(t *testing.T) {
	c := Config{Customers: 5500, MaxAccounts: 6, Seed: 3}
	one := collect(t, c, 1)
	for _, jobs := range []int{2, 4, 9} {
		if !reflect.DeepEqual(one, collect(t, c, jobs)) {
			t.Fatalf("%d jobs made a different bank than 1", jobs)
		}
	}
}

func TestStreamStopsOnError(t *testing.T) {
	c := Config{Customers: 20 * CustomersPerBatch, MaxAccounts: 2, Seed: 1}
	calls := 0
	err := Stream(c, 4, func(*Batch) error {
		calls++
		if calls == 3 {
			return fmt.Errorf("boom")
		}
		return nil
	})
	if err == nil || err.Error() != "boom" || calls != 3 {
		t.Fatalf("Stream = %v after %d calls; want boom after 3", err, calls)
	}
}

var (
	zipRE  = regexp.MustCompile(`^[0-9]{5}$`)
	states = strings.Fields(`AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO
		MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY`)
)

// TestBankShape checks, customer by customer and account by account, the rules the
// schema and the brief set.
func TestBankShape(t *testing.T) {
	for _, maxAccounts := range []int{1, 2, 10} {
		t.Run(fmt.Sprint("max", maxAccounts), func(t *testing.T) {
			c := Config{Customers: 3000, MaxAccounts: maxAccounts, Seed: 11}
			batches := collect(t, c, 3)
			customers := map[int64]Customer{}
			holds := map[int64]int{}
			accountsSeen, joint := 0, 0
			histogram := make([]int, maxAccounts+1)
			for _, b := range batches {
				for _, cu := range b.Customers {
					customers[cu.ID] = cu
					if !zipRE.MatchString(cu.Zip) {
						t.Errorf("customer %d: zip %q is not five digits", cu.ID, cu.Zip)
					}
					if !slices.Contains(states, cu.State) {
						t.Errorf("customer %d: state %q is not one of the 50 states or DC", cu.ID, cu.State)
					}
					if cu.FirstName == "" || cu.LastName == "" || cu.Street == "" || cu.City == "" {
						t.Errorf("customer %d has an empty field: %+v", cu.ID, cu)
					}
					if cu.CreatedAt.Before(WindowStart) || !cu.CreatedAt.Before(WindowEnd) {
						t.Errorf("customer %d joined %v, outside the window", cu.ID, cu.CreatedAt)
					}
				}
				for _, a := range b.Accounts {
					accountsSeen++
					if a.ID != int64(accountsSeen) {
						t.Fatalf("account ids are not consecutive: got %d, want %d", a.ID, accountsSeen)
					}
					if len(a.Holders) > 1 {
						joint++
					}
					if a.Balance < 0 || a.Balance > maxBalance {
						t.Errorf("account %d: balance %v out of range", a.ID, a.Balance)
					}
					if !a.CreatedAt.Before(WindowEnd) {
						t.Errorf("account %d opened %v, after the window", a.ID, a.CreatedAt)
					}
					seen := map[int64]bool{}
					for _, h := range a.Holders {
						if seen[h] {
							t.Errorf("account %d lists holder %d twice", a.ID, h)
						}
						seen[h] = true
						holds[h]++
						if a.CreatedAt.Before(customers[h].CreatedAt) {
							t.Errorf("account %d opened %v, before holder %d joined %v", a.ID, a.CreatedAt, h, customers[h].CreatedAt)
						}
					}
				}
			}
			if len(customers) != c.Customers {
				t.Fatalf("made %d customers, want %d", len(customers), c.Customers)
			}
			for id := range customers {
				n := holds[id]
				if n < 1 || n > maxAccounts {
					t.Fatalf("customer %d holds %d accounts, want 1..%d", id, n, maxAccounts)
				}
				histogram[n]++
			}
			if joint == 0 {
				t.Error("no joint accounts")
			}
			// Random per customer: every count from 1 to M occurs.
			for n := 1; n <= maxAccounts; n++ {
				if histogram[n] == 0 {
					t.Errorf("no customer holds exactly %d accounts: %v", n, histogram)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		c       Config
		wantErr string
	}{
		{Config{Customers: 1, MaxAccounts: 1}, ""},
		{Config{Customers: MaxCustomers, MaxAccounts: MaxMaxAccounts}, ""},
		{Config{Customers: 0, MaxAccounts: 10}, "customers must be between 1"},
		{Config{Customers: -5, MaxAccounts: 10}, "customers must be between 1"},
		{Config{Customers: MaxCustomers + 1, MaxAccounts: 10}, "customers must be between 1"},
		{Config{Customers: 10, MaxAccounts: 0}, "max accounts must be between 1"},
		{Config{Customers: 10, MaxAccounts: MaxMaxAccounts + 1}, "max accounts must be between 1"},
	}
	for _, tt := range tests {
		err := tt.c.Validate()
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%+v.Validate() = %v, want %q", tt.c, err, tt.wantErr)
		}
	}
}

// TestGolden pins the bank a seed makes: a change to the generator that changes the data
// shows up here, and is accepted only by rerunning with -update.
func TestGolden(t *testing.T) {
	var sb strings.Builder
	for _, b := range collect(t, Config{Customers: 12, MaxAccounts: 4, Seed: DefaultSeed}, 2) {
		for _, c := range b.Customers {
			fmt.Fprintf(&sb, "customer %d|%s|%s|%s|%s|%s|%s|%s\n", c.ID, c.FirstName, c.LastName,
				c.Street, c.City, c.State, c.Zip, c.CreatedAt.Format("2006-01-02T15:04:05Z"))
		}
		for _, a := range b.Accounts {
			fmt.Fprintf(&sb, "account %d|%s|%s|%v\n", a.ID, a.Balance, a.CreatedAt.Format("2006-01-02T15:04:05Z"), a.Holders)
		}
	}
	path := filepath.Join("testdata", "bank.golden")
	if *update {
		if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if sb.String() != string(want) {
		t.Errorf("generated bank differs from %s; if intended, rerun with -update.\ngot:\n%s", path, sb.String())
	}
}
