# Bulkhead: short targets; the logic lives in tools/xtask (cargo xtask).
# Every target first makes sure the machine has what it needs
# (tools/setup-host.sh: QEMU >= 9 with raspi4b; rustup brings the pinned
# toolchain and the bare-metal targets, or rust-src to build their library).

.PHONY: all setup build run test bench bench-check bench-baseline fuzz check mutants clean sdcard debug

all: build

setup:
	@tools/setup-host.sh

build: setup
	cargo xtask build

# `make run REALTIME=1`: the host's clock instead of virtual time (README).
run: setup
	cargo xtask run $(if $(REALTIME),--realtime)

test: setup
	cargo xtask test

# Each figure with its goal, and target/bench/results.tsv. bench-check also
# fails when a figure of bench/baseline.tsv regresses by more than 2 % (at
# least 4 units); bench-baseline (or BLESS=1 make bench-check) rewrites that
# baseline on purpose. Neither is part of `make test`.
bench: setup
	cargo xtask bench

bench-check: setup
	cargo xtask bench $(if $(BLESS),--bless,--check)

bench-baseline: setup
	cargo xtask bench --bless

# The long hypercall fuzzer run (10^6 random calls on four cores, product
# and traced kernel; `make test` runs it at a tenth of the size), then the
# cargo-fuzz targets for the image parser and the description checker,
# BULKHEAD_FUZZ_SECONDS (default 60) each; cargo-fuzz is installed if missing.
fuzz: setup
	cargo xtask fuzz

check: setup
	cargo xtask check

# target/sdcard.img for a real Raspberry Pi 4: the demo (or DESC=path.toml)
# as kernel8.img, the README's config.txt and Debian's firmware (README,
# "On a real Raspberry Pi 4"). No root needed.
sdcard: setup
	cargo xtask sdcard $(DESC)

# QEMU stopped at its first instruction with its gdbstub on localhost:1234;
# in another terminal `gdb-multiarch -x target/debug.gdb` (README, "Debugging").
debug: setup
	cargo xtask debug $(DESC)

# Mutation testing of the pure crates and the trace checker; slow, so not in
# `make test`. `make mutants MUTANTS_SHARD=0/4` samples (docs/mutants.md).
mutants:
	MUTANTS_SHARD=$(MUTANTS_SHARD) tools/mutants.sh

clean:
	cargo clean
