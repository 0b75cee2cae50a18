# make test                    every test; the Citus ones where Citus is installed; a closing count
# make dist NAME="First Last"  builds the seed's deliverable archive first_last.tgz (< 100 KB)
SHELL := bash
NAME ?= First Last

.PHONY: dist test
dist:
	scripts/dist.sh "$(NAME)"

# The repository runs the Go tests (the SQL tests among them); the deliverable archive, which
# leaves the Go tests out, runs the SQL tests through psql. go test prints nothing of a
# package that passes, so the word on Citus comes from here.
test:
	@if compgen -G 'client/internal/bank/*_test.go' >/dev/null; then \
		scripts/gotest.sh && { . scripts/pg.sh; pg_find_bindir && citus_installed || \
		echo -e "\n*** The Citus tests did not run: Citus is not installed for this PostgreSQL (docs/citus.md). ***"; }; \
	else \
		go vet ./... && scripts/sqltest.sh; \
	fi
