#!/usr/bin/env bash
# verdict-wire.sh [RUNS]: the deadlock verdict against the wire, RUNS times
# (default 50): the draft's blocking client with 120000 bytes against echod
# blocking (app buffer 8192), 16384-byte buffers at both ends, on loopback,
# each run captured. For every run: a deadlock verdict must have a capture in
# which no payload byte moves after the verdict and the RST follows within one
# sample interval (50 ms); a run whose bytes all came back must be completed.
# Prints one line per run and a summary; exit 0 when every run holds.
# Needs root (the capture) and tshark (tests/proc/wire-check.pl reads with it).
# Takes about a second per run; not part of `make test` (tests/proc/23-verdict.t
# runs a few of the same).
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../tests/proc/lib.sh"
RUNS=${1:-50}
INTERVAL=0.050

if [ "$(id -u)" -ne 0 ] || ! command -v tshark >/dev/null; then
	echo "verdict-wire: needs root (capture) and tshark" >&2
	exit 2
fi
start_echod S --mode blocking --app-buf 8192 --sndbuf 16384 --rcvbuf 16384
ndl=0 ndone=0 nother=0 bad=0 maxrst=0 maxbytes=0
for i in $(seq "$RUNS"); do
	"$BIN/probelock" capture lo "$TMP/r.pcap" --snaplen 128 --filter "tcp port $S_PORT" >"$TMP/cap.out" 2>&1 &
	cpid=$!
	track "$cpid"
	for _ in $(seq 100); do grep -q "^capturing on lo" "$TMP/cap.out" && break; sleep 0.05; done
	timeout 30 "$BIN/tcpecho" -p "$S_PORT" --sndbuf 16384 --rcvbuf 16384 -a 20 --payload 120000 --json \
		127.0.0.1 >"$TMP/r.json"
	rc=$?
	sleep 0.2 # the RST and the last ACKs reach the capture
	stop_pid "$cpid"
	out=$(json "$TMP/r.json" '$d->{outcome}')
	got=$(json "$TMP/r.json" '$d->{bytes_received}')
	wire=$(perl "$HERE/../tests/proc/wire-check.pl" "$TMP/r.pcap" "$TMP/r.json" 2>/dev/null)
	verdict="ok"
	case $out in
	deadlock)
		ndl=$((ndl + 1))
		rst=$(sed -n 's/.* rst_after=\([^ ]*\).*/\1/p' <<<"$wire")
		nd=$(sed -n 's/.* new_data_after=\([0-9]*\).*/\1/p' <<<"$wire")
		ak=$(sed -n 's/.* acked_after=\([0-9]*\).*/\1/p' <<<"$wire")
		if [ "$rst" = none ] || perl -e 'exit !($ARGV[0] > $ARGV[1] || $ARGV[0] < 0)' "$rst" "$INTERVAL"; then
			verdict="BAD: RST not within $INTERVAL s of the verdict"
		elif [ "$nd" != 0 ] || [ "$ak" != 0 ]; then
			verdict="BAD: bytes moved after the verdict"
		fi
		[ "$rst" != none ] && perl -e 'exit !($ARGV[0] > $ARGV[1])' "$rst" "$maxrst" && maxrst=$rst
		[ -n "$nd" ] && [ $((nd + ak)) -gt "$maxbytes" ] && maxbytes=$((nd + ak))
		[ "$got" = 120000 ] && verdict="BAD: every byte echoed, yet deadlock"
		;;
	completed) ndone=$((ndone + 1)) ;;
	*) nother=$((nother + 1)); verdict="BAD: outcome $out (exit $rc)" ;;
	esac
	[ "$got" = 120000 ] && [ "$out" != completed ] && verdict="BAD: every byte echoed, outcome $out"
	[ "$verdict" = ok ] || bad=$((bad + 1))
	printf 'run %2d: exit %s %-9s received %6s  %s  %s\n' "$i" "$rc" "$out" "$got" "$wire" "$verdict"
done
echo "verdict-wire: $RUNS runs: $ndl deadlock, $ndone completed, $nother other; longest verdict-to-RST ${maxrst} s;" \
	"bytes moved after a verdict at most $maxbytes; $bad runs broke a rule"
[ "$bad" -eq 0 ]
