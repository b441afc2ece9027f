# pbxgate — the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: run test build deps deps-test typecheck bench clean prompts

# Install scripts are blocked here: dependencies install without them, and the
# one native addon that needs compiling (epoll, for onoff) is built explicitly.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	node_modules/.bin/node scripts/build.mjs --native-only
	touch $@

deps: node_modules/.installed

# Debian packages the real-peer tests need (installed only when missing).
deps-test: deps
	@bash scripts/install-debian-deps.sh

typecheck: deps
	tsc -p tsconfig.json --noEmit

run: deps prompts
	tsx firmware/main.ts --board sim

build: deps prompts
	node scripts/build.mjs

# The spoken prompts (espeak-ng, French and English) into out/prompts, beside the executables; cached by text hash.
prompts: deps
	@command -v espeak-ng >/dev/null && command -v sox >/dev/null || bash scripts/install-debian-deps.sh
	node scripts/build-prompts.mjs

# AVA_FLAGS=--tap gives CI a machine-readable summary.
test: deps-test typecheck build
	ava $(AVA_FLAGS)

# Every benchmark, each beside its reference (about 15 minutes; bench/README.md).
bench: deps-test build
	tsx bench/boot.ts
	tsx bench/parser.ts
	tsx bench/register.ts
	tsx bench/calls.ts
	tsx bench/media.ts

clean:
	rm -rf out .cache
