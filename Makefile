# make dist NAME=first_last   builds the seed's deliverable archive first_last.tgz (< 100 KB)
NAME ?= first_last

.PHONY: dist test
dist:
	scripts/dist.sh $(NAME)

test:
	go test ./...
