#!/usr/bin/env bash
# The draft's experiment on loopback: echod blocking (app buffer 8192), buffers
# 16384 at both ends; 60000 bytes completes, 300000 deadlocks and is detected,
# the other modes complete.
. "$(dirname "$0")/lib.sh"
plan 28

BUFS=(--sndbuf 16384 --rcvbuf 16384)
start_echod S --mode blocking --app-buf 8192 "${BUFS[@]}" --monitor
TE=("$BIN/tcpecho" -p "$S_PORT" "${BUFS[@]}")

# The draft's own command line.
"${TE[@]}" -n 1 -a 120 -m 60000 127.0.0.1 A >"$TMP/small.txt"
ok $? "draft command line, 60000 bytes: exit 0"
grep -q "completed" "$TMP/small.txt" && grep -q "echoed 60000 of 60000 (verified)" "$TMP/small.txt"
ok $? "60000 bytes completed and verified (summary)"

"${TE[@]}" -a 120 --payload 60000 --json 127.0.0.1 >"$TMP/60k.json"
is "$?:$(json "$TMP/60k.json" '$d->{outcome}'):$(json "$TMP/60k.json" '$d->{verified}')" "0:completed:true" \
	"60000 bytes --json: completed, verified"
is "$(json "$TMP/60k.json" '$d->{deadlock}')" "null" "no deadlock verdict on the completed transfer"
is "$(json "$TMP/60k.json" '$d->{sndbuf}{effective}')" "32768" "effective sndbuf read back (Linux doubles)"

"${TE[@]}" -a 120 --payload 300000 --json --timeline "$TMP/tl.csv" 127.0.0.1 >"$TMP/300k.json"
is "$?" 3 "300000 bytes blocking: exit 3"
is "$(json "$TMP/300k.json" '$d->{outcome}')" deadlock "outcome deadlock"
is "$(json "$TMP/300k.json" '$d->{ended_by}')" detector "ended by the detector, not the alarm"
lat=$(json "$TMP/300k.json" '$d->{deadlock}{detected_s} - $d->{deadlock}{onset_s}')
diag "detection latency ${lat} s"
perl -e 'exit !($ARGV[0] > 0 && $ARGV[0] < 2)' "$lat"
ok $? "detected_s - onset_s under 2 s"
is "$(json "$TMP/300k.json" '$d->{tcp_info}{snd_wnd} . "/" . $d->{tcp_info}{rcv_wnd}')" "0/0" \
	"final tcp_info: both windows 0"
perl -e 'exit !($ARGV[0] >= 1)' "$(json "$TMP/300k.json" '$d->{deadlock}{backoff}')"
ok $? "persist backoff had risen at detection"
is "$(json "$TMP/300k.json" '$d->{bytes_received} < 300000 ? "short" : "all"')" short "echo stopped short"
head -1 "$TMP/tl.csv" | grep -q '^t_s,app_sent,app_recv,bytes_acked,bytes_received,snd_wnd,rcv_wnd'
ok $? "timeline CSV has its header"
perl -F, -lane 'exit 1 if $. > 1 && @F != 23; END { exit 1 if $. < 5 }' "$TMP/tl.csv"
ok $? "timeline CSV has well-formed rows ($(($(wc -l <"$TMP/tl.csv") - 1)))"
tail -1 "$TMP/tl.csv" | grep -q ',1,15$'
ok $? "last timeline row: stalled with all four deadlock signals"

for mode in nonblocking chunked split aware; do
	"${TE[@]}" -a 120 --payload 300000 --mode "$mode" --json 127.0.0.1 >"$TMP/$mode.json"
	is "$?:$(json "$TMP/$mode.json" '$d->{outcome}'):$(json "$TMP/$mode.json" '$d->{verified}'):$(json "$TMP/$mode.json" '$d->{bytes_received}')" \
		"0:completed:true:300000" "300000 bytes --mode $mode: completed and verified"
done
is "$(json "$TMP/aware.json" '$d->{aware_wakeups} > 0 ? "woke" : "never"')" woke \
	"aware mode read because B-1..B-4 held"

# --no-abort: like the draft, wait for the alarm; the verdict stays deadlock.
"${TE[@]}" -a 2 --no-abort --payload 300000 --json 127.0.0.1 >"$TMP/noabort.json"
is "$?:$(json "$TMP/noabort.json" '$d->{outcome}'):$(json "$TMP/noabort.json" '$d->{ended_by}')" \
	"3:deadlock:alarm" "--no-abort -a 2: deadlock recorded, ended by the alarm"
perl -e 'exit !($ARGV[0] >= 1.9)' "$(json "$TMP/noabort.json" '$d->{elapsed_s}')"
ok $? "--no-abort waited for the alarm"

# The alarm alone: a server that never reads, no deadlock (our receive side is empty).
start_echod ST --mode stall
"$BIN/tcpecho" -p "$ST_PORT" -a 1 --payload 4M --json 127.0.0.1 >"$TMP/alarm.json"
is "$?:$(json "$TMP/alarm.json" '$d->{outcome}')" "4:alarm" "receiver that never reads: alarm, exit 4"
is "$(json "$TMP/alarm.json" '$d->{deadlock}')" null "...and no deadlock verdict (only one side is blocked)"
perl -e 'exit !($ARGV[0] >= 1)' "$(json "$TMP/alarm.json" '$d->{stall}{count}')"
ok $? "...but a stall is recorded"

stop_pid "$S_PID"
is "$?" 0 "echod SIGTERM: exit 0"
grep -q '"final":true' "$TMP/S.out"
ok $? "echod wrote its final statistics"
perl -e 'exit !($ARGV[0] >= 1)' "$(grep '"final":true' "$TMP/S.out" | perl -MJSON::PP -ne 'print JSON::PP->new->decode($_)->{deadlocks_detected}')"
ok $? "echod --monitor saw the probe deadlock from the server side"
done_testing
