# The two commands: `make run` runs the shop, `make test` runs every test.
# Both install what is missing first (scripts/setup.sh).

SHELL := /bin/bash

.PHONY: run test setup bench bench-checkout
run:
	@scripts/run.sh

test:
	@scripts/test.sh

setup:
	@scripts/setup.sh

bench:
	@bench/run.sh

bench-checkout:
	@bench/checkout.sh
