# pbxgate — the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: run test build deps deps-test typecheck bench clean

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

deps: node_modules/.installed

# Debian packages the real-peer tests need (installed only when missing).
deps-test: deps
	@bash scripts/install-debian-deps.sh

typecheck: deps
	tsc -p tsconfig.json --noEmit

run: deps
	tsx firmware/main.ts --board sim

build: deps
	node scripts/build.mjs
	@# Temporary: test/system/executable.test.ts checks native addons through this
	@# fixture until firmware/main.ts has --check-native (test/fixtures/build/).
	node scripts/build.mjs --entry test/fixtures/build/check-native-main.ts --name check-native --out-dir out/fixtures

test: deps-test typecheck build
	ava

bench: deps-test build
	@echo "see bench/README.md"

clean:
	rm -rf out .cache
