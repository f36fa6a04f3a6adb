#!/usr/bin/env bash
# tools/setup-host.sh: install what `make run` and `make test` need on a fresh
# Debian bookworm machine, and nothing that is already there.
#
# - qemu-system-aarch64 >= 9 with `-M raspi4b`: bookworm's own QEMU is 7.2 and
#   lacks the machine, so the bookworm-backports suite is added when needed.
# - The pinned Rust toolchain, its bare-metal targets where rustup has them,
#   else rust-src to build their library from (see below).
# - For `make sdcard` (tools/xtask/src/sdcard.rs): dosfstools (mkfs.fat, the
#   FAT32 boot partition inside an image file, no root, no loop device) and
#   mtools (mcopy/mdir: files into and out of it); fdisk's sfdisk reads
#   the partition table back in the image's test. The Raspberry Pi firmware
#   itself is not installed on this machine: `cargo xtask sdcard` downloads
#   Debian's raspi-firmware package (component non-free-firmware) and the
#   arm64 kernel package that carries bcm2711-rpi-4-b.dtb with apt-get
#   under a private configuration in target/firmware/apt, so the host's apt
#   sources are left as they are.
# - For `make debug`: gdb-multiarch (gdb for the aarch64 kernel and
#   partitions; the host's plain gdb knows only its own architecture).
set -euo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

need_qemu() {
    command -v qemu-system-aarch64 >/dev/null 2>&1 || return 0
    qemu-system-aarch64 -machine help 2>/dev/null | grep -q '^raspi4b' || return 0
    return 1
}

if need_qemu; then
    echo "setup: installing qemu-system-aarch64 (>= 9, with raspi4b) from bookworm-backports" >&2
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

# The SD card image and the debugger: one command each tells whether its
# package is there.
missing_packages=""
command -v mkfs.fat >/dev/null 2>&1 || missing_packages="$missing_packages dosfstools"
command -v mcopy >/dev/null 2>&1 || missing_packages="$missing_packages mtools"
command -v sfdisk >/dev/null 2>&1 || missing_packages="$missing_packages fdisk"
command -v gdb-multiarch >/dev/null 2>&1 || missing_packages="$missing_packages gdb-multiarch"
if [ -n "$missing_packages" ]; then
    echo "setup: installing$missing_packages (make sdcard, make debug)" >&2
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing_packages
fi

# The pinned toolchain (rust-toolchain.toml: an exact release) and what it
# needs for the bare-metal builds. rustup installs what the file names when
# the toolchain is first installed, but not into one that is already there,
# so each target and component is asked for explicitly (quick when present).
#
# The targets' prebuilt library (rust-std) is preferred. A mirror or an
# offline toolchain may serve only the host toolchain and rust-src: then
# `cargo xtask` builds core/alloc/compiler_builtins from rust-src instead
# (tools/xtask/src/toolchain.rs), so rust-src is required only in that case.
# llvm-tools, clippy and rustfmt are for developers (`make check`, objdump);
# `make run` and `make test` need none of them.
cd "$(dirname "$0")/.."
if ! command -v rustup >/dev/null 2>&1; then
    echo "setup: rustup is missing; install Rust through rustup (https://rustup.rs) first" >&2
    exit 1
fi
toolchain=$(sed -n 's/^channel *= *"\([^"]*\)".*/\1/p' rust-toolchain.toml)
if [ -z "$toolchain" ]; then
    echo "setup: rust-toolchain.toml names no channel" >&2
    exit 1
fi
if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
    echo "setup: installing the pinned Rust toolchain $toolchain" >&2
    # With everything the file names; where a mirror lacks a component, the
    # bare toolchain, and the pieces one by one below.
    rustup toolchain install >/dev/null 2>&1 ||
        rustup toolchain install "$toolchain" --profile minimal ||
        { echo "setup: cannot install Rust $toolchain (rust-toolchain.toml)" >&2; exit 1; }
fi
# The first error line rustup printed (it may add a backtrace after it).
why() { grep -m 1 -i 'error' /tmp/bulkhead-setup.$$ || head -n 1 /tmp/bulkhead-setup.$$; }
missing_std=""
for target in aarch64-unknown-none aarch64-unknown-none-softfloat; do
    if ! rustup target add --toolchain "$toolchain" "$target" >/dev/null 2>/tmp/bulkhead-setup.$$; then
        missing_std="$missing_std $target"
        echo "setup: no prebuilt standard library for $target from rustup ($(why))" >&2
    fi
done
if ! rustup component add --toolchain "$toolchain" rust-src >/dev/null 2>/tmp/bulkhead-setup.$$; then
    if [ -n "$missing_std" ]; then
        echo "setup: rust-src is unavailable too ($(why)):" >&2
        echo "setup: nothing to build the bare-metal library of$missing_std from" >&2
        rm -f /tmp/bulkhead-setup.$$
        exit 1
    fi
fi
if [ -n "$missing_std" ]; then
    echo "setup: building core/alloc for$missing_std from rust-src instead (cargo xtask does this by itself)" >&2
fi
for component in llvm-tools clippy rustfmt; do
    rustup component add --toolchain "$toolchain" "$component" >/dev/null 2>&1 ||
        echo "setup: optional component $component is unavailable for $toolchain (make check needs clippy and rustfmt)" >&2
done
rm -f /tmp/bulkhead-setup.$$
