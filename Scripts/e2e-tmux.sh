#!/usr/bin/env bash
# End-to-end tests of the dashboard, as a person sees it, in tmux panes read with
# `capture-pane`.
#
# Part 1, the built-in demo (`pooltui`): kill the selected worker with `K` `y`; the event
# log shows the kill, the registry cleanup, the DOWN and the restart. Quit with `q`, then
# in second and third runs with Ctrl-C and SIGTERM, checking each time that the terminal
# was restored (same stty settings, canonical mode and echo, main screen, cursor visible).
#
# Part 2, attaching to a running app: `pooltui demo --serve --name e2e` runs headless;
# `pooltui ls` lists it; `pooltui attach e2e` shows it; `K` `y` kills a worker there and
# the screen shows the kill, the cleanup and the restart; `pooltui attach e2e --once
# --json` then shows the id under a new pid. The app is killed with SIGKILL: the screen
# says disconnected; started again: the dashboard attaches again; `q` restores the
# terminal. A client run as another user (`runuser -u nobody`) is refused — by the
# folder's permissions, and, with those opened on purpose, by the app itself, which logs it.
#
# Part 3, a cluster on etcd (when `etcd` is on PATH; required under CI=true): an etcd
# member on free loopback ports, two `pooltui demo --cluster` nodes as separate OS
# processes sharing 20 ids, `pooltui cluster` live in tmux; one node is killed with
# SIGKILL: every id it held moves to the other node, with a larger fencing token, once its
# lease expires, and the screen marks them moved; `--once --json` agrees; never two holders.
#
# Every wait is for something to appear (on screen or in a file), with a deadline that
# only a broken build reaches; the screen is printed when a check fails.
#
# Usage: Scripts/e2e-tmux.sh   (builds pooltui if needed; needs tmux, python3; part 2's
# other-user checks need root and runuser)
set -euo pipefail
cd "$(dirname "$0")/.."

command -v tmux >/dev/null || { echo "e2e: tmux is not installed (apt-get install -y tmux)"; exit 1; }
swift build --product pooltui >/dev/null
bin="$(swift build --show-bin-path)/pooltui"

work="$(mktemp -d)"
chmod 755 "$work"
session="pooltui-e2e-$$"
app_pid=""
cluster_pids=()
cleanup() {
    tmux kill-session -t "$session" 2>/dev/null || true
    tmux kill-session -t "$session-cluster" 2>/dev/null || true
    tmux kill-session -t "$session-attach" 2>/dev/null || true
    [ -n "$app_pid" ] && kill -KILL "$app_pid" 2>/dev/null || true
    for pid in "${cluster_pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

screen() { tmux capture-pane -t "$session" -p; }

fail() {
    echo "e2e: FAIL: $*"
    echo "---- screen"
    screen || true
    echo "---- app log"
    cat "$work"/app*.err 2>/dev/null | tail -20 || true
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

# wait_file PATH SECONDS WHAT: until PATH exists and is not empty.
wait_file() {
    local deadline=$((SECONDS + $2))
    until [ -s "$1" ]; do
        [ "$SECONDS" -lt "$deadline" ] || fail "$3: $1 not written after $2 s"
        sleep 0.1
    done
}

regex_escape() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|]/\\&/g'; }

# start RUN COMMAND…: runs COMMAND in a fresh pane that records the terminal settings
# before and after, and the exit status.
start() {
    local run="$1"
    shift
    tmux kill-session -t "$session" 2>/dev/null || true
    tmux new-session -d -s "$session" -x 132 -y 40 "bash --noprofile --norc"
    tmux send-keys -t "$session" "clear; stty -g > $work/$run.before; stty -a > $work/$run.before.txt; \
$*; \
echo \$? > $work/$run.status; stty -g > $work/$run.after; stty -a > $work/$run.after.txt; \
echo E2E-SHELL-BACK" Enter
}

# restored RUN: the dashboard has exited with status 0 and the terminal is as it was.
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

# kill_first_worker WHERE: kills +1-555-0000000 with K y and reads the story off the
# screen; sets new_pid.
kill_first_worker() {
    local where="$1"
    wait_for '^ \+1-555-0000000 +<[0-9]+\.[0-9]+\.[0-9]+>' 30 "$where: the first worker's row is shown"
    local pid p id='\+1-555-0000000'
    pid="$(screen | grep -oE '^ \+1-555-0000000 +<[0-9.]+>' | grep -oE '<[0-9.]+>')"
    p="$(regex_escape "$pid")"
    echo "e2e: $where: the selected worker is +1-555-0000000 $pid"
    tmux send-keys -t "$session" K
    wait_for "kill $id $p\\? y/n" 10 "$where: K asks for confirmation, naming the pid"
    tmux send-keys -t "$session" y
    wait_for "KILL $id $p \\(brutal\\)" 10 "$where: the kill is in the event log"
    wait_for "UNREG $id $p .*killed" 10 "$where: the registry cleanup is in the event log"
    wait_for "DOWN $id $p killed" 10 "$where: the DOWN is in the event log"
    wait_for "kill returned: $p dead, $id gone from the registry" 10 "$where: when kill returned, the entry was gone"
    wait_for "RESTART $id $p → <" 10 "$where: the supervisor's restart is in the event log"
    new_pid="$(screen | grep -oE "RESTART $id $p → <[0-9.]+>" | grep -oE '<[0-9.]+>$')"
    wait_for "^ $id +$(regex_escape "$new_pid") +[a-z]+ +↻1 " 10 "$where: the row shows the new pid $new_pid and one restart"
    wait_for "killed 1 · crashed 0 · restarts 1" 10 "$where: the counters show one kill and one restart"
    if screen | grep -q "still registered"; then fail "$where: an entry outlived its kill"; fi
}

demo_options="--restart permanent --workers 20 --crash-rate 0 --lookup-rate 0"

# ---- Part 1: the built-in demo.
start q "$bin $demo_options --refresh 0.2"
wait_for "pooltui · app demo \\(pid [0-9]+\\) · pool phones 1/3" 120 "q: the dashboard is up on the demo"
wait_for "workers 20 · registry entries 20" 60 "q: 20 workers running and registered"
[ "$(tmux display -p -t "$session" '#{alternate_on}')" = 1 ] || fail "q: the dashboard is not on the alternate screen"
kill_first_worker demo
tmux send-keys -t "$session" q
restored q

start ctrl-c "$bin $demo_options"
wait_for "workers 20 · registry entries 20" 60 "ctrl-c: the dashboard is up"
tmux send-keys -t "$session" C-c
restored ctrl-c

start sigterm "$bin $demo_options"
wait_for "workers 20 · registry entries 20" 60 "sigterm: the dashboard is up"
dashboard_pid="$(pgrep -n -f "^$bin $demo_options" || true)"
[ -n "$dashboard_pid" ] || fail "sigterm: cannot find the pooltui process"
kill -TERM "$dashboard_pid"
restored sigterm

# ---- Part 2: attach to a running app.
serve() {
    local log="$1"
    "$bin" demo --serve --name e2e $demo_options > "$work/$log.out" 2> "$work/$log.err" &
    app_pid=$!
    wait_file "$work/$log.out" 60 "the app starts serving"
    socket="$(sed -n 's/.*serving on \([^ ]*\) (pid.*/\1/p' "$work/$log.out")"
    [ -S "$socket" ] || fail "the app says it serves on $socket, which is not a socket"
    echo "e2e: ok: app e2e (pid $app_pid) serves on $socket"
}
serve app1
folder="$(dirname "$socket")"
[ "$(stat -c %a "$folder")" = 700 ] || fail "the socket folder $folder is not 0700"
[ "$(stat -c %a "$socket")" = 600 ] || fail "the socket $socket is not 0600"
echo "e2e: ok: folder 0700, socket 0600"
"$bin" ls > "$work/ls.txt"
grep -qE "^e2e +$app_pid +[0-9]+s +phones\\(pool\\) rooms\\(pool\\) topics\\(registry\\) +commands +$(regex_escape "$socket")" "$work/ls.txt" ||
    fail "pooltui ls does not list e2e: $(cat "$work/ls.txt")"
echo "e2e: ok: pooltui ls lists e2e, its pid, pools and socket"

start attach "$bin attach e2e --refresh 0.2"
wait_for "pooltui · app e2e \\(pid $app_pid\\) · pool phones 1/3" 60 "attach: the dashboard shows app e2e"
wait_for "workers 20 · registry entries 20" 60 "attach: its 20 workers"
kill_first_worker attach
"$bin" attach e2e --once --json --filter +1-555-0000000 > "$work/once.json" || fail "attach --once --json failed"
python3 - "$work/once.json" "$new_pid" <<'PY' || fail "the --once --json snapshot does not show the id under its new pid"
import json, sys
snapshot = json.load(open(sys.argv[1]))
phones = next(pool for pool in snapshot["pools"] if pool["pool"]["name"] == "phones")
row = next(row for row in phones["rows"] if row["id"] == "+1-555-0000000")
assert row["pid"] == sys.argv[2] and row["restarts"] == 1 and row["phase"] == "live", row
assert snapshot["app"]["app"] == "e2e" and snapshot["tree"], snapshot["app"]
PY
echo "e2e: ok: attach --once --json shows +1-555-0000000 under $new_pid, restarted once"

kill -KILL "$app_pid"
wait "$app_pid" 2>/dev/null || true
wait_for "app e2e · pool phones 1/3 \\(Tab\\) · DISCONNECTED" 10 "attach: the dashboard says disconnected"
wait_for "^ \+1-555-0000000 " 5 "attach: the last screen is kept"
serve app2
wait_for "pooltui · app e2e \\(pid $app_pid\\)" 30 "attach: the dashboard attaches again to the new e2e (pid $app_pid)"
wait_for "connected again to e2e \\(pid $app_pid\\)" 10 "attach: and says so in the log"
wait_for "workers 20 · registry entries 20" 60 "attach: the new app's 20 workers"
tmux send-keys -t "$session" q
restored attach

# A client of another user.
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null; then
    cp "$bin" "$work/pooltui"
    chmod 755 "$work/pooltui"
    runuser -u nobody -- "$work/pooltui" ls > "$work/nobody-ls.txt" 2>&1 || fail "nobody's pooltui ls failed: $(cat "$work/nobody-ls.txt")"
    grep -q "no attachable apps in /tmp/pooltui-65534" "$work/nobody-ls.txt" || fail "nobody sees another user's app: $(cat "$work/nobody-ls.txt")"
    if runuser -u nobody -- "$work/pooltui" attach "$socket" --once --json > "$work/nobody1.txt" 2>&1; then
        fail "nobody attached to root's app through its private folder"
    fi
    grep -q "not allowed" "$work/nobody1.txt" || fail "nobody's refusal does not say why: $(cat "$work/nobody1.txt")"
    echo "e2e: ok: another user's client cannot reach the socket (folder 0700): $(head -1 "$work/nobody1.txt")"
    # Opened on purpose, so that the other user reaches the app's own check (SO_PEERCRED).
    chmod 711 "$folder"
    chmod 666 "$socket"
    if runuser -u nobody -- "$work/pooltui" attach "$socket" --once --json > "$work/nobody2.txt" 2>&1; then
        fail "the app served a client of another user"
    fi
    chmod 700 "$folder"
    chmod 600 "$socket"
    grep -q "accepts clients of that user or root only; you are uid 65534" "$work/nobody2.txt" ||
        fail "the app's refusal does not say why: $(cat "$work/nobody2.txt")"
    grep -q "refused a client of another user" "$work/app2.err" || fail "the app did not log the refusal"
    echo "e2e: ok: the app refuses a client of uid 65534, says why, and logs it: $(head -1 "$work/nobody2.txt")"
else
    echo "e2e: skipped: the other-user checks need root and runuser"
fi
kill -TERM "$app_pid"
wait "$app_pid" 2>/dev/null || true
app_pid=""
[ ! -e "$socket" ] || fail "the app left its socket behind after SIGTERM"
echo "e2e: ok: SIGTERM stops the app and removes its socket"

# ---- Part 3: a cluster on etcd, nodes in separate OS processes.
if command -v etcd >/dev/null; then
    # Two free loopback ports outside the kernel's ephemeral range (32768-60999), which
    # the clients of this script and of anything else running draw from.
    read -r client_port peer_port < <(python3 -c '
import random, socket
ports = []
while len(ports) < 2:
    port = random.randrange(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        if port not in ports: ports.append(port)
    except OSError:
        pass
    finally:
        s.close()
print(*ports)')
    endpoint="http://127.0.0.1:$client_port"
    etcd --name e2e --data-dir "$work/etcd" --listen-client-urls "$endpoint" --advertise-client-urls "$endpoint" \
        --listen-peer-urls "http://127.0.0.1:$peer_port" > "$work/etcd.log" 2>&1 &
    cluster_pids+=($!)
    reading() { "$bin" cluster --etcd "$endpoint" --prefix e2e/ --once --json 2>/dev/null; }
    deadline=$((SECONDS + 30))
    until reading > /dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || fail "etcd did not start: $(tail -5 "$work/etcd.log")"
        sleep 0.2
    done
    for node in a b; do
        "$bin" demo --cluster --etcd "$endpoint" --node "$node" --prefix e2e/ --ids 20 --ttl 3 > "$work/node-$node.log" 2>&1 &
        cluster_pids+=($!)
        eval "node_$node=$!"
    done
    # count_names NODE: how many ids NODE holds (all nodes: "*").
    count_names() { reading | python3 -c 'import json, sys; r = json.load(sys.stdin); print(sum(1 for n in r["names"] if sys.argv[1] in ("*", n["node"])))' "$1"; }
    deadline=$((SECONDS + 30))
    until [ "$(count_names '*')" = 20 ] && [ "$(count_names a)" -gt 0 ] && [ "$(count_names b)" -gt 0 ]; do
        [ "$SECONDS" -lt "$deadline" ] || fail "the two nodes did not come to hold all 20 ids: $(reading)"
        sleep 0.2
    done
    echo "e2e: ok: cluster: nodes a and b hold all 20 ids between them (a $(count_names a), b $(count_names b))"
    # The dashboard on a cluster node: node b's ClusterPool — its sessions, with their
    # tokens — and K y kills the selected one by the pid shown. The demo stops a session of
    # its own now and then: if it takes the selected one first, the next one is tried.
    tmux new-session -d -s "$session-attach" -x 120 -y 32 "$bin attach demo-b"
    ascreen() { tmux capture-pane -t "$session-attach" -p; }
    deadline=$((SECONDS + 15))
    until ascreen | grep -qE '^ id-[0-9]+ +<[0-9.]+>'; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "---- attach screen"; ascreen; fail "cluster: pooltui attach demo-b shows no session of node b"; }
        sleep 0.1
    done
    echo "e2e: ok: cluster: pooltui attach demo-b shows node b's sessions"
    killed=""
    for attempt in 1 2 3; do
        row="$(ascreen | grep -E '^ id-[0-9]+ +<[0-9.]+>' | head -1)"
        id="$(echo "$row" | grep -oE 'id-[0-9]+' | head -1)"
        pid="$(echo "$row" | grep -oE '<[0-9.]+>' | head -1)"
        token="$(echo "$row" | awk '{print $NF}')"  # the value column: the claim's fencing token
        tmux send-keys -t "$session-attach" K
        deadline=$((SECONDS + 10))
        until ascreen | grep -qE "kill $id $(regex_escape "$pid")\\? y/n"; do
            [ "$SECONDS" -lt "$deadline" ] || { echo "---- attach screen"; ascreen; fail "cluster: K did not ask to kill $id $pid"; }
            sleep 0.1
        done
        tmux send-keys -t "$session-attach" y
        deadline=$((SECONDS + 10))
        until [ "$SECONDS" -ge "$deadline" ] || ascreen | grep -qE "kill returned: $(regex_escape "$pid") dead, $id gone from the registry"; do
            sleep 0.1
        done
        if ascreen | grep -qE "kill returned: $(regex_escape "$pid") dead, $id gone from the registry"; then
            killed="$id $pid"
            killed_id="$id"
            killed_token="$token"
            break
        fi
    done
    [ -n "$killed" ] || { echo "---- attach screen"; ascreen; fail "cluster: the dashboard did not kill a session of node b in 3 tries"; }
    echo "e2e: ok: cluster: the dashboard on node b killed $killed: dead, and gone from the registry when kill returned"
    tmux send-keys -t "$session-attach" q
    # token_of ID: the token of ID's holder in etcd now (empty while nobody holds it).
    token_of() { reading | python3 -c 'import json, sys; print(next((str(n["token"]) for n in json.load(sys.stdin)["names"] if n["name"] == sys.argv[1]), ""))' "$1"; }
    deadline=$((SECONDS + 20))
    until now="$(token_of "$killed_id")" && [ -n "$now" ] && [ "$now" -gt "$killed_token" ]; do
        [ "$SECONDS" -lt "$deadline" ] || fail "the killed session's id $killed_id (token $killed_token) was not claimed again: $(reading)"
        sleep 0.2
    done
    echo "e2e: ok: cluster: $killed_id was released and claimed again, token $killed_token → $now"
    tmux new-session -d -s "$session-cluster" -x 100 -y 32 "$bin cluster --etcd $endpoint --prefix e2e/"
    cscreen() { tmux capture-pane -t "$session-cluster" -p; }
    cwait_for() {
        local deadline=$((SECONDS + $2))
        until cscreen | grep -qE -- "$1"; do
            [ "$SECONDS" -lt "$deadline" ] || { echo "---- cluster screen"; cscreen; fail "$3: /$1/ not on the cluster screen after $2 s"; }
            sleep 0.1
        done
        echo "e2e: ok: $3"
    }
    cwait_for "2 nodes · 20 names" 10 "cluster: pooltui cluster shows both nodes and every id"
    cwait_for "^ a +pid [0-9]+ +[0-9]+ +[0-9] s" 5 "cluster: node a's row shows its lease's time left"
    reading > "$work/before.json"
    kill -KILL "$node_a"
    killed_at=$SECONDS
    # Every id a held moves to b, under a larger token; nothing is held twice meanwhile.
    deadline=$((SECONDS + 20))
    until reading > "$work/after.json" && python3 - "$work/before.json" "$work/after.json" <<'PY'
import json, sys
before, after = (json.load(open(path)) for path in sys.argv[1:3])
held = {n["name"]: n for n in after["names"]}
moved = [n for n in before["names"] if n["node"] == "a"]
assert moved and all(n["name"] in held and held[n["name"]]["node"] == "b" and held[n["name"]]["token"] > n["token"] for n in moved)
PY
    do
        [ "$SECONDS" -lt "$deadline" ] || fail "a's ids did not all move to b with larger tokens: $(cat "$work/after.json")"
        sleep 0.2
    done
    echo "e2e: ok: cluster: after a's SIGKILL, every id it held is b's under a larger token ($((SECONDS - killed_at)) s, TTL 3 s)"
    cwait_for "1 nodes · 20 names" 10 "cluster: the screen shows one node left"
    cwait_for "← moved" 5 "cluster: the screen marks the ids that moved"
    tmux send-keys -t "$session-cluster" q
    deadline=$((SECONDS + 5))
    while tmux has-session -t "$session-cluster" 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || fail "q did not quit pooltui cluster"
        sleep 0.1
    done
    echo "e2e: ok: cluster: q quits the cluster screen"
    kill -TERM "$node_b"
    wait "$node_b" 2>/dev/null || true
    [ "$(count_names '*')" = 0 ] || fail "b's ids were not freed when it stopped: $(reading)"
    echo "e2e: ok: cluster: SIGTERM stops node b and frees its ids at once (its lease is revoked)"
elif [ "${CI:-}" = true ]; then
    fail "etcd is not on PATH (apt-get install -y etcd-server): the cluster part cannot run"
else
    echo "e2e: skipped: the cluster part needs etcd on PATH (Debian's etcd-server)"
fi

echo "e2e: PASS"
