#!/usr/bin/env bash
# echod event mode under load: 1 GiB over one connection and 200 concurrent
# connections x 8 MiB, every byte verified by tcpecho, echod's peak RSS
# (VmHWM) under 64 MiB. Bounded: 2.6 GiB in all, 300 s alarm per run.
. "$(dirname "$0")/lib.sh"
plan 5

# 256 KiB socket buffers both ends: 200 connections with autotuned buffers (up to 4 MiB each
# way) reach the kernel's TCP memory pressure (net.ipv4.tcp_mem) on a small machine, where a
# connection can lose its window update and wait minutes on backed-off timers: a stall of the
# kernel, not of echod, that this test is not about.
start_echod S --mode event --sndbuf 256K --rcvbuf 256K
"$BIN/tcpecho" -p "$S_PORT" -a 300 --mode nonblocking --payload 1GiB --json 127.0.0.1 >"$TMP/1g.json"
is "$?:$(json "$TMP/1g.json" '$d->{outcome}'):$(json "$TMP/1g.json" '$d->{verified}'):$(json "$TMP/1g.json" '$d->{bytes_received}')" \
	"0:completed:true:1073741824" "1 GiB over one connection, verified"
diag "1 GiB: $(json "$TMP/1g.json" 'sprintf "%.1f s, %.0f MB/s", $d->{elapsed_s}, $d->{throughput_Bps}/1e6')"

"$BIN/tcpecho" -p "$S_PORT" -a 300 --mode nonblocking --parallel 200 --payload 8MiB --sndbuf 256K --rcvbuf 256K \
	--json 127.0.0.1 >"$TMP/par.json"
is "$?:$(json "$TMP/par.json" '$d->{outcome}'):$(json "$TMP/par.json" '$d->{verified}')" "0:completed:true" \
	"200 concurrent connections x 8 MiB, verified"
is "$(json "$TMP/par.json" '$d->{bytes_received}')" $((200 * 8 * 1024 * 1024)) "all 1600 MiB echoed"
diag "200 x 8 MiB: $(json "$TMP/par.json" 'sprintf "%.1f s, %.0f MB/s", $d->{elapsed_s}, $d->{throughput_Bps}/1e6')"

hwm=$(vmhwm "$S_PID")
diag "echod VmHWM ${hwm} KiB"
if [ "${PROBELOCK_SAN:-0}" = 1 ]; then
	# ASan's shadow memory and 256 MiB quarantine dominate RSS: the bound
	# holds for the build users run, and is checked by plain `make test`.
	echo "ok $((_n += 1)) # skip RSS bound not meaningful under ASan (VmHWM ${hwm} KiB)"
else
	ok $([ "$hwm" -lt $((64 * 1024)) ]; echo $?) "echod peak RSS under 64 MiB (${hwm} KiB)"
fi
stop_pid "$S_PID"
is "$?" 0 "echod stops cleanly"
done_testing
