// Package pgtest starts a throwaway PostgreSQL cluster for tests (initdb and pg_ctl in a
// temporary folder, on a free loopback port) and loads the bank's schema into databases
// the way the official image's entrypoint does. There is no skipping: if a server cannot
// be started, Start says why and the tests fail.
package pgtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"funwithbanking/client/internal/dsn"
)

// Server is a running throwaway cluster.
type Server struct {
	Port   int
	BinDir string
	dir    string
	asUser string // run server programs as this user (PostgreSQL refuses to run as root)
	dbs    *atomic.Int64
	// On a Citus cluster, the server is its coordinator and these are its workers; every
	// database is made on all of them and distributed by db/citus/distribute.sql.
	workers []*Server
	options string // the server's command-line options, for a start after a stop
	// inMetadata: the coordinator registers itself (citus_set_coordinator_host) before the
	// workers, as Citus's multi-node guide and managed Citus set a cluster up; it then holds
	// a copy of every reference table.
	inMetadata bool
}

// WithCoordinatorInMetadata is the same Citus cluster, whose databases made through it are
// laid out as Citus's own documentation sets a cluster up (see inMetadata).
func (s *Server) WithCoordinatorInMetadata() *Server {
	c := *s
	c.inMetadata = true
	return &c
}

// Layout names the Citus layout of the databases made through s.
func (s *Server) Layout() string {
	if s.inMetadata {
		return "coordinator in the metadata"
	}
	return "coordinator outside the metadata"
}

// Citus reports whether the server is a Citus coordinator.
func (s *Server) Citus() bool { return len(s.workers) > 0 }

// Workers are a Citus coordinator's workers (none on one node).
func (s *Server) Workers() []*Server { return s.workers }

// RepoRoot is the folder holding go.mod, found from this source file.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// SchemaFiles are the files the image's entrypoint loads, in the order it loads them
// (it sorts /docker-entrypoint-initdb.d, where the Dockerfile copies db/*.sql).
func SchemaFiles() ([]string, error) {
	files, err := filepath.Glob(filepath.Join(RepoRoot(), "db", "*.sql"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("pgtest: no db/*.sql under %s", RepoRoot())
	}
	sort.Strings(files)
	return files, nil
}

// binDir finds PostgreSQL's server programs: $BANK_PG_BINDIR, or the newest
// /usr/lib/postgresql/N/bin (Debian's layout), or initdb on the PATH.
func binDir() (string, error) {
	if d := os.Getenv("BANK_PG_BINDIR"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("pgtest: PostgreSQL server programs not found (apt-get install postgresql, or set BANK_PG_BINDIR)")
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// Start initialises and starts a cluster. Call Stop when done.
func Start() (*Server, error) { return start() }

func start(options ...string) (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "bank-pgtest-")
	if err != nil {
		return nil, err
	}
	s := &Server{BinDir: bin, dir: dir, dbs: new(atomic.Int64)}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, errors.New("pgtest: running as root needs a postgres user to run the server as (apt-get install postgresql creates it)")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		s.asUser = "postgres"
	}
	if _, err := s.server("initdb", "-D", s.dataDir(), "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		return nil, err
	}
	// A free port can be taken between our check and the server's bind; try a few.
	for attempt := 0; ; attempt++ {
		s.Port, err = freePort()
		if err != nil {
			return nil, err
		}
		s.options = fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s "+
			"-c fsync=off -c full_page_writes=off -c max_connections=200 %s", s.Port, dir, strings.Join(options, " "))
		_, err = s.server("pg_ctl", "-D", s.dataDir(), "-l", filepath.Join(dir, "server.log"), "-w", "-t", "60",
			"-o", s.options, "start")
		if err == nil {
			return s, nil
		}
		if attempt == 3 {
			log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			return nil, fmt.Errorf("%v\nserver log:\n%s", err, log)
		}
	}
}

func (s *Server) dataDir() string { return filepath.Join(s.dir, "data") }

// server runs one of PostgreSQL's programs, as the postgres user when we are root.
func (s *Server) server(prog string, args ...string) (string, error) {
	path := prog
	if !filepath.IsAbs(prog) {
		path = filepath.Join(s.BinDir, prog)
	}
	var cmd *exec.Cmd
	if s.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", s.asUser, "--", path}, args...)...)
		// From a folder the user may enter: a package's own (in a checkout under /root) would
		// make each program say, harmlessly, that it could not change directory there.
		cmd.Dir = "/"
	} else {
		cmd = exec.Command(path, args...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("pgtest: %s %s: %v\n%s", prog, strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}

// StartAtXid starts a cluster whose next transaction id is xid (32 bits, epoch 0), so that
// a test can cross 32-bit wraparound within a few thousand transactions. Every row is
// frozen first, as a real cluster's would be long before; autovacuum is off, so that only
// the test assigns transaction ids.
func StartAtXid(xid uint32) (*Server, error) {
	s, err := start("-c autovacuum=off")
	if err != nil {
		return nil, err
	}
	freeze := func(db string) error {
		_, err := s.Psql(db, "-c", "VACUUM (FREEZE)")
		return err
	}
	if _, err := s.Psql("postgres", "-c", "ALTER DATABASE template0 ALLOW_CONNECTIONS true"); err != nil {
		s.Stop()
		return nil, err
	}
	for _, db := range []string{"postgres", "template0", "template1"} {
		if err := freeze(db); err != nil {
			s.Stop()
			return nil, err
		}
	}
	x := strconv.FormatUint(uint64(xid), 10)
	steps := [][]string{
		{"pg_ctl", "-D", s.dataDir(), "-w", "stop"},
		{"pg_resetwal", "-x", x, "-u", x, "-D", s.dataDir()},
		// The commit log segment that holds xid (pg_resetwal makes none): 32 pages of 32,768 ids.
		{"/usr/bin/dd", "if=/dev/zero", fmt.Sprintf("of=%s/pg_xact/%04X", s.dataDir(), xid/1048576), "bs=262144", "count=1"},
		{"pg_ctl", "-D", s.dataDir(), "-l", filepath.Join(s.dir, "server.log"), "-w", "-o", s.options, "start"},
	}
	for _, step := range steps {
		if _, err := s.server(step[0], step[1:]...); err != nil {
			s.Stop()
			return nil, err
		}
	}
	return s, nil
}

// Restart restarts the server with pg_ctl's shutdown mode ("fast" or "immediate") and waits
// until it accepts connections. fsync is off, which matters only if the machine crashes;
// synchronous_commit stays on, so a commit the client saw survives an immediate restart.
func (s *Server) Restart(mode string) error {
	_, err := s.server("pg_ctl", "-D", s.dataDir(), "-l", filepath.Join(s.dir, "server.log"), "-m", mode, "-w", "-t", "60", "restart")
	return err
}

// Down stops the server (fast shutdown) and keeps its files, for Up to start it again.
func (s *Server) Down() error {
	_, err := s.server("pg_ctl", "-D", s.dataDir(), "-m", "fast", "-w", "-t", "60", "stop")
	return err
}

// Up starts a server Down stopped and waits until it accepts connections.
func (s *Server) Up() error {
	_, err := s.server("pg_ctl", "-D", s.dataDir(), "-l", filepath.Join(s.dir, "server.log"), "-w", "-t", "60", "-o", s.options, "start")
	return err
}

// Stop stops the cluster (and a Citus cluster's workers) at once and removes its files.
func (s *Server) Stop() {
	for _, w := range s.workers {
		w.Stop()
	}
	s.server("pg_ctl", "-D", s.dataDir(), "-m", "immediate", "stop")
	os.RemoveAll(s.dir)
}

// Psql runs psql against database db with ON_ERROR_STOP, as the entrypoint does, and
// returns what it printed.
func (s *Server) Psql(db string, args ...string) (string, error) {
	return s.PsqlAs("postgres", db, args...)
}

// PsqlAs is Psql logged in as user.
func (s *Server) PsqlAs(user, db string, args ...string) (string, error) {
	base := []string{"-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", strconv.Itoa(s.Port),
		"-U", user, "--no-password", "-d", db}
	cmd := exec.Command(filepath.Join(s.BinDir, "psql"), append(base, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("psql %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}

// NewDatabase creates an empty database and loads db/*.sql into it in the entrypoint's
// order. Each test that changes data gets its own, so tests cannot see each other.
func (s *Server) NewDatabase() (string, error) {
	name := fmt.Sprintf("bank_%d", s.dbs.Add(1))
	return name, s.NewNamedDatabase(name)
}

// NewNamedDatabase is NewDatabase with the name given.
func (s *Server) NewNamedDatabase(name string) error {
	if err := s.NewEmptyDatabase(name); err != nil {
		return err
	}
	files, err := SchemaFiles()
	if err != nil {
		return err
	}
	if s.Citus() {
		files = append(files, filepath.Join(RepoRoot(), "db", "citus", "distribute.sql"))
	}
	for _, f := range files {
		if _, err := s.Psql(name, "-f", f); err != nil {
			return err
		}
	}
	return nil
}

// NewEmptyDatabase creates a database without the bank's schema. On Citus it is made on
// every node, with the extension, and the workers are added to the coordinator's.
func (s *Server) NewEmptyDatabase(name string) error {
	for _, n := range append([]*Server{s}, s.workers...) {
		if _, err := n.Psql("postgres", "-c", fmt.Sprintf(`CREATE DATABASE %q`, name)); err != nil {
			return err
		}
		if s.Citus() {
			if _, err := n.Psql(name, "-c", "CREATE EXTENSION citus"); err != nil {
				return err
			}
		}
	}
	if s.Citus() && s.inMetadata {
		if _, err := s.Psql(name, "-c", fmt.Sprintf("SELECT citus_set_coordinator_host('127.0.0.1', %d)", s.Port)); err != nil {
			return err
		}
	}
	for _, w := range s.workers {
		if _, err := s.Psql(name, "-c", fmt.Sprintf("SELECT citus_add_node('127.0.0.1', %d)", w.Port)); err != nil {
			return err
		}
	}
	return nil
}

// CitusInstalled reports whether the server programs found have the citus extension.
func CitusInstalled() bool {
	bin, err := binDir()
	if err != nil {
		return false
	}
	out, err := exec.Command(filepath.Join(bin, "pg_config"), "--pkglibdir").Output()
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(strings.TrimSpace(string(out)), "citus.so"))
	return err == nil
}

// StartCitus starts a Citus cluster on this machine: a coordinator and two workers, each
// an ordinary cluster from Start with the citus library preloaded. The Server returned is
// the coordinator; its Stop stops them all.
func StartCitus() (*Server, error) {
	// Citus runs a maintenance worker for every database with the extension, and the tests
	// make dozens of databases: PostgreSQL's default of 8 background workers runs out.
	opts := []string{"-c shared_preload_libraries=citus", "-c max_prepared_transactions=200", "-c max_worker_processes=128"}
	coord, err := start(opts...)
	if err != nil {
		return nil, err
	}
	for range 2 {
		w, err := start(opts...)
		if err != nil {
			coord.Stop()
			return nil, err
		}
		coord.workers = append(coord.workers, w)
	}
	return coord, nil
}

// DSN is the ODBC connection string for database db: the client's default with our port.
func (s *Server) DSN(db string) string {
	return dsn.For(s.Port, db)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Run is the body of a TestMain for packages that need a server: it starts one into
// *srv, runs the tests, stops it and returns the exit code. A server that cannot start
// fails the run loudly.
func Run(m *testing.M, srv **Server) int { return RunWithCitus(m, srv, nil) }

// RequireCitusEnv, set to 1 (as CI does), makes a machine without Citus fail the run
// instead of only saying that the Citus tests did not run.
const RequireCitusEnv = "BANK_REQUIRE_CITUS"

// RunWithCitus is Run that also starts a Citus cluster into *citus (when citus is not
// nil). Where Citus is not installed, *citus stays nil, the run says so loudly, and with
// BANK_REQUIRE_CITUS=1 it fails.
func RunWithCitus(m *testing.M, srv, citus **Server) int {
	s, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot start the test PostgreSQL:", err)
		return 1
	}
	*srv = s
	defer s.Stop()
	if citus != nil {
		switch {
		case CitusInstalled():
			c, err := StartCitus()
			if err != nil {
				fmt.Fprintln(os.Stderr, "cannot start the test Citus cluster:", err)
				return 1
			}
			*citus = c
			defer c.Stop()
		case os.Getenv(RequireCitusEnv) == "1":
			fmt.Fprintln(os.Stderr, "FAIL: Citus is not installed and "+RequireCitusEnv+"=1: install it (docs/citus.md)")
			return 1
		default:
			defer fmt.Fprintln(os.Stderr, "\n*** THE CITUS TESTS DID NOT RUN: Citus is not installed for this PostgreSQL (see docs/citus.md) ***")
		}
	}
	return m.Run()
}

// CitusOrSkip returns the Citus coordinator, or skips t where Citus is not installed
// (RunWithCitus has said so loudly, or failed the run under BANK_REQUIRE_CITUS=1).
func CitusOrSkip(t *testing.T, citus *Server) *Server {
	t.Helper()
	if citus == nil {
		t.Skip("Citus is not installed: the Citus tests did not run")
	}
	return citus
}
