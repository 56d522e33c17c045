#!/usr/bin/env bash
# probelock validate/list/run: the broken-scenario corpus, a run's results
# layout (cells.jsonl, summary.csv, junit.xml valid against tests/junit.xsd,
# env.json, latest), --dry-run, --only, exit codes, SIGINT then --resume,
# shards then merge, SIGKILL then env down, and the shipped scenarios'
# classifications (receiver-stall, silent-peer).
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
P="$BIN/probelock"
BAD=("$ROOT"/tests/scenarios-bad/*.yaml)
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # skip needs root (captures, namespaces)"
	exit 0
fi
plan $((${#BAD[@]} + 41))

# 1. Every broken scenario: exit 2, the expected place and message, nothing run.
for f in "${BAD[@]}"; do
	want=$(sed -n '1s/^# expect: //p' "$f")
	"$P" run "$f" -o "$TMP/bad-results" >/dev/null 2>"$TMP/err"
	rc=$?
	if [ $rc -eq 2 ] && grep -qF -- "$f:$want" "$TMP/err" && [ ! -e "$TMP/bad-results" ]; then
		ok 0 "$(basename "$f"): exit 2, $want"
	else
		ok 1 "$(basename "$f"): exit 2, $want"
		diag "exit $rc: $(head -3 "$TMP/err")"
	fi
done

# 2. A small run and its results.
cat >"$TMP/smoke.yaml" <<'YAML'
name: smoke
target: { kind: loopback }
server: { mode: blocking, app_buf: 8192, sndbuf: 16384, rcvbuf: 16384 }
client: { sndbuf: 16384, rcvbuf: 16384, payload: 300000, alarm: 10s }
matrix:
  client.mode: [blocking, nonblocking, chunked]
expect:
  - when: { client.mode: blocking }
    outcome: deadlock
    ended_by: detector
    stall_cause: probe_deadlock
  - when: { client.mode: nonblocking }
    outcome: completed
    stall_cause: none
YAML
"$P" run "$TMP/smoke.yaml" -o "$TMP/res" >"$TMP/run.out" 2>&1
is "$?" 0 "run: every expectation held, exit 0"
RUN=$(readlink -f "$TMP/res/latest")
ok $([ -d "$RUN" ] && [ "$(dirname "$RUN")" = "$TMP/res/smoke" ]; echo $?) "results/latest points at results/smoke/<time>"
for f in scenario.yaml env.json cells.jsonl summary.csv junit.xml; do
	ok $([ -s "$RUN/$f" ]; echo $?) "the run folder has $f"
done
is "$(wc -l <"$RUN/cells.jsonl")" 3 "cells.jsonl: one line per cell"
perl -MJSON::PP -ne 'decode_json($_)' "$RUN/cells.jsonl"
ok $? "cells.jsonl: every line is JSON"
is "$(head -1 "$RUN/summary.csv" | cut -d, -f1-5)" "id,repeat,client.mode,outcome,ended_by" "summary.csv: a header"
is "$(($(wc -l <"$RUN/summary.csv") - 1))" 3 "summary.csv: one row per cell"
xmllint --noout --schema "$ROOT/tests/junit.xsd" "$RUN/junit.xml" 2>"$TMP/xml.err"
ok $? "junit.xml validates as JUnit XML ($(cat "$TMP/xml.err" | tail -1))"
is "$(json "$RUN/env.json" '$d->{sysctl}{"net.ipv4.tcp_rmem"} ? "ok" : "missing"')" ok "env.json: the sysctls"
is "$(grep -c '"verdict":"pass"' "$RUN/cells.jsonl")" 3 "every cell passed"
ok $([ -s "$RUN/cells/mode-blocking/client.json" ] && [ -s "$RUN/cells/mode-blocking/analysis.json" ] && \
	[ -s "$RUN/cells/mode-blocking/timeline.csv" ] && [ -s "$RUN/cells/mode-blocking/server.json" ]; echo $?) \
	"cells/<id>/: client and server JSON, timeline, analysis"
ok $([ ! -e "$RUN/cells/mode-blocking/capture.pcap" ]; echo $?) "capture kept on failure only: none for a passing cell"
grep -q '^\[3/3\] mode-chunked: completed' "$TMP/run.out"
ok $? "progress: one line per cell on a non-terminal"

# 3. --dry-run, --only, list.
"$P" run "$TMP/smoke.yaml" -o "$TMP/dry" --dry-run --only client.mode=chunked >"$TMP/dry.out"
is "$?:$(grep -c '^would run' "$TMP/dry.out"):$([ -e "$TMP/dry" ] && echo made || echo none)" "0:1:none" \
	"--dry-run --only: one cell listed, nothing created"
is "$("$P" list "$TMP/smoke.yaml" --only client.mode=blocking 2>/dev/null)" "mode-blocking client.mode=blocking" "list --only"

# 4. A failed expectation: exit 1, a junit failure.
sed 's/outcome: deadlock/outcome: completed/' "$TMP/smoke.yaml" >"$TMP/wrong.yaml"
"$P" run "$TMP/wrong.yaml" -o "$TMP/res" --only client.mode=blocking >/dev/null 2>&1
is "$?" 1 "a failed expectation: exit 1"
grep -q '<failure message="expected outcome completed, got deadlock' "$(readlink -f "$TMP/res/latest")/junit.xml"
ok $? "junit.xml carries the failure and why"

# 5. An infrastructure error: exit 3 naming the step.
cat >"$TMP/infra.yaml" <<'YAML'
name: infra
target: { kind: remote, host: 127.0.0.1, port: 9, iface: plknosuch0 }
YAML
"$P" run "$TMP/infra.yaml" -o "$TMP/res" >/dev/null 2>"$TMP/err"
is "$?" 3 "a capture that cannot start: exit 3"
grep -q "infrastructure error: cell cell: capture: capture on plknosuch0: no such interface" "$TMP/err"
ok $? "...and the message names the step ($(cat "$TMP/err"))"

# 5b. A cell that hangs past its timeout: recorded as error, the run goes on.
cat >"$TMP/hang.yaml" <<'YAML'
name: hang
timeout: 1500ms
server: { mode: blocking, app_buf: 8192, sndbuf: 16384, rcvbuf: 16384 }
client: { sndbuf: 16384, rcvbuf: 16384, payload: 300000, alarm: 60s, abort: false }
matrix:
  client.mode: [blocking, nonblocking]
YAML
"$P" run "$TMP/hang.yaml" -o "$TMP/res" >"$TMP/hang.out" 2>&1
is "$?" 1 "a cell past its timeout: exit 1"
HRUN=$(readlink -f "$TMP/res/latest")
is "$(json <(head -1 "$HRUN/cells.jsonl") '$d->{verdict} . "/" . $d->{outcome}')" "error/error" \
	"...recorded as error ($(json <(head -1 "$HRUN/cells.jsonl") '$d->{detail}'))"
is "$(json <(tail -1 "$HRUN/cells.jsonl") '$d->{outcome}')" completed "...and the next cell still ran"

# 6. SIGINT mid-cell (netns), then --resume.
cat >"$TMP/ns.yaml" <<'YAML'
name: nsint
target: { kind: netns }
server: { mode: blocking, app_buf: 8192, sndbuf: 16384, rcvbuf: 16384 }
client: { sndbuf: 16384, rcvbuf: 16384, payload: 300000, alarm: 3s }
matrix:
  client.mode: [nonblocking, blocking, chunked]
  client.abort: [false]
YAML
"$P" run "$TMP/ns.yaml" -o "$TMP/int" >"$TMP/int.out" 2>&1 &
RP=$!
for _ in $(seq 100); do grep -q '^\[1/3\]' "$TMP/int.out" && break; sleep 0.05; done
sleep 0.5 # inside the second cell: a deadlock that waits for its 3 s alarm
kill -INT "$RP"
wait "$RP"
is "$?" 130 "SIGINT: exit 130"
is "$(ip netns list | grep -c '^plk-')" 0 "SIGINT: no plk- namespace left"
is "$(pgrep -f "$TMP/int" | wc -l)" 0 "SIGINT: no echod or tcpecho left"
IRUN=$(readlink -f "$TMP/int/latest")
perl -MJSON::PP -ne 'decode_json($_)' "$IRUN/cells.jsonl"
ok $? "SIGINT: cells.jsonl parses ($(wc -l <"$IRUN/cells.jsonl") line)"
"$P" run --resume "$IRUN" >/dev/null 2>&1
is "$?" 0 "--resume completes the run"
is "$(cut -d, -f1 "$IRUN/summary.csv" | tail -n +2 | sort | tr '\n' ' ')" \
	"$("$P" list "$TMP/ns.yaml" 2>/dev/null | cut -d' ' -f1 | sort | tr '\n' ' ')" \
	"--resume: the same cells as an uninterrupted run"

# 7. Shards and merge.
S1=$("$P" run "$TMP/smoke.yaml" -o "$TMP/sh" --shard 1/2 | sed -n 's/^results: //p')
sleep 1
S2=$("$P" run "$TMP/smoke.yaml" -o "$TMP/sh" --shard 2/2 | sed -n 's/^results: //p')
M=$("$P" merge "$S1" "$S2" -o "$TMP/sh" | sed -n 's/^merged 2 runs into //p')
is "$(cut -d, -f1 "$M/summary.csv" | tail -n +2 | sort | tr '\n' ' ')" \
	"$("$P" list "$TMP/smoke.yaml" 2>/dev/null | cut -d' ' -f1 | sort | tr '\n' ' ')" \
	"--shard 1/2 + --shard 2/2 + merge: the cells of one run"
xmllint --noout --schema "$ROOT/tests/junit.xsd" "$M/junit.xml" 2>/dev/null
ok $? "the merged junit.xml validates"

# 8. SIGKILL, then env down.
"$P" run "$TMP/ns.yaml" -o "$TMP/kill" >/dev/null 2>&1 &
RP=$!
sleep 1.5
exec 3>&2 2>/dev/null # bash's "Killed" job notice is the test's own doing, not an error
kill -KILL "$RP"
wait "$RP"
exec 2>&3 3>&-
ok $([ "$(ip netns list | grep -c '^plk-')" -gt 0 ]; echo $?) "SIGKILL leaves namespaces behind"
"$P" env down >"$TMP/down.out"
is "$(ip netns list | grep -c '^plk-')" 0 "env down: no namespace left"
sleep 0.2
is "$(pgrep -f "$TMP/kill" | grep -v "^$$\$" | xargs -r ps -o stat= -p | grep -vc Z)" 0 "env down: no echod or tcpecho left"
"$P" env status | grep -q "nothing of probelock's exists"
ok $? "env status: nothing left"

# 9. The shipped stall scenarios are classified right.
"$P" run "$ROOT/scenarios/receiver-stall.yaml" -o "$TMP/ship" --only server.stall_for=1s >/dev/null 2>&1
is "$?:$(grep -c receiver_stall "$(readlink -f "$TMP/ship/latest")/summary.csv")" "0:2" "receiver-stall: receiver_stall in every cell"
"$P" run "$ROOT/scenarios/silent-peer.yaml" -o "$TMP/ship" >/dev/null 2>&1
is "$?:$(grep -c ',silent_peer,' "$(readlink -f "$TMP/ship/latest")/summary.csv")" "0:1" "silent-peer: silent_peer"
missing=$("$P" keys | awk '!/^#/ {print $1}' | while read -r k; do grep -qF "\`$k\`" "$ROOT/scenarios/README.md" || echo "$k"; done)
is "$missing" "" "scenarios/README.md documents every key of the schema"
done_testing
