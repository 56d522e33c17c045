#!/usr/bin/env bash
# Captures on loopback of a probe deadlock, a receiver that stops reading and
# resumes, a completed transfer and a connection aborted by RST: the analysis
# flag counts equal tshark's expert counts, and the stall causes are right.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" -ne 0 ] || ! command -v tshark >/dev/null; then
	echo "1..0 # skip needs root (CAP_NET_RAW) and tshark"
	exit 0
fi
plan 21

# capture NAME PORT CMD...: captures lo for the test's port while CMD runs.
capture() {
	local name=$1 port=$2
	shift 2
	"$BIN/probelock" capture lo "$TMP/$name.pcap" --snaplen 128 --filter "tcp port $port" \
		>"$TMP/$name.cap" 2>&1 &
	local cpid=$!
	track "$cpid"
	for i in $(seq 100); do grep -q "^capturing on lo" "$TMP/$name.cap" && break; sleep 0.05; done
	"$@" >"$TMP/$name.run" 2>&1
	sleep 0.3 # the last ACKs
	stop_pid "$cpid"
}

# compare NAME: every flag count of the analysis equals tshark's.
compare() {
	"$BIN/probelock" analyze --json "$TMP/$1.pcap" >"$TMP/$1.json"
	perl "$HERE/tshark-counts.pl" "$TMP/$1.pcap" 2>/dev/null >"$TMP/$1.tshark"
	local diff
	diff=$(while read -r flag n; do
		ours=$(json "$TMP/$1.json" "\$d->{flags_total}{$flag}")
		[ "$ours" = "$n" ] || echo "$flag ours=$ours tshark=$n"
	done <"$TMP/$1.tshark")
	is "$diff" "" "$1: every flag count equals tshark's ($(awk '$2 > 0 {printf "%s=%s ", $1, $2}' "$TMP/$1.tshark"))"
}
causes() { json "$TMP/$1.json" 'join ",", map { my $c = $_; map { $_->{cause} } @{$c->{stalls}} } @{$d->{connections}}'; }

# 1. The draft's deadlock, kept for 3 s (--no-abort) so probes back off.
start_echod D --mode blocking --app-buf 8192 --sndbuf 16384 --rcvbuf 16384
capture deadlock "$D_PORT" "$BIN/tcpecho" -p "$D_PORT" --sndbuf 16384 --rcvbuf 16384 --payload 300000 \
	--no-abort -a 3 127.0.0.1
grep -q "packets written" "$TMP/deadlock.cap"
ok $? "capture reports packets written and kernel drops"
compare deadlock
is "$(causes deadlock)" probe_deadlock "deadlock: one stall, probe_deadlock"
is "$(json "$TMP/deadlock.json" '$d->{connections}[0]{stalls}[0]{ended_by}')" rst "deadlock: ended by the client's RST (alarm)"
perl -e 'exit !($ARGV[0] >= 2 && $ARGV[1] >= 2)' \
	"$(json "$TMP/deadlock.json" '$d->{connections}[0]{stalls}[0]{probes}{a_to_b}')" \
	"$(json "$TMP/deadlock.json" '$d->{connections}[0]{stalls}[0]{probes}{b_to_a}')"
ok $? "deadlock: probes both ways"
perl -e 'my @b = split /,/, $ARGV[0]; exit !(@b >= 2 && $b[1] > $b[0] * 1.5)' \
	"$(json "$TMP/deadlock.json" 'join ",", @{$d->{connections}[0]{stalls}[0]{backoff_s}{a_to_b}}')"
ok $? "deadlock: probe intervals back off ($(json "$TMP/deadlock.json" 'join " ", map { sprintf "%.2f", $_ } @{$d->{connections}[0]{stalls}[0]{backoff_s}{a_to_b}}') s)"
"$BIN/probelock" analyze --excerpt "$TMP/deadlock.pcap" >"$TMP/deadlock.txt"
grep -q "keep_alive" "$TMP/deadlock.txt" && grep -q "^> " "$TMP/deadlock.txt" && grep -Eq "ack [0-9]+ win 0" "$TMP/deadlock.txt"
ok $? "deadlock: --excerpt lists the onset (>) and the probes, tcpdump style"

# 2. A receiver that stops reading for 1.5 s, then resumes.
start_echod R --mode stall --stall-for 1500ms --rcvbuf 16384
capture stall "$R_PORT" "$BIN/tcpecho" -p "$R_PORT" --rcvbuf 256K --payload 1M -a 20 127.0.0.1
grep -q "completed" "$TMP/stall.run"
ok $? "stall: the transfer completes after the receiver resumes"
compare stall
is "$(causes stall)" receiver_stall "stall: one stall, receiver_stall"
is "$(json "$TMP/stall.json" '$d->{connections}[0]{stalls}[0]{ended_by}')" progress "stall: ended by progress"

# 3. A completed transfer.
start_echod E --mode event
capture done "$E_PORT" "$BIN/tcpecho" -p "$E_PORT" --mode nonblocking --payload 4M -a 20 127.0.0.1
compare done
is "$(causes done)" "" "completed transfer: no stall"
is "$(json "$TMP/done.json" '$d->{connections}[0]{client}')" a "completed transfer: the client is the SYN's sender"

# 4. A connection aborted by RST mid-echo.
start_bad rst 30000
capture rst "$BAD_PORT" "$BIN/tcpecho" -p "$BAD_PORT" --payload 100000 -a 10 127.0.0.1
compare rst
is "$(causes rst)" abort "RST: abort"
is "$(json "$TMP/rst.json" '$d->{connections}[0]{reset}')" true "RST: the connection is marked reset"

# 5. Plots: a PNG per connection.
"$BIN/probelock" analyze --plot "$TMP/plots" "$TMP/deadlock.pcap" >/dev/null
ok $? "--plot runs gnuplot"
head -c 8 "$TMP/plots/conn-0.png" | od -An -tx1 | grep -q "89 50 4e 47 0d 0a 1a 0a"
ok $? "--plot wrote conn-0.png, a PNG"
grep -q "window edge" "$TMP/plots/conn-0.gp" && [ -s "$TMP/plots/conn-0-a.dat" ] && [ -s "$TMP/plots/conn-0-b.dat" ]
ok $? "--plot keeps the gnuplot script and data to restyle"

# 6. The same capture in pcapng gives the same counts.
if command -v editcap >/dev/null; then
	editcap -F pcapng "$TMP/deadlock.pcap" "$TMP/deadlock.pcapng"
	"$BIN/probelock" analyze --json "$TMP/deadlock.pcapng" >"$TMP/ng.json"
	is "$(json "$TMP/ng.json" '$d->{flags_total}{zero_window} . "/" . $d->{flags_total}{keep_alive}')" \
		"$(json "$TMP/deadlock.json" '$d->{flags_total}{zero_window} . "/" . $d->{flags_total}{keep_alive}')" \
		"pcapng: the same counts as pcap"
else
	echo "ok $((_n += 1)) # skip editcap missing"
fi
done_testing
