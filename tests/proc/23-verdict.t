#!/usr/bin/env bash
# The verdict agrees with the wire. The draft's client ends a deadlock with
# SO_LINGER 0 and close(): one RST, nothing else moves. tcpecho's verdict must
# be as clean: from the verdict on no byte is read or sent, the RST follows
# within one sample interval (measured on the capture, tests/proc/wire-check.pl),
# and a run whose every byte was echoed and verified is completed, never
# deadlock. The same for the alarm. --hold keeps a detected deadlock open for
# the probes of both sides before the abort, and deadlock.probes counts them as
# the capture does. Stall time starts with the first byte offered and never
# exceeds the elapsed time. SIGINT/SIGTERM still write the result document and
# the timeline (outcome interrupted, exit 130), and the runner keeps them for a
# timed-out cell. bench/verdict-wire.sh runs the first check 50 times.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
CAPTURE=0
[ "$(id -u)" -eq 0 ] && command -v tshark >/dev/null && CAPTURE=1
RUNS=8
plan 25

# capture NAME PORT CMD...: CMD (its stdout in NAME.json) while lo is captured for PORT.
capture() {
	local name=$1 port=$2 cpid
	shift 2
	if [ "$CAPTURE" = 1 ]; then
		"$BIN/probelock" capture lo "$TMP/$name.pcap" --snaplen 128 --filter "tcp port $port" >"$TMP/$name.cap" 2>&1 &
		cpid=$!
		track "$cpid"
		for _ in $(seq 100); do grep -q "^capturing on lo" "$TMP/$name.cap" && break; sleep 0.05; done
	fi
	"$@" >"$TMP/$name.json"
	RC=$?
	if [ "$CAPTURE" = 1 ]; then
		sleep 0.2 # the RST and the last ACKs
		stop_pid "$cpid"
		WIRE=$(perl "$HERE/wire-check.pl" "$TMP/$name.pcap" "$TMP/$name.json" 2>/dev/null)
	fi
}
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$WIRE"; }
skip_wire() { echo "ok $((_n += 1)) # skip the capture needs root and tshark"; }
within50() { perl -e 'exit !($ARGV[0] =~ /^\d+(\.\d+)?$/ && $ARGV[0] <= 0.05)' "$1"; } # 0 <= $1 <= 50 ms
stall_ok() { # stall_ok JSON: stall.total_s <= elapsed_s
	perl -e 'exit !($ARGV[0] <= $ARGV[1] + 1e-6)' "$(json "$1" '$d->{stall}{total_s}')" "$(json "$1" '$d->{elapsed_s}')"
}

BUFS=(--sndbuf 16384 --rcvbuf 16384)
start_echod S --mode blocking --app-buf 8192 "${BUFS[@]}"
TE=("$BIN/tcpecho" -p "$S_PORT" "${BUFS[@]}")

# 1. The issue's case: 120000 bytes, deadlock or completion, RUNS times.
bad="" ndl=0 ndone=0 maxrst=0 stall_bad=""
for i in $(seq "$RUNS"); do
	capture r$i "$S_PORT" timeout 30 "${TE[@]}" -a 20 --payload 120000 --json 127.0.0.1
	out=$(json "$TMP/r$i.json" '$d->{outcome}')
	got=$(json "$TMP/r$i.json" '$d->{bytes_received}')
	stall_ok "$TMP/r$i.json" || stall_bad="$stall_bad $i"
	case $out in
	deadlock)
		ndl=$((ndl + 1))
		[ "$got" = 120000 ] && bad="$bad $i:every-byte-echoed"
		if [ "$CAPTURE" = 1 ]; then
			rst=$(field rst_after)
			within50 "$rst" || bad="$bad $i:rst-after-${rst:-none}"
			[ "$(field new_data_after):$(field acked_after)" = 0:0 ] || bad="$bad $i:bytes-after($WIRE)"
			perl -e 'exit !($ARGV[0] > $ARGV[1])' "${rst/none/0}" "$maxrst" && maxrst=$rst
		fi
		;;
	completed) ndone=$((ndone + 1)) ;;
	*) bad="$bad $i:$out" ;;
	esac
done
diag "120000 bytes x $RUNS: $ndl deadlock, $ndone completed; longest verdict-to-RST on the wire ${maxrst} s"
is "$bad" "" "120000 bytes x $RUNS: every deadlock verdict is followed by the RST within 50 ms and no byte; every full echo is completed"
ok $([ $((ndl + ndone)) -eq "$RUNS" ] && [ "$ndl" -ge 1 ]; echo $?) "...each run completed or deadlocked, and the deadlock happened"
is "$stall_bad" "" "...stall.total_s never exceeds elapsed_s"
is "$(json "$TMP/r1.json" '$d->{abort} ? $d->{abort}{by} . "/" . $d->{abort}{rst} : "none"')" \
	"$([ "$(json "$TMP/r1.json" '$d->{outcome}')" = deadlock ] && echo "detector/at once" || echo none)" \
	"the document says who aborted and that the RST went out at once"

# 2. deadlock.probes: both ways, as the capture counts them; --hold 2 keeps the
# deadlock until each side sent two.
capture hold "$S_PORT" timeout 30 "${TE[@]}" -a 20 --payload 300000 --hold 2 --json 127.0.0.1
is "$RC:$(json "$TMP/hold.json" '$d->{outcome}'):$(json "$TMP/hold.json" '$d->{ended_by}')" "3:deadlock:detector" \
	"--hold 2: deadlock, ended by the detector after the hold"
sent=$(json "$TMP/hold.json" '$d->{deadlock}{probes}{sent}')
rcvd=$(json "$TMP/hold.json" '$d->{deadlock}{probes}{received}')
ok $([ "$sent" -ge 2 ] && [ "$rcvd" -ge 2 ]; echo $?) "deadlock.probes: $sent sent, $rcvd received (at least 2 each way)"
perl -e 'exit !($ARGV[0] > $ARGV[1])' "$(json "$TMP/hold.json" '$d->{deadlock}{aborted_s}')" \
	"$(json "$TMP/hold.json" '$d->{deadlock}{detected_s}')"
ok $? "the abort came after the detection ($(json "$TMP/hold.json" '$d->{deadlock}{detected_s}') s -> $(json "$TMP/hold.json" '$d->{deadlock}{aborted_s}') s)"
if [ "$CAPTURE" = 1 ]; then
	"$BIN/probelock" analyze --json "$TMP/hold.pcap" >"$TMP/hold.an.json"
	is "$(json "$TMP/hold.an.json" 'join ",", map { $_->{cause} } @{$d->{connections}[0]{stalls}}')" probe_deadlock \
		"--hold 2: the capture says probe_deadlock"
	read -r cdir sdir < <(json "$TMP/hold.an.json" '$d->{connections}[0]{client} eq "a" ? "a_to_b b_to_a" : "b_to_a a_to_b"')
	wc=$(json "$TMP/hold.an.json" "\$d->{connections}[0]{stalls}[0]{probes}{$cdir}")
	ws=$(json "$TMP/hold.an.json" "\$d->{connections}[0]{stalls}[0]{probes}{$sdir}")
	perl -e 'exit !(abs($ARGV[0] - $ARGV[2]) <= 1 && abs($ARGV[1] - $ARGV[3]) <= 1)' "$sent" "$rcvd" "$wc" "$ws"
	ok $? "the client's probe counts ($sent, $rcvd) are the capture's ($wc from the client, $ws from the server)"
	ok $([ "$(field new_data_after):$(field acked_after)" = 0:0 ] &&
		within50 "$(field rst_after_abort)"; echo $?) \
		"--hold: no byte after the verdict, the RST within 50 ms of the abort ($WIRE)"
else
	skip_wire; skip_wire; skip_wire
fi

# 3. The alarm while bytes flow (a server reading 64 KiB/s): the same clean end.
start_echod SL --mode slow --rate 64K
capture alarm "$SL_PORT" timeout 30 "$BIN/tcpecho" -p "$SL_PORT" --mode nonblocking -a 1 --payload 1M --json 127.0.0.1
is "$RC:$(json "$TMP/alarm.json" '$d->{outcome}'):$(json "$TMP/alarm.json" '$d->{abort}{by}')" "4:alarm:alarm" \
	"alarm while the echo flows: exit 4, aborted by the alarm"
if [ "$CAPTURE" = 1 ]; then
	ok $([ "$(field new_data_after):$(field acked_after)" = 0:0 ] &&
		within50 "$(field rst_after)"; echo $?) \
		"alarm: RST within 50 ms, no byte after it ($WIRE)"
else
	skip_wire
fi
stall_ok "$TMP/alarm.json"
ok $? "alarm: stall.total_s <= elapsed_s"

# 4. Stall time starts with the first byte offered: filling a 512 MiB buffer
# (longer than a 200 ms threshold) is no stall; the deadlock after it is one.
start_echod E --mode event
timeout 60 "$BIN/tcpecho" -p "$E_PORT" --payload 512M --stall-threshold 200ms -a 20 --json \
	--timeline "$TMP/fill.csv" 127.0.0.1 >"$TMP/fill.json"
is "$?:$(json "$TMP/fill.json" '$d->{outcome}')" "3:deadlock" "512 MiB blocking against echod event: deadlock"
first=$(awk -F, 'NR > 1 && $4 > 1 { print $1; exit }' "$TMP/fill.csv")
is "$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "stalled") c = i; next } $4 <= 1 && $c == 1' \
	"$TMP/fill.csv" | wc -l)" 0 \
	"...no stall while the buffer fills (the first byte moved at $first s)"
perl -e 'exit !($ARGV[0] <= $ARGV[1] - $ARGV[2] + 0.05)' "$(json "$TMP/fill.json" '$d->{stall}{total_s}')" \
	"$(json "$TMP/fill.json" '$d->{elapsed_s}')" "$first"
ok $? "...stall time ($(json "$TMP/fill.json" '$d->{stall}{total_s}') s) only after the first byte, within elapsed_s ($(json "$TMP/fill.json" '$d->{elapsed_s}') s)"
timeout 60 "$BIN/tcpecho" -p "$E_PORT" --mode split --payload 1500M -a 30 --json 127.0.0.1 >"$TMP/big.json"
is "$?:$(json "$TMP/big.json" '$d->{outcome}'):$(json "$TMP/big.json" '$d->{stall}{count}'):$(json "$TMP/big.json" '$d->{stall}{total_s}')" \
	"0:completed:0:0" "1500M split: completed, no stall"

# 5. SIGINT and SIGTERM: the document and the timeline are written.
start_echod ST --mode stall
for sig in INT TERM; do
	capture sig$sig "$ST_PORT" bash -c 'exec "$0" "$@" & p=$!; sleep 1; kill -'"$sig"' $p; wait $p' \
		"$BIN/tcpecho" -p "$ST_PORT" --payload 4M -a 20 --json --timeline "$TMP/tl$sig.csv" 127.0.0.1
	is "$RC:$(json "$TMP/sig$sig.json" '$d->{outcome}'):$(json "$TMP/sig$sig.json" '$d->{ended_by}')" "130:interrupted:interrupt" \
		"SIG$sig: exit 130, outcome interrupted, the result document written"
	rows=$(($(wc -l <"$TMP/tl$sig.csv") - 1))
	ok $([ "$rows" -ge 15 ] && perl -F, -lane 'exit 1 if @F != 23; END { exit 1 if $. < 2 }' "$TMP/tl$sig.csv"; echo $?) \
		"SIG$sig: the timeline is flushed ($rows rows, last at $(tail -1 "$TMP/tl$sig.csv" | cut -d, -f1) s)"
done
if [ "$CAPTURE" = 1 ]; then
	within50 "$(field rst_after)"
	ok $? "SIGTERM: the RST within 50 ms of the abort ($WIRE)"
else
	skip_wire
fi
"$BIN/tcpecho" -p "$ST_PORT" --mode nonblocking --payload 4M -a 20 --json 127.0.0.1 >"$TMP/nb.json" &
p=$!
track "$p"
sleep 0.5
kill -TERM "$p"
wait "$p"
is "$?:$(json "$TMP/nb.json" '$d->{outcome}')" "130:interrupted" "SIGTERM, nonblocking mode: exit 130, outcome interrupted"

# 6. A cell stopped by its timeout keeps what tcpecho measured.
cat >"$TMP/to.yaml" <<EOF
name: timeout-keeps
target: { kind: loopback }
server: { mode: stall }
client: { mode: blocking, payload: 4M, alarm: 60s }
capture: { enabled: false }
timeout: 2s
EOF
"$BIN/probelock" run "$TMP/to.yaml" -o "$TMP/to" >"$TMP/to.out" 2>&1
rec="$(readlink -f "$TMP/to/latest")/cells.jsonl"
tail -1 "$rec" >"$TMP/to.rec.json"
is "$(json "$TMP/to.rec.json" '$d->{verdict} . ":" . ($d->{bytes_sent} > 0 ? "measured" : "lost") . ":" . ($d->{detail} =~ /tcpecho: interrupted after/ ? "said" : "silent")')" \
	"error:measured:said" "timed-out cell: still an error, but its record keeps tcpecho's figures and says so"
is "$(json "$TMP/to.rec.json" '$d->{exit_code}')" 130 "...and tcpecho's exit status on the stop (130), not 0"
done_testing
