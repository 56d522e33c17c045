#!/usr/bin/env bash
# Capture inside network namespaces of the test's own: two namespaces joined by
# a veth pair with addresses from 198.18.0.0/15, echod in one, tcpecho in the
# other, the capture handle opened inside the client's namespace on its veth.
# And the error a user without CAP_NET_RAW gets. Everything is prefixed plk-
# and removed on exit.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # skip needs root for namespaces and capture"
	exit 0
fi
plan 8

A="plk-t10a-$$" B="plk-t10b-$$" VA="plk$$a" VB="plk$$b"
ip netns add "$A" && track_netns "$A"
ip netns add "$B" && track_netns "$B"
ip link add "$VA" netns "$A" type veth peer name "$VB" netns "$B"
ip -n "$A" addr add 198.18.0.1/30 dev "$VA"
ip -n "$B" addr add 198.18.0.2/30 dev "$VB"
ip -n "$A" link set "$VA" up
ip -n "$B" link set "$VB" up
ip -n "$B" link set lo up
ok $? "namespaces $A and $B joined by veth $VA/$VB (198.18.0.1/30, 198.18.0.2/30)"

ip netns exec "$B" "$BIN/echod" --bind 198.18.0.2 --port 0 --mode blocking --sndbuf 16384 --rcvbuf 16384 \
	>"$TMP/E.out" 2>&1 &
track $!
for _ in $(seq 100); do PORT=$(awk '/^listening on /{print $4; exit}' "$TMP/E.out"); [ -n "$PORT" ] && break; sleep 0.05; done
ok $([ -n "$PORT" ]; echo $?) "echod listening in $B on 198.18.0.2 $PORT"

"$BIN/probelock" capture "$VA" "$TMP/veth.pcap" --netns "$A" --snaplen 128 --filter "tcp port $PORT" \
	>"$TMP/cap.out" 2>&1 &
CAP=$!
track "$CAP"
for _ in $(seq 100); do grep -q "^capturing on $VA" "$TMP/cap.out" && break; sleep 0.05; done
grep -q "^capturing on $VA" "$TMP/cap.out"
ok $? "capture opened on $VA inside $A"

ip netns exec "$A" "$BIN/tcpecho" -p "$PORT" --sndbuf 16384 --rcvbuf 16384 --payload 300000 \
	--no-abort -a 2 --json 198.18.0.2 >"$TMP/te.json"
is "$?:$(json "$TMP/te.json" '$d->{outcome}')" "3:deadlock" "tcpecho in $A: the draft's deadlock across the veth"
sleep 0.3
stop_pid "$CAP"
grep -Eq "^[1-9][0-9]* packets written to .*, 0 dropped by the kernel" "$TMP/cap.out"
ok $? "capture stopped: $(tail -1 "$TMP/cap.out")"
"$BIN/probelock" analyze --json "$TMP/veth.pcap" >"$TMP/veth.json"
is "$(json "$TMP/veth.json" 'join ",", map { $_->{cause} } @{$d->{connections}[0]{stalls}}')" probe_deadlock \
	"the veth capture shows the probe deadlock"

"$BIN/probelock" capture nosuchdev0 "$TMP/x.pcap" --netns "$A" >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "1:probelock capture: capture on nosuchdev0: no such interface in network namespace $A" \
	"a missing interface: exit 1, names it and the namespace"
setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN/probelock" capture lo "$TMP/np.pcap" >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" \
	"1:probelock capture: capture on lo: permission denied: capturing needs CAP_NET_RAW (run as root, or setcap cap_net_raw+ep on the program)" \
	"without CAP_NET_RAW: exit 1, says what is needed"
done_testing
