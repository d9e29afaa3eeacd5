#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian packages sipreuse needs when they are missing: with
# apt-get when run as root, otherwise prints the exact apt-get line and fails.
# Usage: scripts/deps.sh [build|fuzz|valgrind|mpi]   (default: build)
set -eu

need=""
want() { need="$need $1"; }
# Wanted but not needed to build: without it only plotting fails, so a user
# who cannot install it still gets a working simulator.
optional=""

case "${1:-build}" in
build)
    command -v cc >/dev/null 2>&1 || want gcc
    command -v make >/dev/null 2>&1 || want make
    command -v pkg-config >/dev/null 2>&1 || want pkg-config
    command -v prove >/dev/null 2>&1 || want perl
    command -v gnuplot >/dev/null 2>&1 || optional="gnuplot-nox"
    # 2.74 (Debian 12): the code uses G_OPTION_ENTRY_NULL, g_memdup2 and
    # G_TEST_SUBPROCESS_DEFAULT; the Makefile pins the API to it.
    if command -v pkg-config >/dev/null 2>&1; then
        pkg-config --atleast-version=2.74 glib-2.0 2>/dev/null || want libglib2.0-dev
        pkg-config --exists libssl libcrypto 2>/dev/null || want libssl-dev
        # results.sqlite (run/sqlite.c).
        pkg-config --exists sqlite3 2>/dev/null || want libsqlite3-dev
    else
        want libglib2.0-dev
        want libssl-dev
        want libsqlite3-dev
    fi
    ;;
fuzz)
    command -v clang >/dev/null 2>&1 || want clang
    [ -n "$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a 2>/dev/null)" ] ||
        want libclang-rt-14-dev
    ;;
valgrind)
    command -v valgrind >/dev/null 2>&1 || want valgrind
    ;;
mpi)
    # `make MPI=1`: Open MPI's compiler wrapper and headers, and mpirun.
    command -v mpicc >/dev/null 2>&1 || want libopenmpi-dev
    command -v mpirun >/dev/null 2>&1 || want openmpi-bin
    ;;
*)
    echo "usage: $0 [build|fuzz|valgrind|mpi]" >&2
    exit 2
    ;;
esac

if [ "$(id -u)" -ne 0 ]; then
    if [ -n "$optional" ]; then
        echo "sipreuse: without $optional, 'sipreuse plot' cannot draw;" \
             "as root: apt-get install -y $optional" >&2
    fi
    [ -z "$need" ] && exit 0
    line="apt-get install -y --no-install-recommends$need $optional"
    echo "sipreuse needs:$need" >&2
    echo "run as root: apt-get update && $line" >&2
    exit 1
fi
need="$need${optional:+ $optional}"
[ -z "$need" ] && exit 0
echo "deps: installing$need" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need >&2
