#!/usr/bin/env bash
# tools/mutants.sh: mutation testing (cargo-mutants) of the pure crates and of
# the trace checker; `make mutants`. Not part of `make test`: it rebuilds and
# retests once per mutant. What it found, and why each survivor is left
# alive, is in docs/mutants.md.
#
# One job and `nice`, so it can run beside timing-sensitive tests; each crate
# is mutated in a copy of the tree (never `--in-place`: others build here).
# Reports land in target/mutants/<crate>/mutants.out (missed.txt, caught.txt).
#
#   tools/mutants.sh                  every crate, every mutant
#   tools/mutants.sh bulkhead-time    only the named crates
#   MUTANTS_SHARD=0/4 tools/mutants.sh   a round-robin quarter of each crate
#
# Exits non-zero if any crate has a missed mutant or a timeout.
set -uo pipefail
cd "$(dirname "$0")/.."

command -v cargo-mutants >/dev/null 2>&1 || cargo install cargo-mutants --locked

crates=("$@")
[ ${#crates[@]} -gt 0 ] || crates=(bulkhead-abi bulkhead-time bulkhead-sched bulkhead-image bulkhead-ports trace_check)

mkdir -p target/mutants
status=0
for crate in "${crates[@]}"; do
    case "$crate" in
        # The trace checker lives in the tool's package; the package's tests
        # (tests/trace.rs, tests/trace_mutants.rs, ...) judge its mutants.
        trace_check) what=(--package bulkhead --file tools/bulkhead/src/trace_check.rs) ;;
        *) what=(--package "$crate") ;;
    esac
    shard=()
    [ -z "${MUTANTS_SHARD:-}" ] || shard=(--shard "$MUTANTS_SHARD" --sharding round-robin)
    nice -n 10 cargo mutants "${what[@]}" "${shard[@]}" --jobs 1 --timeout 60 \
        --output "target/mutants/$crate" || status=1
done
exit $status
