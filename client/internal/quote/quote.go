// Package quote shows a value typed by a user in a one-line message.
package quote

import (
	"fmt"
	"strconv"
)

// maxShown is how much of a value a message quotes: enough to recognise it, never a
// screenful.
const maxShown = 40

// Short quotes s, cut short past maxShown characters, so that a pasted page stays a
// one-line message.
func Short(s string) string {
	r := []rune(s)
	if len(r) <= maxShown {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%s... (%d characters)", strconv.Quote(string(r[:maxShown/2])), len(r))
}
