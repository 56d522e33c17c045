#!/usr/bin/env bash
# Bad input: every invalid option value exits 2 naming the option and the
# value; a refused or unreachable address exits 1 with "connect HOST:PORT:
# cause"; nothing hangs (every command runs under a 10 s timeout).
. "$(dirname "$0")/lib.sh"

# usage WANT-IN-STDERR PROGRAM ARGS...: exit 2, message names option and value.
usage() {
	local want=$1 prog=$2
	shift 2
	timeout 10 "$BIN/$prog" "$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	if [ $rc -eq 2 ] && grep -qF -- "$want" "$TMP/err" && [ ! -s "$TMP/out" ]; then
		ok 0 "$prog $*: exit 2, says \"$want\""
	else
		ok 1 "$prog $*: exit 2, says \"$want\""
		diag "exit $rc, stderr: $(cat "$TMP/err")"
	fi
}

CASES=28
plan $((CASES + 7 + 3))

usage "--payload '-5': negative values are not allowed" tcpecho --payload -5 127.0.0.1
usage "--payload '16Q': unknown size unit 'Q'" tcpecho --payload 16Q 127.0.0.1
usage "--payload '1.5.5'" tcpecho --payload 1.5.5 127.0.0.1
usage "--payload '99999999999999999999999'" tcpecho --payload 99999999999999999999999 127.0.0.1
usage "--sndbuf '-16384'" tcpecho --sndbuf -16384 127.0.0.1 A
usage "--rcvbuf '2G': out of range" tcpecho --rcvbuf 2G 127.0.0.1 A
usage "--port '70000': out of range" tcpecho --port 70000 127.0.0.1 A
usage "--port 'seven'" tcpecho --port seven 127.0.0.1 A
usage "--mode 'turbo': unknown mode" tcpecho --mode turbo 127.0.0.1 A
usage "--chunk '64 KiB': larger than the payload" tcpecho --mode chunked --chunk 64K --payload 1000 127.0.0.1
usage "missing host" tcpecho -n 1 -a 120 -m 60000
usage "-a 'never'" tcpecho -a never 127.0.0.1 A
usage "-n '-1'" tcpecho -n -1 127.0.0.1 A
usage "--stall-threshold '0'" tcpecho --stall-threshold 0 127.0.0.1 A
usage "--keepalive '5s,1s,0'" tcpecho --keepalive 5s,1s,0 127.0.0.1 A
usage "unknown option '--colour'" tcpecho --colour 127.0.0.1 A
usage "--port '70000': out of range" echod --port 70000
usage "--mode 'fast': unknown mode" echod --mode fast
usage "--app-buf '8Q'" echod --app-buf 8Q
usage "--sndbuf '-1'" echod --sndbuf -1
usage "--max-conns '0'" echod --max-conns 0
usage "--idle-timeout 'soon'" echod --idle-timeout soon
usage "--rate applies to --mode slow only" echod --rate 10K
usage "--threads '0'" echod --threads 0
usage "--threads '300'" echod --threads 300
usage "unexpected argument 'extra'" echod extra
usage "probelock keys: takes no arguments" probelock keys extra
usage "usage: probelock validate SCENARIO.yaml" probelock validate

# --help of the scenario subcommands: usage on stdout, exit 0.
for sub in validate list keys; do
	timeout 10 "$BIN/probelock" "$sub" --help >"$TMP/out" 2>"$TMP/err"
	is "$?:$(grep -c "^usage: probelock $sub" "$TMP/out"):$(wc -c <"$TMP/err")" "0:1:0" "probelock $sub --help: usage on stdout, exit 0"
done

# A refused address: a port that was just free.
start_echod S --mode event
PORT=$S_PORT
stop_pid "$S_PID"
timeout 10 "$BIN/tcpecho" -p "$PORT" --payload 1K 127.0.0.1 >"$TMP/out" 2>"$TMP/err"
is "$?" 1 "refused: exit 1"
is "$(cat "$TMP/err")" "tcpecho: connect 127.0.0.1:$PORT: Connection refused" "refused: the message names the address and the cause"
timeout 10 "$BIN/tcpecho" -p "$PORT" --payload 1K ::1 >"$TMP/out" 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "1:tcpecho: connect [::1]:$PORT: Connection refused" "refused on ::1: exit 1, names [::1]:$PORT"

# An unreachable address: inside a namespace of our own whose loopback is down.
if [ "$(id -u)" -eq 0 ] && ip netns add "plk-t05-$$" 2>/dev/null; then
	track_netns "plk-t05-$$"
	timeout 10 ip netns exec "plk-t05-$$" "$BIN/tcpecho" -p 7 --payload 1K 127.0.0.1 >"$TMP/out" 2>"$TMP/err"
	is "$?:$(cat "$TMP/err")" "1:tcpecho: connect 127.0.0.1:7: Network is unreachable" \
		"unreachable (namespace with loopback down): exit 1, names the address and cause"
else
	echo "ok $((_n += 1)) # skip needs root to create a network namespace"
fi

# echod: a port in use, an address that is not ours.
start_echod B --mode event
timeout 10 "$BIN/echod" --port "$B_PORT" >"$TMP/out" 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "1:echod: bind 127.0.0.1:$B_PORT: Address already in use" "echod: port in use: exit 1, names it"
timeout 10 "$BIN/echod" --bind 198.18.0.1 --port 0 >"$TMP/out" 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "1:echod: bind 198.18.0.1:0: Cannot assign requested address" "echod: foreign address: exit 1, names it"

# Timeline file that cannot be written: error before any traffic.
timeout 10 "$BIN/tcpecho" -p "$B_PORT" --payload 1K --timeline /nonexistent/dir/t.csv 127.0.0.1 >"$TMP/out" 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "1:tcpecho: timeline /nonexistent/dir/t.csv: No such file or directory" "unwritable --timeline: exit 1, names the file"
done_testing
