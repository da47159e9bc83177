#!/usr/bin/env bash
# End-to-end test of the dashboard, as a person sees it: runs `pooltui` in a tmux pane,
# reads the screen with `capture-pane`, kills the selected worker with `K` `y`, and
# expects the kill, the registry cleanup, the DOWN and (permanent policy) the restart in
# the event log. Then it quits with `q` — and in a second run with Ctrl-C, in a third
# with SIGTERM — and checks each time that the terminal was restored: the same stty
# settings as before, canonical mode and echo on, the alternate screen left, the cursor
# visible.
#
# Every wait is for something to appear (on screen or in a file), with a deadline that
# only a broken build reaches; the screen is printed when a check fails.
#
# Usage: Scripts/e2e-tmux.sh   (builds pooltui if needed; needs tmux)
set -euo pipefail
cd "$(dirname "$0")/.."

command -v tmux >/dev/null || { echo "e2e: tmux is not installed (apt-get install -y tmux)"; exit 1; }
swift build --product pooltui >/dev/null
bin="$(swift build --show-bin-path)/pooltui"

work="$(mktemp -d)"
session="pooltui-e2e-$$"
cleanup() {
    tmux kill-session -t "$session" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

screen() { tmux capture-pane -t "$session" -p; }

fail() {
    echo "e2e: FAIL: $*"
    echo "---- screen"
    screen || true
    echo "----"
    exit 1
}

# wait_for REGEX SECONDS WHAT: until REGEX (grep -E) is on screen.
wait_for() {
    local deadline=$((SECONDS + $2))
    until screen | grep -qE -- "$1"; do
        [ "$SECONDS" -lt "$deadline" ] || fail "$3: /$1/ not on screen after $2 s"
        sleep 0.1
    done
    echo "e2e: ok: $3"
}

# wait_file PATH SECONDS WHAT: until PATH exists.
wait_file() {
    local deadline=$((SECONDS + $2))
    until [ -s "$1" ]; do
        [ "$SECONDS" -lt "$deadline" ] || fail "$3: $1 not written after $2 s"
        sleep 0.1
    done
}

regex_escape() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|]/\\&/g'; }

# start RUN: starts pooltui in a fresh pane that records the terminal settings before
# and after, and the exit status.
start() {
    local run="$1"
    tmux kill-session -t "$session" 2>/dev/null || true
    tmux new-session -d -s "$session" -x 132 -y 40 "bash --noprofile --norc"
    tmux send-keys -t "$session" "clear; stty -g > $work/$run.before; stty -a > $work/$run.before.txt; \
$bin --restart permanent --workers 20 --crash-rate 0 --lookup-rate 0 --refresh 0.2; \
echo \$? > $work/$run.status; stty -g > $work/$run.after; stty -a > $work/$run.after.txt; \
echo E2E-SHELL-BACK" Enter
    wait_for "pooltui · pool phones" 120 "$run: the dashboard is up"
    wait_for "workers 20 · registry entries 20" 60 "$run: 20 workers running and registered"
    [ "$(tmux display -p -t "$session" '#{alternate_on}')" = 1 ] || fail "$run: the dashboard is not on the alternate screen"
}

# restored RUN: pooltui has exited with status 0 and the terminal is as it was.
restored() {
    local run="$1"
    wait_file "$work/$run.status" 30 "$run: pooltui exits"
    wait_for "E2E-SHELL-BACK" 10 "$run: the shell is back"
    [ "$(cat "$work/$run.status")" = 0 ] || fail "$run: pooltui exited with status $(cat "$work/$run.status")"
    cmp -s "$work/$run.before" "$work/$run.after" ||
        fail "$run: stty settings changed: $(cat "$work/$run.before") -> $(cat "$work/$run.after")"
    grep -qE '(^| )icanon( |$)' "$work/$run.after.txt" || fail "$run: canonical mode is off after exit"
    grep -qE '(^| )echo( |$)' "$work/$run.after.txt" || fail "$run: echo is off after exit"
    [ "$(tmux display -p -t "$session" '#{alternate_on}')" = 0 ] || fail "$run: still on the alternate screen"
    [ "$(tmux display -p -t "$session" '#{cursor_flag}')" = 1 ] || fail "$run: the cursor is hidden"
    echo "e2e: ok: $run: exit status 0, terminal restored (stty identical, icanon echo, main screen, cursor)"
}

# 1. Kill a worker and watch the cleanup and the restart; quit with q.
start q
wait_for '^ \+1-555-0000000 +<[0-9]+\.[0-9]+\.[0-9]+>' 30 "the first worker's row is shown"
pid="$(screen | grep -oE '^ \+1-555-0000000 +<[0-9.]+>' | grep -oE '<[0-9.]+>')"
id='\+1-555-0000000'
p="$(regex_escape "$pid")"
echo "e2e: the selected worker is +1-555-0000000 $pid"
tmux send-keys -t "$session" K
wait_for "kill $id $p\\? y/n" 10 "K asks for confirmation"
tmux send-keys -t "$session" y
wait_for "KILL $id $p \\(brutal\\)" 10 "the kill is in the event log"
wait_for "UNREG $id $p .*killed" 10 "the registry cleanup is in the event log"
wait_for "DOWN $id $p killed" 10 "the DOWN is in the event log"
wait_for "kill returned: $p dead, $id gone from the registry" 10 "when kill returned, the entry was gone"
wait_for "RESTART $id $p → <" 10 "the supervisor's restart is in the event log"
new_pid="$(screen | grep -oE "RESTART $id $p → <[0-9.]+>" | grep -oE '<[0-9.]+>$')"
wait_for "^ $id +$(regex_escape "$new_pid") +[a-z]+ +↻1 " 10 "the row shows the new pid $new_pid and one restart"
wait_for "killed 1 · crashed 0 · restarts 1" 10 "the counters show one kill and one restart"
if screen | grep -q "still registered"; then fail "an entry outlived its kill"; fi
tmux send-keys -t "$session" q
restored q

# 2. Ctrl-C quits and restores the terminal.
start ctrl-c
tmux send-keys -t "$session" C-c
restored ctrl-c

# 3. SIGTERM quits and restores the terminal.
start sigterm
pooltui_pid="$(pgrep -n -f "^$bin --restart permanent" || true)"
[ -n "$pooltui_pid" ] || fail "sigterm: cannot find the pooltui process"
kill -TERM "$pooltui_pid"
restored sigterm

echo "e2e: PASS"
