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

// guardStream makes a closed standard stream fail its writes, as in C. Go's runtime puts
// /dev/null, read-write, in place of a standard descriptor closed at start; a shell's
// ">/dev/null" is write-only, so a read-write /dev/null means the stream was closed.
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
