#!/usr/bin/env bash
# Compiles the reproducers of compiler bugs the project works around, and says for each
# whether the installed compiler still has the bug. Exits 0 either way: this reports, it
# does not gate. When a bug is fixed, the workaround in the docs may go.
#
#   Scripts/compiler-bugs/check.sh
set -uo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
swiftc --version 2>&1 | head -1
# A hang counts as the bug too: each compile gets two minutes.
compile() { timeout 120 swiftc -swift-version 6 -parse-as-library -emit-library "$1" -o "$out/lib.so" > "$out/log" 2>&1; }
for bug in catch-where-typed-throws catch-pattern-typed-throws; do
    compile "$bug.swift"
    status=$?
    if [ "$status" -eq 0 ]; then
        echo "$bug: compiles: the compiler bug is fixed"
    elif [ "$status" -eq 124 ]; then
        echo "$bug: the compiler still hangs (killed after 120 s)"
    elif grep -q "Stack dump\|signal\|Found outside of lifetime" "$out/log"; then
        echo "$bug: the compiler still crashes ($(grep -m1 -o 'signal [0-9]*\|Found outside of lifetime use' "$out/log"))"
    else
        echo "$bug: fails with an error, not a crash:"; head -5 "$out/log"
    fi
done
if compile catch-guard-typed-throws.swift; then
    echo "catch-guard-typed-throws: compiles (the documented pattern)"
else
    echo "catch-guard-typed-throws: does NOT compile: the documented pattern is broken"; head -5 "$out/log"
fi
