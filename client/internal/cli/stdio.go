package cli

import (
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// errClosed is what writing to a standard stream that was closed (client ... >&-) gives.
var errClosed = errors.New("the output is closed")

type closedWriter struct{}

func (closedWriter) Write([]byte) (int, error) { return 0, errClosed }

// guardStream makes a closed standard stream fail its writes, as it would in a C program.
// Go's runtime opens /dev/null read-write in place of a standard descriptor it finds
// closed at start (so that no socket takes its number), after which writes vanish
// without error. A shell opens /dev/null write-only for ">/dev/null", so the read-write
// one is the runtime's: the stream was closed, and what the client writes there is lost.
func guardStream(w io.Writer) io.Writer {
	f, ok := w.(*os.File)
	if !ok {
		return w
	}
	flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
	if err != nil || flags&unix.O_ACCMODE != unix.O_RDWR {
		return w
	}
	var st, null unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) != nil || unix.Stat(os.DevNull, &null) != nil || st.Rdev != null.Rdev || st.Mode&unix.S_IFMT != unix.S_IFCHR {
		return w
	}
	return closedWriter{}
}
