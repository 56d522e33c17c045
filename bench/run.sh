#!/usr/bin/env bash
# bench/run.sh: probelock's benchmarks, each row probelock's figure beside a
# peer's and their ratio (absolute times on shared machines are noisy; ratios
# measured in the same run are not). Prints a table, writes bench/last.json.
# Run by `make bench`, as root (captures need CAP_NET_RAW). Traffic stays on
# 127.0.0.1; everything started is stopped by PID.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${PROBELOCK_BIN:-$HERE/../build/bin}
MAXRSS=${MAXRSS:-$HERE/../build/bench/maxrss}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/probelock-bench.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
ROWS=()

row() { # row NAME OURS PEER RATIO GOAL MET NOTE
	ROWS+=("$(printf '{"row":"%s","probelock":"%s","peer":"%s","ratio":%s,"goal":"%s","met":%s,"note":"%s"}' "$@")")
	printf '%-44s %16s %16s %8s  %-10s %s\n' "$1" "$2" "$3" "$4" "$5" "$([ "$6" = true ] && echo met || echo "MISSED: $7")"
}

# measure CMD...: runs it, sets WALL, RSS (KiB), RC
measure() {
	local m
	m=$("$MAXRSS" "$@" 2>&1 >/dev/null | tail -1)
	read -r WALL RSS RC <<<"$m"
}

start_echod() { # start_echod ARGS...: sets EP, EPORT
	"$BIN/echod" --port 0 "$@" >"$TMP/echod.out" 2>&1 &
	EP=$!
	PIDS+=("$EP")
	for _ in $(seq 100); do EPORT=$(awk '/^listening on /{print $4}' "$TMP/echod.out"); [ -n "$EPORT" ] && return; sleep 0.05; done
	echo "bench: echod did not start: $(cat "$TMP/echod.out")" >&2
	exit 1
}

bench_analyzer() {
	local pcap="$TMP/big.pcap" cap packets
	if ! command -v tshark >/dev/null || [ "$(id -u)" -ne 0 ]; then
		echo "bench: analyzer row skipped: needs root and tshark" >&2
		return
	fi
	# A capture of real traffic: 16 clients echoing 1 MiB in 128-byte chunks
	# (a segment, its echo and their ACKs per chunk: loopback passes whole
	# GSO super-segments, so bulk transfers give few packets) and one bulk
	# transfer; snaplen 128 as in the scenarios.
	start_echod --mode event
	"$BIN/probelock" capture lo "$pcap" --snaplen 128 --filter "tcp port $EPORT" >"$TMP/cap.out" 2>&1 &
	cap=$!
	PIDS+=("$cap")
	for _ in $(seq 100); do grep -q capturing "$TMP/cap.out" && break; sleep 0.05; done
	local clients=()
	for _ in $(seq 16); do
		"$BIN/tcpecho" -p "$EPORT" --mode chunked --chunk 128 --payload 1MiB -a 120 127.0.0.1 >/dev/null &
		clients+=($!)
	done
	"$BIN/tcpecho" -p "$EPORT" --mode nonblocking --payload 64MiB -a 120 127.0.0.1 >/dev/null
	wait "${clients[@]}"
	kill -TERM "$cap"
	wait "$cap"
	kill -TERM "$EP"
	wait "$EP" 2>/dev/null
	packets=$("$BIN/probelock" analyze --json "$pcap" | perl -MJSON::PP -e 'local $/; print decode_json(<>)->{packets}')
	measure "$BIN/probelock" analyze --json "$pcap"
	local ow=$WALL orss=$RSS
	"$BIN/probelock" analyze --json "$pcap" >"$TMP/ours.json"
	measure tshark -n -r "$pcap" -q -z expert
	local tw=$WALL trss=$RSS
	local diff
	diff=$(perl "$HERE/../tests/proc/tshark-counts.pl" "$pcap" 2>/dev/null | while read -r flag n; do
		ours=$(perl -MJSON::PP -e 'local $/; open my $f, "<", $ARGV[0]; print decode_json(<$f>)->{flags_total}{$ARGV[1]}' "$TMP/ours.json" "$flag")
		[ "$ours" = "$n" ] || echo -n "$flag ours=$ours tshark=$n; "
	done)
	local ratio met
	ratio=$(perl -e 'printf "%.1f", $ARGV[1] / ($ARGV[0] > 0 ? $ARGV[0] : 0.001)' "$ow" "$tw")
	met=$(perl -e 'print $ARGV[0] >= 20 && $ARGV[1] eq "" ? "true" : "false"' "$ratio" "$diff")
	row "analyzer vs tshark -z expert, $packets pkts" "${ow}s ${orss}KiB" "${tw}s ${trss}KiB" "$ratio" ">=20x" "$met" \
		"${diff:+counts differ: $diff}$(perl -e 'print $ARGV[0] < 20 ? " ratio below 20" : ""' "$ratio")"
	[ -z "$diff" ] && echo "  (every flag count equal to tshark's on $packets packets)"
}

printf '%-44s %16s %16s %8s  %-10s %s\n' "row" "probelock" "peer" "ratio" "goal" "verdict"
bench_analyzer
{
	printf '{"date":"%s","kernel":"%s","rows":[' "$(date -u +%FT%TZ)" "$(uname -r)"
	(IFS=,; printf '%s' "${ROWS[*]}")
	printf ']}\n'
} >"$HERE/last.json"
echo "written to bench/last.json"
