# make test                    every test; the Citus ones where Citus is installed (docs/citus.md)
# make dist NAME="First Last"  builds the seed's deliverable archive first_last.tgz (< 100 KB)
SHELL := bash
NAME ?= First Last

.PHONY: dist test
dist:
	scripts/dist.sh "$(NAME)"

# go test prints nothing of a package that passes, so the word on Citus comes from here.
test:
	go test ./...
	@. scripts/pg.sh; pg_find_bindir && citus_installed || \
		echo -e "\n*** The Citus tests did not run: Citus is not installed for this PostgreSQL (docs/citus.md). ***"
