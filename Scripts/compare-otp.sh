#!/usr/bin/env bash
# Runs the OTP reference workloads (Benchmarks/otp/beam-bench.exs, Elixir's Registry and
# DynamicSupervisor) and PoolTUI's pool-bench on this machine, one after the other, and
# prints one table: `name swift otp ratio`.
#
# ratio > 1 means PoolTUI is better by that factor: otp/swift for times and memory,
# swift/otp for rates (ops/s, cycles/s). Only figures both sides print are compared;
# pool-bench's own extras (baseline, dashboard, soak) follow with no OTP column.
#
# Usage: Scripts/compare-otp.sh [--markdown] [SECTION ...]
#   sections: registry los kill restart churn idle extra (default: all)
# Needs elixir (apt-get install -y elixir). Raw outputs are kept in $OUT (default
# .bench-results/) for inspection.
set -euo pipefail
cd "$(dirname "$0")/.."

markdown=0
if [ "${1:-}" = "--markdown" ]; then markdown=1; shift; fi
sections=("$@")

if ! command -v elixir >/dev/null; then
    echo "compare-otp: elixir is not installed; run: apt-get install -y elixir" >&2
    exit 2
fi

out="${OUT:-.bench-results}"
mkdir -p "$out"
stamp="$(date -u +%Y-%m-%dT%H%M%SZ)"
otp_out="$out/otp-$stamp.txt"
swift_out="$out/swift-$stamp.txt"

echo "# machine: $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" >&2
echo "# $(elixir --version 2>/dev/null | tail -1) on $(erl -noshell -eval 'io:format("OTP ~s", [erlang:system_info(otp_release)]), halt().')" >&2
echo "# $(swift --version 2>/dev/null | head -1)" >&2

swift build -c release --product pool-bench >&2
echo "# running the OTP reference ..." >&2
elixir --erl "+P 5000000" Benchmarks/otp/beam-bench.exs "${sections[@]}" > "$otp_out"
echo "# running pool-bench ..." >&2
# The same sections, plus pool-bench's own extras when everything is run.
"$(swift build -c release --show-bin-path)/pool-bench" "${sections[@]}" > "$swift_out"

awk -v markdown="$markdown" '
    # OTP names the DynamicSupervisor.stop figures extra_dynsup_stop_N_children.
    function canonical(name) { sub(/^extra_/, "", name); return name }
    function higher_is_better(unit) { return unit ~ /\/s$/ }
    function row(a, b, c, d, e) {
        if (markdown) printf "| %s | %s | %s | %s | %s |\n", a, b, c, d, e
        else printf "%-46s %14s %14s %9s  %s\n", a, b, c, d, e
    }
    FNR == 1 { side++ }
    /^#/ || NF < 3 { next }
    {
        name = canonical($1)
        if (side == 1) { otp[name] = $2; otpunit[name] = $3 }
        else { swift[name] = $2; unit[name] = $3; order[++n] = name }
    }
    END {
        if (markdown) { print "| name | swift | otp | ratio | unit |"; print "|---|---:|---:|---:|---|" }
        else row("name", "swift", "otp", "ratio", "unit")
        for (i = 1; i <= n; i++) {
            name = order[i]
            if (!(name in otp)) continue
            if (unit[name] != otpunit[name]) { row(name, swift[name], otp[name], "units?", unit[name] "/" otpunit[name]); continue }
            ratio = "-"
            if (unit[name] == "bool") ratio = (swift[name] == otp[name]) ? "same" : "differs"
            else if (higher_is_better(unit[name]) && otp[name] > 0) ratio = sprintf("%.2f", swift[name] / otp[name])
            else if (!higher_is_better(unit[name]) && swift[name] > 0) ratio = sprintf("%.2f", otp[name] / swift[name])
            row(name, swift[name], otp[name], ratio, unit[name])
        }
        for (i = 1; i <= n; i++) {
            name = order[i]
            if (!(name in otp)) row(name, swift[name], "—", "", unit[name])
        }
    }
' "$otp_out" "$swift_out"

if grep -q "FAILED" "$swift_out" "$otp_out"; then
    echo "compare-otp: a correctness check failed; see $swift_out and $otp_out" >&2
    exit 1
fi
