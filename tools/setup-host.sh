#!/usr/bin/env bash
# tools/setup-host.sh: install what `make run` and `make test` need on a fresh
# Debian bookworm machine, and nothing that is already there.
#
# - qemu-system-aarch64 >= 9 with `-M raspi4b`: bookworm's own QEMU is 7.2 and
#   lacks the machine, so the bookworm-backports suite is added when needed.
# - The Rust target and llvm-tools come from rust-toolchain.toml: any cargo
#   call in the tree installs them through rustup.
set -euo pipefail

need_qemu() {
    command -v qemu-system-aarch64 >/dev/null 2>&1 || return 0
    qemu-system-aarch64 -machine help 2>/dev/null | grep -q '^raspi4b' || return 0
    return 1
}

if need_qemu; then
    echo "setup: installing qemu-system-aarch64 (>= 9, with raspi4b) from bookworm-backports" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    if [ -r /etc/os-release ] && . /etc/os-release && [ "${VERSION_CODENAME:-}" = "bookworm" ]; then
        if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
            echo 'deb http://deb.debian.org/debian bookworm-backports main' |
                $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
        fi
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
            -t bookworm-backports qemu-system-arm
    else
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends qemu-system-arm
    fi
    if need_qemu; then
        echo "setup: qemu-system-aarch64 still lacks -M raspi4b after install; need QEMU >= 9" >&2
        exit 1
    fi
fi

# The pinned toolchain with its bare-metal targets (the kernel is built
# soft-float, partitions hard-float) and llvm-tools (llvm-objcopy makes the
# raw kernel8.img). rustup installs what rust-toolchain.toml names when a
# toolchain is first installed, but not into one that is already there, so
# ask for each explicitly; each call is quick when it is present.
cd "$(dirname "$0")/.."
if ! command -v rustup >/dev/null 2>&1; then
    echo "setup: rustup is missing; install Rust through rustup (https://rustup.rs) first" >&2
    exit 1
fi
rustup toolchain install --profile minimal >/dev/null 2>&1 || rustup toolchain install
rustup target add aarch64-unknown-none aarch64-unknown-none-softfloat >/dev/null
rustup component add llvm-tools clippy rustfmt >/dev/null
