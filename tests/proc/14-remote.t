#!/usr/bin/env bash
# The remote target, as a board over Ethernet is tested: the "board" is an
# lwip-echod on a TAP, and probelock runs on the "bench host" side of that
# TAP (a namespace of the test's own). probelock starts no server, captures on
# the interface it is given, and a DUT without an iperf server is a warning.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -ne 0 ] || [ ! -e /dev/net/tun ]; then
	echo "1..0 # skip needs root and /dev/net/tun"
	exit 0
fi
plan 8

NS="plk-t14-$$" TAP="plk$$b"
tap_netns "$NS" "$TAP" || { echo "Bail out! cannot create namespace $NS with TAP $TAP"; exit 1; }
ip netns exec "$NS" "$BIN/lwip-echod" --tap "$TAP" >"$TMP/dut.out" 2>&1 &
DUT=$!
track "$DUT"
for _ in $(seq 100); do grep -q '^listening on' "$TMP/dut.out" && break; sleep 0.05; done

cat >"$TMP/board.yaml" <<YAML
name: board
target: { kind: remote, host: 198.18.0.2, port: 7, iface: $TAP }
client: { sndbuf: 16384, rcvbuf: 16384, payload: 300000, alarm: 5s, abort: false }
matrix:
  client.mode: [blocking, nonblocking]
capture: { keep: always }
baseline: { iperf3: true }
expect:
  - when: { client.mode: blocking }
    outcome: deadlock
    stall_cause: probe_deadlock
  - when: { client.mode: nonblocking }
    outcome: completed
YAML
ip netns exec "$NS" "$BIN/probelock" run "$TMP/board.yaml" -o "$TMP/res" >"$TMP/run.out" 2>&1
is "$?" 0 "a run against the board passes its expectations"
RUN=$(readlink -f "$TMP/res/latest")
grep -q "baseline: warning: iperf3 on the DUT 198.18.0.2:5201" "$TMP/run.out"
ok $? "the board has no iperf3 server: a warning, not a failure"
ok $([ ! -e "$RUN/cells/mode-blocking/server.out" ] && [ ! -e "$RUN/cells/mode-blocking/server.json" ]; echo $?) \
	"probelock started no server"
kill -0 "$DUT"
ok $? "the board's own server still runs (probelock did not touch it)"
ok $([ -s "$RUN/cells/mode-blocking/capture.pcap" ]; echo $?) "captured on the given interface $TAP"
is "$(json "$RUN/cells/mode-blocking/analysis.json" '$d->{connections}[0]{b}')" "198.18.0.2:7" \
	"the capture holds the connection to the board"
perl -e 'exit !($ARGV[0] >= 1)' "$(json "$RUN/cells/mode-blocking/analysis.json" '$d->{flags_total}{zero_window_probe}')"
ok $? "the board's 1-byte zero window probes are in the capture"
grep -q 'Probe deadlock reproduced in 1 of 2 cells: client.mode=blocking' "$RUN/report.md"
ok $? "the report's verdict"
done_testing
