#!/usr/bin/env bash
# Runs the test suite under a sanitizer and counts its reports.
#
#   Scripts/sanitize.sh address|thread [swift test options, e.g. --filter SupervisionTests]
#
# Builds in .build-address or .build-thread (not committed), runs `swift test` there,
# keeps the output in .build-SANITIZER/sanitize.log, and prints how many reports the
# sanitizer made. Exits non-zero if a test failed or any report was made: a report from
# our own code is a bug to fix, not something to suppress.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:?usage: Scripts/sanitize.sh address|thread [swift test options]}
shift
case "$kind" in
    address) marker="ERROR: AddressSanitizer" ;;
    thread) marker="WARNING: ThreadSanitizer" ;;
    *) echo "sanitize: unknown sanitizer $kind (address or thread)" >&2; exit 2 ;;
esac
scratch=".build-$kind"
log="$scratch/sanitize.log"
# SANITIZE_SKIP_BUILD=1 runs the tests built before (Scripts/repeat.sh builds once for a
# whole series, so that every run tests the same build while the tree changes).
[ -n "${SANITIZE_SKIP_BUILD:-}" ] || swift build --build-tests --scratch-path "$scratch" --sanitize="$kind"
mkdir -p "$scratch"
# Keep going after a report, so one run counts them all.
export ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=0:detect_leaks=0}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1}"
status=0
# A run that hangs is a failure with a log, not a job that never ends: the outer limit
# (SANITIZE_TIMEOUT seconds, default 90 minutes) ends it with status 124.
# timeout runs the tests in a process group of its own, which a terminal's Ctrl-C does not
# reach: the trap passes it on.
timeout -k 60 "${SANITIZE_TIMEOUT:-5400}" \
    swift test --skip-build --scratch-path "$scratch" --sanitize="$kind" "$@" > "$log" 2>&1 &
runner=$!
trap 'kill -TERM -- "-$runner" 2>/dev/null' INT TERM
wait "$runner" || status=$?
trap - INT TERM
reports=$(grep -c "$marker" "$log" || true)
tail -3 "$log"
echo "sanitize: $kind: $reports reports; swift test exited $status (log: $log)"
[ "$status" -eq 0 ] && [ "$reports" -eq 0 ]
