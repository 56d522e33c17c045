#!/usr/bin/env bash
# The emulated embedded target: lwip-echod on a TAP (MTU 576) in a namespace
# of the test's own, the client on the Linux side of the TAP. The draft's
# blocking client deadlocks against lwIP, the other modes complete; the
# capture shows lwIP's 1-byte zero window probes (zero_window_probe) and
# Linux's (keep_alive + zero_window), counted as tshark counts them; and
# lwip-echod's errors without root, without the TAP, without /dev/net/tun.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ] || [ ! -e /dev/net/tun ]; then
	echo "1..0 # skip needs root and /dev/net/tun"
	exit 0
fi
plan 24

NS="plk-t13-$$" TAP="plk$$t"
tap_netns "$NS" "$TAP" || { echo "Bail out! cannot create namespace $NS with TAP $TAP"; exit 1; }
ip netns exec "$NS" "$BIN/lwip-echod" --tap "$TAP" >"$TMP/lw.out" 2>"$TMP/lw.err" &
LW=$!
track "$LW"
for _ in $(seq 100); do grep -q '^listening on 198.18.0.2 7' "$TMP/lw.out" && break; sleep 0.05; done
grep -q '^listening on 198.18.0.2 7' "$TMP/lw.out"
ok $? "lwip-echod is up on TAP $TAP in $NS (readiness line)"

TE() { ip netns exec "$NS" timeout 60 "$BIN/tcpecho" -p 7 --sndbuf 16384 --rcvbuf 16384 "$@" 198.18.0.2; }
TE -a 10 --payload 60000 --json >"$TMP/small.json"
is "$?:$(json "$TMP/small.json" '$d->{outcome}'):$(json "$TMP/small.json" '$d->{verified}')" "0:completed:true" \
	"60000 bytes against lwIP: completed, verified"

"$BIN/probelock" capture "$TAP" "$TMP/lw.pcap" --netns "$NS" --snaplen 128 --filter "tcp port 7" >"$TMP/cap.out" 2>&1 &
CAP=$!
track "$CAP"
for _ in $(seq 100); do grep -q capturing "$TMP/cap.out" && break; sleep 0.05; done
TE -a 6 --no-abort --payload 300000 --json >"$TMP/big.json"
is "$?:$(json "$TMP/big.json" '$d->{outcome}')" "3:deadlock" "300000 bytes, blocking: probe deadlock against lwIP"
sleep 0.3
stop_pid "$CAP"
"$BIN/probelock" analyze --json "$TMP/lw.pcap" >"$TMP/lw.json"
is "$(json "$TMP/lw.json" 'join ",", map { $_->{cause} } @{$d->{connections}[0]{stalls}}')" probe_deadlock \
	"the capture on the TAP: a probe_deadlock"
lwdir=$(json "$TMP/lw.json" '$d->{connections}[0]{client} eq "a" ? "b_to_a" : "a_to_b"')
lxdir=$(json "$TMP/lw.json" '$d->{connections}[0]{client} eq "a" ? "a_to_b" : "b_to_a"')
perl -e 'exit !($ARGV[0] >= 1)' "$(json "$TMP/lw.json" "\$d->{connections}[0]{directions}{$lwdir}{flags}{zero_window_probe}")"
ok $? "lwIP's 1-byte probes are zero_window_probe ($(json "$TMP/lw.json" "\$d->{connections}[0]{directions}{$lwdir}{flags}{zero_window_probe}"))"
perl -e 'exit !($ARGV[0] >= 1 && $ARGV[1] >= 1)' \
	"$(json "$TMP/lw.json" "\$d->{connections}[0]{directions}{$lxdir}{flags}{keep_alive}")" \
	"$(json "$TMP/lw.json" "\$d->{connections}[0]{directions}{$lxdir}{flags}{zero_window}")"
ok $? "Linux's probes are keep_alive, its windows zero_window"
if command -v tshark >/dev/null; then
	diff=$(perl "$HERE/tshark-counts.pl" "$TMP/lw.pcap" 2>/dev/null | while read -r flag n; do
		ours=$(json "$TMP/lw.json" "\$d->{flags_total}{$flag}"); [ "$ours" = "$n" ] || echo "$flag ours=$ours tshark=$n"; done)
	is "$diff" "" "every flag count equals tshark's ($(awk '$2 > 0 {printf "%s=%s ", $1, $2}' < <(perl "$HERE/tshark-counts.pl" "$TMP/lw.pcap" 2>/dev/null)))"
else
	echo "ok $((_n += 1)) # skip tshark missing"
fi

# The default abort, held until lwIP's first probe (--hold 1): without the hold
# the client aborts 0.5 s after the onset, before lwIP probes (1.5 s), and the
# wire shows no probe from the board. With it: probe_deadlock, lwIP's 1-byte
# probe in the excerpt, counted by the client too, and the RST at once after.
"$BIN/probelock" capture "$TAP" "$TMP/hold.pcap" --netns "$NS" --snaplen 128 --filter "tcp port 7" >"$TMP/cap2.out" 2>&1 &
CAP=$!
track "$CAP"
for _ in $(seq 100); do grep -q capturing "$TMP/cap2.out" && break; sleep 0.05; done
TE -a 20 --hold 1 --payload 300000 --json >"$TMP/hold.json"
is "$?:$(json "$TMP/hold.json" '$d->{outcome}'):$(json "$TMP/hold.json" '$d->{ended_by}')" "3:deadlock:detector" \
	"--hold 1 against lwIP: deadlock, aborted by the detector after the hold"
sleep 0.3
stop_pid "$CAP"
"$BIN/probelock" analyze --json "$TMP/hold.pcap" >"$TMP/hold.an.json"
is "$(json "$TMP/hold.an.json" 'join ",", map { $_->{cause} } @{$d->{connections}[0]{stalls}}')" probe_deadlock \
	"--hold 1: the capture's analysis says probe_deadlock"
"$BIN/probelock" analyze --excerpt "$TMP/hold.pcap" >"$TMP/hold.txt"
grep -Eq "B > A: \. [0-9]+:[0-9]+\(1\) .*zero_window_probe" "$TMP/hold.txt"
ok $? "--hold 1: lwIP's 1-byte probe is in the excerpt"
perl -e 'exit !($ARGV[0] >= 1 && $ARGV[1] >= 1)' "$(json "$TMP/hold.json" '$d->{deadlock}{probes}{received}')" \
	"$(json "$TMP/hold.json" '$d->{deadlock}{probes}{sent}')"
ok $? "--hold 1: the client counted the board's probe ($(json "$TMP/hold.json" '$d->{deadlock}{probes}{received}') received, $(json "$TMP/hold.json" '$d->{deadlock}{probes}{sent}') sent)"

for mode in nonblocking chunked split aware; do
	TE -a 30 --mode "$mode" --payload 300000 --json >"$TMP/$mode.json"
	is "$?:$(json "$TMP/$mode.json" '$d->{outcome}'):$(json "$TMP/$mode.json" '$d->{verified}')" "0:completed:true" \
		"300000 bytes, $mode against lwIP: completed, verified"
done

stop_pid "$LW"
grep -q '"program":"lwip-echod"' "$TMP/lw.out"
ok $? "SIGTERM: lwip-echod stops and prints its statistics"

# The lwIP trace's pattern as a scenario: the phases in order, and lwIP's
# keepalive abort (idle 5 s + 3 x 5 s = 20 s after the client's last segment).
ROOT=$(cd "$HERE/../.." && pwd)
"$BIN/probelock" run "$ROOT/scenarios/lwip-keepalive-abort.yaml" -o "$TMP/ka" >"$TMP/ka.out" 2>&1
is "$?" 0 "lwip-keepalive-abort: every expectation held"
KA="$(readlink -f "$TMP/ka/latest")/cells/cell/analysis.json"
phases=$(json "$KA" 'join " ", map { "$_->{cause}/$_->{ended_by}" } @{$d->{connections}[0]{stalls}}')
diag "phases: $phases"
echo "$phases" | grep -Eq '^([a-z_]+/progress )+silent_peer/rst$'
ok $? "the phases in order: a stall ended by progress (the window update), then the silent peer ended by RST"
silent=$(json "$KA" '$d->{connections}[0]{stalls}[-1]{duration_s}')
diag "silence to RST: $silent s (expected 20 s)"
perl -e 'exit !($ARGV[0] >= 18 && $ARGV[0] <= 22)' "$silent"
ok $? "lwIP's RST after idle 5 s + 3 x 5 s, within 10% ($silent s)"
is "$(json "$KA" 'join " ", map { sprintf "%.1f", $_ } @{$d->{connections}[0]{stalls}[-1]{backoff_s}{b_to_a}}')" "5.0 5.0" \
	"lwIP's keep-alives 5 s apart, unanswered"
is "$(json "$KA" 'my $c = $d->{connections}[0]; ($c->{directions}{b_to_a}{flags}{zero_window_probe} >= 1 ? "probe" : "none") . "/" . ($c->{directions}{a_to_b}{flags}{window_update} >= 1 ? "update" : "none") . "/" . ($c->{stalls}[0]{zero_window}{a} ? "zero" : "open")')" \
	"probe/update/zero" "first phase: the client's zero window, lwIP's 1-byte probe, then the client's window update"

# Errors: no root, no such TAP, no /dev/net/tun.
setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN/lwip-echod" --tap "$TAP" >/dev/null 2>"$TMP/e1"
ok $([ $? -eq 1 ] && grep -q "needs root" "$TMP/e1"; echo $?) "without root: exit 1, says it needs root ($(cat "$TMP/e1"))"
"$BIN/lwip-echod" --tap plknosuch0 >/dev/null 2>"$TMP/e2"
ok $([ $? -eq 1 ] && grep -q "TAP device plknosuch0 does not exist" "$TMP/e2"; echo $?) \
	"no such TAP: exit 1, says how to create it"
unshare -m sh -c "mount -t tmpfs none /dev/net && exec '$BIN/lwip-echod' --tap '$TAP'" >/dev/null 2>"$TMP/e3"
ok $([ $? -eq 1 ] && grep -q "/dev/net/tun does not exist" "$TMP/e3"; echo $?) \
	"without /dev/net/tun: exit 1, says what to do ($(head -c 90 "$TMP/e3"))"
done_testing
