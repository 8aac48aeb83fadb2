#!/bin/sh
# Install, build, and run every test: the normal build, then the same suite
# under AddressSanitizer + UndefinedBehaviorSanitizer, then a bounded fuzz run.
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] && ./scripts/deps.sh
[ -d build ] || meson setup build
ninja -C build
meson test -C build --print-errorlogs --num-processes 2
[ -d build-asan ] || CC=clang meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
	-Dfuzz=true -Dc_args=-fno-sanitize-recover=undefined
ninja -C build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	meson test -C build-asan --print-errorlogs --num-processes 2 --timeout-multiplier 4
if [ -x scripts/fuzz.sh ]; then
	./scripts/fuzz.sh build-asan "${FUZZ_SECONDS:-60}"
fi
