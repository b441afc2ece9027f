# pbxgate — the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: run test build deps deps-test typecheck bench clean prompts image hil

# Install scripts are blocked here: dependencies install without them, and the
# one native addon that needs compiling (epoll, for onoff) is built explicitly.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	bash scripts/install-debian-deps.sh --build
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
	@bash scripts/install-debian-deps.sh --build >/dev/null
	node scripts/build-prompts.mjs

# The QEMU image of the arm64 build (kernel + initramfs, cached in .cache/qemu; docs/hil.md).
image: deps-test build
	bash scripts/qemu/build-image.sh

MAIN_TESTS := 'test/unit/**/*.test.ts' 'test/component/**/*.test.ts' 'test/system/**/*.test.ts'

# AVA_FLAGS=--tap gives CI a machine-readable summary. test/hil runs after the
# rest, alone: QEMU emulates every instruction and must not share the 2 cores
# with the system tests (.ci/run adds up both summaries).
test: deps-test typecheck build image
	ava $(AVA_FLAGS) $(MAIN_TESTS); main=$$?; ava $(AVA_FLAGS) 'test/hil/**/*.test.ts'; hil=$$?; exit $$(( main || hil ))

# Hardware in the loop alone: the arm64 executable booted under qemu-system-aarch64 (about 1 minute; docs/hil.md).
hil: image
	ava $(AVA_FLAGS) 'test/hil/**/*.test.ts'

# Every benchmark, each beside its reference (about 15 minutes; bench/README.md).
bench: deps-test build
	tsx bench/boot.ts
	tsx bench/parser.ts
	tsx bench/register.ts
	tsx bench/calls.ts
	tsx bench/media.ts

clean:
	rm -rf out .cache
