#!/usr/bin/env bash
# A blocking client this project did not write, in another language: a few
# lines of python3 doing what the draft's client does (sendall() of the whole
# payload, then recv() until it is echoed), with default buffers, against echod
# --monitor in the draft's blocking mode and in its event mode. A small payload
# completes and echod reports nothing; a large one deadlocks, and echod reports
# the probe deadlock from the server side (its log line and deadlocks_detected)
# while the client is still stuck in sendall(); the capture says probe_deadlock.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
if [ -z "$PY" ]; then
	echo "1..0 # skip needs python3 (python3-minimal, scripts/deps.sh)"
	exit 0
fi
CAPTURE=0
[ "$(id -u)" -eq 0 ] && command -v tshark >/dev/null && CAPTURE=1
plan 14

cat >"$TMP/client.py" <<'EOF'
# client.py HOST PORT BYTES: the draft's client: send everything, then read the echo.
import socket, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((host, port))
data = bytes((i * 7 + 3) & 0xff for i in range(65536))
print("sending", n, flush=True)
s.sendall((data * (n // len(data) + 1))[:n])
print("sent", n, flush=True)
got = bytearray()
while len(got) < n:
    b = s.recv(65536)
    if not b:
        break
    got += b
print("echoed", len(got), "of", n, "verified" if got == (data * (n // len(data) + 1))[:n] else "differs", flush=True)
EOF

for mode in blocking event; do
	start_echod S --mode "$mode" --monitor
	timeout 30 "$PY" "$TMP/client.py" 127.0.0.1 "$S_PORT" 1000000 >"$TMP/small.out" 2>&1
	is "$?:$(tail -1 "$TMP/small.out")" "0:echoed 1000000 of 1000000 verified" \
		"echod $mode, python3 blocking client, 1 MB: echoed and verified"

	if [ "$CAPTURE" = 1 ]; then
		"$BIN/probelock" capture lo "$TMP/$mode.pcap" --snaplen 128 --filter "tcp port $S_PORT" >"$TMP/cap.out" 2>&1 &
		CAP=$!
		track "$CAP"
		for _ in $(seq 100); do grep -q "^capturing on lo" "$TMP/cap.out" && break; sleep 0.05; done
	fi
	timeout 30 "$PY" "$TMP/client.py" 127.0.0.1 "$S_PORT" 33554432 >"$TMP/big.out" 2>&1 &
	PYPID=$!
	track "$PYPID"
	for _ in $(seq 200); do grep -q "probe deadlock" "$TMP/S.err" && break; sleep 0.05; done
	grep -q "probe deadlock" "$TMP/S.err"
	ok $? "echod $mode --monitor reports the probe deadlock from the server side ($(grep -o 'probe deadlock.*' "$TMP/S.err" | head -1))"
	kill -0 "$PYPID" 2>/dev/null && is "$(tail -1 "$TMP/big.out")" "sending 33554432" "...while python3 is still stuck in sendall()" ||
		ok 1 "...while python3 is still stuck in sendall() (it ended: $(tail -1 "$TMP/big.out"))"
	kill -USR1 "$S_PID"
	sleep 0.3
	is "$(grep '"final":false' "$TMP/S.out" | tail -1 | perl -MJSON::PP -ne 'print JSON::PP->new->decode($_)->{deadlocks_detected}')" 1 \
		"echod $mode statistics: deadlocks_detected 1"
	if [ "$CAPTURE" = 1 ]; then
		sleep 1 # a few probes each way on the wire
		stop_pid "$CAP"
		"$BIN/probelock" analyze --json "$TMP/$mode.pcap" >"$TMP/$mode.an.json"
		is "$(json "$TMP/$mode.an.json" 'join ",", map { $_->{cause} } @{$d->{connections}[0]{stalls}}')" probe_deadlock \
			"echod $mode: the capture shows the probe deadlock too"
	else
		echo "ok $((_n += 1)) # skip capture needs root and tshark"
	fi
	stop_pid "$PYPID"
	ok $([ "$(grep -c 'probe deadlock' "$TMP/S.err")" -eq 1 ]; echo $?) "echod $mode: one report for the one deadlocked connection"
	stop_pid "$S_PID"
	is "$?" 0 "echod $mode stops cleanly (SIGTERM)"
done
done_testing
