#!/usr/bin/env bash
# Fuzzes one boundary of untrusted bytes with libFuzzer, under AddressSanitizer.
#
#   Scripts/fuzz.sh inspector|etcd SECONDS [libFuzzer options...]
#
# inspector: a client's lines after its hello, through the framer, the request decoder
#            and a session against a small live pool (Sources/FuzzInspector).
# etcd:      what a member sends, read every way the client reads a response, and as
#            watch lines (Sources/FuzzEtcd).
#
# Seeds come from Fuzz/corpus/TARGET (kept in the repo); what the fuzzer finds goes to
# .build-fuzz/corpus-TARGET (not committed), crashes to .build-fuzz/crash-TARGET-*.
# A crash found is a bug: fix it and keep the input as a test. Exits non-zero on a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: Scripts/fuzz.sh inspector|etcd SECONDS [libFuzzer options...]}
seconds=${2:?usage: Scripts/fuzz.sh inspector|etcd SECONDS [libFuzzer options...]}
shift 2
# Leak checks per input suit a target whose every input is done when it returns (etcd).
# The inspector's sessions answer on tasks of their own, which outlive the input that
# started them: LeakSanitizer would take that in-flight work for leaks.
case "$target" in
    inspector) product=FuzzInspector; leaks=0 ;;
    etcd) product=FuzzEtcd; leaks=1 ;;
    *) echo "fuzz: unknown target $target (inspector or etcd)" >&2; exit 2 ;;
esac
scratch=.build-fuzz
# One -sanitize list for Swift: given as two --sanitize options, the order SwiftPM passes
# them in varies, and a build seen here then instrumented no coverage at all.
swift build -c release --scratch-path "$scratch" --product "$product" --sanitize=fuzzer \
    -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=address -Xswiftc -DFUZZING
binary="$scratch/release/$product"
# Most of an input's time went to ASan recording each allocation's stack (perf: 17% in
# StackDepot::Put and the unwinder); without those stacks the etcd target runs 1.7x as
# fast (1,755 -> 2,973 execs/s). A crash still stops the run and is kept; run the binary
# on it with ASAN_OPTIONS unset to see where the memory was allocated.
export ASAN_OPTIONS="${ASAN_OPTIONS:-malloc_context_size=0:quarantine_size_mb=16}"
work="$scratch/corpus-$target"
mkdir -p "$work"
# Each input is handled within a second; 10 s means a hang. 4 GiB is far above the app.
"$binary" "$work" "Fuzz/corpus/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
    -detect_leaks="$leaks" -print_final_stats=1 -artifact_prefix="$scratch/crash-$target-" "$@"
