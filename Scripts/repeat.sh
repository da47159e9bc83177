#!/usr/bin/env bash
# Runs the whole test suite many times in a row, to show that it passes every time and
# not just once: a concurrency test that fails one run in twenty is a defect.
#
#   Scripts/repeat.sh RUNS [plain|address|thread] [swift test options, e.g. --filter X]
#
# plain builds once in .build and runs `swift test --skip-build` RUNS times (the tests run
# in parallel, as `swift test` runs them). address and thread build once in
# .build-address or .build-thread and run Scripts/sanitize.sh RUNS times on that build,
# which also counts the sanitizer's reports; a report fails the run.
#
# Stops at the first failing run and keeps its output in .build-repeat/run-N.log; a run
# that passes leaves only its line in .build-repeat/summary.txt (run, status, passed
# tests, seconds). Exits non-zero if any run failed. A run that hangs is ended after
# REPEAT_TIMEOUT seconds (default 30 minutes) and counts as failed.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:?usage: Scripts/repeat.sh RUNS [plain|address|thread] [swift test options]}
kind=${2:-plain}
shift $(( $# >= 2 ? 2 : 1 ))
case "$kind" in
    plain|address|thread) ;;
    *) echo "repeat: unknown kind $kind (plain, address or thread)" >&2; exit 2 ;;
esac
out=.build-repeat
mkdir -p "$out"
summary="$out/summary.txt"
echo "# $(date -u +%FT%TZ) $runs runs, $kind, $(git rev-parse --short HEAD 2>/dev/null || echo '?') $*" >> "$summary"
# Built once: every run of the series tests the same build, even if the tree changes
# meanwhile. SANITIZE_SKIP_BUILD=1 tests the build already there (say so in a note: it
# is not necessarily HEAD's).
if [ "$kind" = plain ]; then
    swift build --build-tests
else
    [ -n "${SANITIZE_SKIP_BUILD:-}" ] || swift build --build-tests --scratch-path ".build-$kind" --sanitize="$kind"
    export SANITIZE_SKIP_BUILD=1
fi
runner=
trap '[ -n "$runner" ] && kill -TERM -- "-$runner" 2>/dev/null' INT TERM
for run in $(seq 1 "$runs"); do
    log="$out/run-$run.log"
    started=$(date +%s)
    status=0
    if [ "$kind" = plain ]; then
        # Its own process group (setsid), so a hang can be ended with all its children.
        setsid timeout -k 60 "${REPEAT_TIMEOUT:-1800}" swift test --skip-build "$@" > "$log" 2>&1 &
    else
        SANITIZE_TIMEOUT="${REPEAT_TIMEOUT:-5400}" setsid Scripts/sanitize.sh "$kind" "$@" > "$log" 2>&1 &
    fi
    runner=$!
    wait "$runner" || status=$?
    runner=
    seconds=$(( $(date +%s) - started ))
    # Swift Testing's closing line: "Test run with N tests in M suites passed after S seconds."
    passed=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -o 'Test run with [0-9]* tests' | tail -1 | grep -o '[0-9]*' || true)
    # sanitize.sh keeps the tests' output in a log of its own.
    [ "$kind" = plain ] || cat ".build-$kind/sanitize.log" >> "$log"
    line="run $run/$runs: status $status, ${passed:-?} tests, ${seconds} s"
    echo "$line" | tee -a "$summary"
    if [ "$status" -ne 0 ]; then
        echo "repeat: run $run failed after $((run - 1)) passing runs in a row; its output: $log" | tee -a "$summary"
        exit 1
    fi
    rm -f "$log"
done
echo "repeat: $runs of $runs runs passed in a row" | tee -a "$summary"
