#!/usr/bin/env bash
# The draft's own server: openbsd-inetd's built-in echo ("echo stream tcp
# nowait root internal"), a peer this project did not write, with tcpecho in
# every mode and both ends' default buffers. inetd runs in the foreground (-d)
# in a namespace of the test's own with only its loopback up, so its port 7 is
# the namespace's, never the machine's, and the built-in service keeps its
# official name as inetd(8) wants. The blocking client deadlocks between 4 MiB
# and 16 MiB (the boundary lies near 7 MiB on Linux loopback); held for two
# probes each way (--hold 2), the capture says probe_deadlock, no byte moves
# after the verdict and the RST follows the abort at once; every other mode
# completes. Chunked mode uses 4096-byte chunks, inetd's own echo buffer: with
# 8192 (tcpecho's default) inetd answers each chunk with two writes and the
# second waits for the client's delayed ACK (Nagle), 40 ms a chunk.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ] || ! command -v inetd >/dev/null; then
	echo "1..0 # skip needs root (a namespace) and openbsd-inetd (scripts/deps.sh)"
	exit 0
fi
plan 12

NS="plk-t24-$$"
ip netns add "$NS" && track_netns "$NS" && ip -n "$NS" link set lo up ||
	{ echo "Bail out! cannot create namespace $NS"; exit 1; }
printf '127.0.0.1:echo stream tcp nowait root internal\n' >"$TMP/inetd.conf"
# setsid: inetd and the children it forks per connection form a group of their
# own, stopped as one on exit (a child lives as long as its connection).
ip netns exec "$NS" setsid inetd -d "$TMP/inetd.conf" >"$TMP/inetd.log" 2>&1 &
INETD=$!
track "$INETD"
trap 'kill -TERM -- "-$INETD" 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do
	ip netns exec "$NS" perl -MIO::Socket::INET -e 'exit !IO::Socket::INET->new("127.0.0.1:7")' 2>/dev/null && break
	sleep 0.05
done
grep -q "ADD: 127.0.0.1:echo" "$TMP/inetd.log"
ok $? "inetd -d serves its built-in echo on 127.0.0.1:7 of namespace $NS"

TE() { ip netns exec "$NS" timeout 60 "$BIN/tcpecho" "$@" 127.0.0.1; }

# The draft's command line, unchanged: port 7 is tcpecho's default.
ip netns exec "$NS" timeout 60 "$BIN/tcpecho" -n 1 -a 20 -m 60000 127.0.0.1 A >"$TMP/draft.txt" 2>&1
ok $? "the draft's command line (-n 1 -a 20 -m 60000 host A) against inetd: completed"

TE -a 20 --payload 4M --json >"$TMP/4m.json"
is "$?:$(json "$TMP/4m.json" '$d->{outcome}'):$(json "$TMP/4m.json" '$d->{bytes_received}')" "0:completed:4194304" \
	"blocking, 4 MiB, default buffers: completed, every byte verified"

"$BIN/probelock" capture lo "$TMP/16m.pcap" --netns "$NS" --snaplen 128 --filter "tcp port 7" >"$TMP/cap.out" 2>&1 &
CAP=$!
track "$CAP"
for _ in $(seq 100); do grep -q "^capturing on lo" "$TMP/cap.out" && break; sleep 0.05; done
TE -a 20 --payload 16M --hold 2 --json >"$TMP/16m.json"
rc=$?
sleep 0.3
stop_pid "$CAP"
is "$rc:$(json "$TMP/16m.json" '$d->{outcome}'):$(json "$TMP/16m.json" '$d->{ended_by}')" "3:deadlock:detector" \
	"blocking, 16 MiB, default buffers, --hold 2: probe deadlock, detected, exit 3"
"$BIN/probelock" analyze --json "$TMP/16m.pcap" >"$TMP/16m.an.json"
is "$(json "$TMP/16m.an.json" 'join ",", map { $_->{cause} } @{$d->{connections}[0]{stalls}}')" probe_deadlock \
	"16 MiB: the capture's analysis says probe_deadlock"
wire=$(perl "$HERE/wire-check.pl" "$TMP/16m.pcap" "$TMP/16m.json" 2>/dev/null)
diag "16 MiB on the wire: $wire"
echo "$wire" | perl -ne 'exit !(/rst_after_abort=([\d.]+)/ && $1 <= 0.05 && / new_data_after=0 acked_after=0/)'
ok $? "16 MiB: no byte moves after the verdict, the RST follows the abort within one sample interval"
st='$d->{connections}[0]{stalls}[0]{probes}'
dirs=$(json "$TMP/16m.an.json" '$d->{connections}[0]{client} eq "a" ? "a_to_b b_to_a" : "b_to_a a_to_b"')
read -r cdir sdir <<<"$dirs"
perl -e 'exit !($ARGV[0] >= 2 && $ARGV[1] >= 2 && abs($ARGV[0] - $ARGV[2]) <= 1 && abs($ARGV[1] - $ARGV[3]) <= 1)' \
	"$(json "$TMP/16m.json" '$d->{deadlock}{probes}{sent}')" "$(json "$TMP/16m.json" '$d->{deadlock}{probes}{received}')" \
	"$(json "$TMP/16m.an.json" "${st}{$cdir}")" "$(json "$TMP/16m.an.json" "${st}{$sdir}")"
ok $? "16 MiB: the client's probe counts (sent $(json "$TMP/16m.json" '$d->{deadlock}{probes}{sent}'), received $(json "$TMP/16m.json" '$d->{deadlock}{probes}{received}')) are the capture's ($(json "$TMP/16m.an.json" "${st}{$cdir}"), $(json "$TMP/16m.an.json" "${st}{$sdir}"))"

for mode in nonblocking split aware; do
	TE -a 30 --mode "$mode" --payload 16M --json >"$TMP/$mode.json"
	is "$?:$(json "$TMP/$mode.json" '$d->{outcome}'):$(json "$TMP/$mode.json" '$d->{verified}')" "0:completed:true" \
		"$mode, 16 MiB: completed, verified"
done
TE -a 30 --mode chunked --chunk 4096 --payload 16M --json >"$TMP/chunked.json"
is "$?:$(json "$TMP/chunked.json" '$d->{outcome}'):$(json "$TMP/chunked.json" '$d->{verified}')" "0:completed:true" \
	"chunked (4096-byte chunks), 16 MiB: completed, verified"

# inetd's children end with their connections (the RST); the group goes on exit.
sleep 0.3
is "$(pgrep -g "$INETD" | grep -vx "$INETD" | wc -l)" 0 "no inetd child left behind by the aborted connection"
done_testing
