#!/usr/bin/env bash
# Abuse, echod's event and blocking modes: while a verifying tcpecho keeps
# echoing (run after run, 4 MiB each over one connection in 256 KiB rounds,
# every byte checked), abusive clients hit the same server for 6 s: a
# connection flood beyond --max-conns, an RST storm, random half-closes, slow
# writers and slow readers (slowloris both ways) and clients that never read.
# The flood holds its connections for the first half; a connection refused at
# the limit (reset before any echo) is counted apart from a short echo.
# The verifying client must lose or corrupt no byte, echod must keep its
# memory bounded, count what happened, and serve a fresh client afterwards.
# Everything on 127.0.0.1, bounded in count (about 900 connections per mode)
# and time (6 s of abuse per mode), stopped by PID.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
plan 24
ulimit -n 8192
ABUSE=6
MAXC=300

for mode in event blocking; do
	start_echod E --mode "$mode" --max-conns "$MAXC"
	port=$E_PORT
	# The verifier: runs back to back until the abuse is over. A run refused by
	# --max-conns (reset during connect or before any echo) is counted and retried; any other
	# failure is kept for the test to report.
	(
		end=$((SECONDS + ABUSE + 1)) runs=0 refused=0 bytes=0
		while [ "$SECONDS" -lt "$end" ]; do
			"$BIN/tcpecho" -p "$port" --payload 256K -n 16 -a 30 --json 127.0.0.1 >"$TMP/v.json" 2>"$TMP/v.err"
			rc=$?
			# A connect refused at the limit exits 1 before any result document.
			out=none got=0
			[ -s "$TMP/v.json" ] && read -r out got <<<"$(json "$TMP/v.json" '"$d->{outcome} $d->{bytes_received}"')"
			if [ "$rc" -eq 0 ] && [ "$out" = completed ]; then
				runs=$((runs + 1)) bytes=$((bytes + got))
				sleep 0.02 # leave the abusers some CPU
			elif { [ "$rc" -eq 5 ] && [ "${got:-0}" -eq 0 ]; } ||
				{ [ "$rc" -eq 1 ] && grep -q "^tcpecho: connect .*: Connection reset by peer" "$TMP/v.err"; }; then
				refused=$((refused + 1)); sleep 0.05
			else
				detail=none
				[ -s "$TMP/v.json" ] && detail=$(json "$TMP/v.json" '$d->{detail}')
				echo "failed rc=$rc outcome=$out received=$got: $detail $(head -c 300 "$TMP/v.err")"
			fi
		done
		echo "runs=$runs refused=$refused bytes=$bytes"
	) >"$TMP/verifier.out" &
	vpid=$!
	track "$vpid"
	sleep 0.3
	apids=()
	# The long-lived abusers connect first (below the limit), then the flood,
	# the RST storm and the half-closes push it beyond.
	for a in "slowwrite 30" "slowread 30" "neverread 20" - "flood 400" "rst 300" "halfclose 60"; do
		[ "$a" = - ] && { sleep 0.5; continue; }
		# shellcheck disable=SC2086
		perl "$HERE/abuse.pl" "$port" $a "$ABUSE" >"$TMP/abuse-${a% *}.out" 2>&1 &
		apids+=($!)
		track "$!"
	done
	wait "${apids[@]}"
	wait "$vpid"
	for a in flood rst halfclose slowwrite slowread neverread; do diag "$mode: $(tr '\n' ' ' <"$TMP/abuse-$a.out")"; done
	diag "$mode: verifier: $(tail -1 "$TMP/verifier.out")"
	hwm=$(vmhwm "$E_PID")

	read -r runs refused bytes <<<"$(tail -1 "$TMP/verifier.out" | sed 's/[a-z]*=//g')"
	is "$(grep -c '^failed' "$TMP/verifier.out")" 0 "$mode: the verifying client lost or corrupted no byte ($(grep -m1 '^failed' "$TMP/verifier.out"))"
	ok "$([ "${runs:-0}" -ge 5 ] && [ "$bytes" -eq $((runs * 4194304)) ]; echo $?)" \
		"$mode: $runs verified runs of 4 MiB echoed through the abuse ($refused refused at the limit)"
	# Beyond the limit echod accepts and resets: after connect() returned (closed) or
	# before (reset in connect), which of the two is a race.
	read -r connected closed rstc <<<"$(sed 's/[a-z_]*=//g; s/^flood //' "$TMP/abuse-flood.out")"
	ok "$([ "${connected:-0}" -ge 100 ] && [ $((${closed:-0} + ${rstc:-0})) -ge 1 ]; echo $?)" \
		"$mode: flood of 400: connections beyond --max-conns $MAXC were closed by echod ($closed of $connected connected, $rstc reset in connect)"
	resets=$(sed -n 's/^rst reset=\([0-9]*\).*/\1/p' "$TMP/abuse-rst.out")
	ok "$([ "${resets:-0}" -ge 100 ]; echo $?)" "$mode: RST storm: $resets connections reset mid-echo"
	read -r hok hbad href hcut <<<"$(sed -n 's/^halfclose //p' "$TMP/abuse-halfclose.out" | sed 's/[a-z]*=//g')"
	ok "$([ "${hbad:-1}" -eq 0 ] && [ "${hok:-0}" -ge 5 ]; echo $?)" \
		"$mode: random half-closes: $hok got all their bytes back then EOF, $href refused at the limit, ${hcut:-0} cut by the test's own deadline, none short"
	grep -Eq "^slowwrite conns=30 bytes=[0-9]+ mismatched=0$" "$TMP/abuse-slowwrite.out"
	ok $? "$mode: 30 slow writers (1 byte / 100 ms): every byte echoed"
	grep -Eq "^slowread conns=30 sent=[0-9]+ read=[0-9]+$" "$TMP/abuse-slowread.out"
	ok $? "$mode: 30 slow readers ran against it"
	grep -Eq "^neverread conns=20 sent=[0-9]+ stalled_for=[1-9]" "$TMP/abuse-neverread.out"
	ok $? "$mode: 20 clients that never read were stopped (echod stopped taking their data)"
	kill -0 "$E_PID"
	ok $? "$mode: echod alive after the abuse"
	if [ "${PROBELOCK_SAN:-0}" = 1 ]; then
		ok 0 "$mode: peak RSS $((hwm / 1024)) MiB (not checked under ASan: shadow memory and quarantine)"
	else
		ok "$([ "$hwm" -lt $((128 * 1024)) ]; echo $?)" "$mode: echod peak RSS $((hwm / 1024)) MiB, under 128 MiB"
	fi
	"$BIN/tcpecho" -p "$port" --mode nonblocking --parallel 4 --payload 8M -a 20 --json 127.0.0.1 >"$TMP/fresh.json"
	is "$?:$(json "$TMP/fresh.json" '$d->{outcome}')" "0:completed" "$mode: a fresh verifying client is served after the abuse"
	stop_pid "$E_PID"
	grep '"final":true' "$TMP/E.out" | perl -MJSON::PP -ne '$d = decode_json($_); $c = $d->{connections}; exit !($c->{refused} >= 1 && $c->{resets} >= 1 && $c->{active} == 0)'
	ok $? "$mode: final statistics count refusals and resets, no connection left"
done
done_testing
