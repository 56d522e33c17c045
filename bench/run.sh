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
GROUPS_STARTED=() # process groups of forking servers we started (inetd, socat): their children too
NETNS=()          # plk- namespaces this run made, removed by name
cleanup() {
	for g in "${GROUPS_STARTED[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	wait 2>/dev/null
	for n in "${NETNS[@]}"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ROWS=()

row() { # row NAME OURS PEER RATIO GOAL MET NOTE (a RATIO that is not a number: null)
	local ratio=null
	[[ $4 =~ ^[0-9]+(\.[0-9]+)?$ ]] && ratio=$4
	ROWS+=("$(printf '{"row":"%s","probelock":"%s","peer":"%s","ratio":%s,"goal":"%s","met":%s,"note":"%s"}' \
		"$1" "$2" "$3" "$ratio" "$5" "$6" "$7")")
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

# best_of N CMD...: the fastest of N runs: sets WALL, RSS (KiB), RC.
best_of() {
	local n=$1 w=999999 r=0 c=0
	shift
	for _ in $(seq "$n"); do
		measure "$@"
		if perl -e 'exit !($ARGV[0] < $ARGV[1])' "$WALL" "$w"; then w=$WALL r=$RSS c=$RC; fi
	done
	WALL=$w RSS=$r RC=$c
}

# The analyzer on traffic made the way real traffic is: 720 short connections
# (64 KiB echoed each, 30 at a time), half over IPv4 and half over IPv6,
# through a veth pair between two plk- namespaces with 1 % of TCP packets
# dropped each way (nftables, as lib/netenv.c's loss) at 100 Mbit/s, 1500-byte
# frames (GSO off); snaplen 128. probelock analyze --json against
# tshark -q -z expert, best of 3 each; every flag count must be equal, and
# probelock at least 20x faster (30-31x measured since jansson writes the
# JSON, 32-49x with the hand-written writer it replaced: bench/README.md).
# PROBELOCK_REF=path/to/probelock: also times that build on the same capture.
# Memory: the same capture twice over (mergecap -a: twice the packets, the
# same connections) must not take more.
bench_realtraffic() {
	local ns="plk-bch$$" va="plkb$$a" vb="plkb$$b" pcap="$TMP/real.pcap" cap port packets conns
	if ! command -v tshark >/dev/null || ! command -v nft >/dev/null || ! command -v mergecap >/dev/null ||
		[ "$(id -u)" -ne 0 ]; then
		echo "bench: real-traffic analyzer row skipped: needs root, tshark, mergecap and nft" >&2
		return
	fi
	NETNS+=("$ns-a" "$ns-b")
	if ! { ip netns add "$ns-a" && ip netns add "$ns-b" &&
		ip link add "$va" netns "$ns-a" type veth peer name "$vb" netns "$ns-b" &&
		ip -n "$ns-a" addr add 198.18.10.1/24 dev "$va" && ip -n "$ns-b" addr add 198.18.10.2/24 dev "$vb" &&
		ip -n "$ns-a" addr add fd00:198:18::1/64 dev "$va" nodad &&
		ip -n "$ns-b" addr add fd00:198:18::2/64 dev "$vb" nodad &&
		ip -n "$ns-a" link set "$va" gso_max_segs 1 up && ip -n "$ns-b" link set "$vb" gso_max_segs 1 up &&
		ip -n "$ns-a" link set lo up && ip -n "$ns-b" link set lo up &&
		tc -n "$ns-a" qdisc add dev "$va" root tbf rate 12500000bps burst 250000 limit 1250000 &&
		tc -n "$ns-b" qdisc add dev "$vb" root tbf rate 12500000bps burst 250000 limit 1250000; }; then
		echo "bench: real-traffic analyzer row skipped: cannot make the namespaces" >&2
		return
	fi
	for n in "$ns-a" "$ns-b"; do
		ip netns exec "$n" nft "add table inet plk_loss; add chain inet plk_loss out { type filter hook output priority 0; policy accept; }; add rule inet plk_loss out meta l4proto tcp numgen random mod 100 < 1 drop"
	done
	ip netns exec "$ns-b" "$BIN/echod" --port 0 --bind :: --mode event >"$TMP/echod.out" 2>&1 &
	EP=$!
	PIDS+=("$EP")
	for _ in $(seq 100); do port=$(awk '/^listening on /{print $4}' "$TMP/echod.out"); [ -n "$port" ] && break; sleep 0.05; done
	ip netns exec "$ns-a" "$BIN/probelock" capture "$va" "$pcap" --snaplen 128 >"$TMP/cap.out" 2>&1 &
	cap=$!
	PIDS+=("$cap")
	for _ in $(seq 100); do grep -q capturing "$TMP/cap.out" && break; sleep 0.05; done
	for _ in $(seq 12); do
		for host in 198.18.10.2 fd00:198:18::2; do
			ip netns exec "$ns-a" "$BIN/tcpecho" -p "$port" --mode nonblocking --parallel 30 --payload 64K -a 60 \
				"$host" >/dev/null
		done
	done
	kill -TERM "$cap"
	wait "$cap"
	kill -TERM "$EP"
	wait "$EP" 2>/dev/null
	ip netns del "$ns-a"
	ip netns del "$ns-b"
	"$BIN/probelock" analyze --json "$pcap" >"$TMP/real.json"
	read -r packets conns < <(perl -MJSON::PP -e 'local $/; my $d = decode_json(<>); print "$d->{packets} ", scalar @{$d->{connections}}' "$TMP/real.json")
	best_of 3 "$BIN/probelock" analyze --json "$pcap"
	local ow=$WALL orss=$RSS
	best_of 3 tshark -n -r "$pcap" -q -z expert
	local tw=$WALL trss=$RSS
	if [ -n "${PROBELOCK_REF:-}" ]; then # another build's probelock on the same capture (before/after)
		best_of 3 "$PROBELOCK_REF" analyze --json "$pcap"
		echo "  (PROBELOCK_REF $PROBELOCK_REF: ${WALL}s ${RSS}KiB; $(cmp -s <("$PROBELOCK_REF" analyze --json "$pcap") "$TMP/real.json" && echo same || echo DIFFERENT) document)"
	fi
	mergecap -a -w "$TMP/real2.pcap" "$pcap" "$pcap"
	best_of 1 "$BIN/probelock" analyze --json "$TMP/real2.pcap"
	local drss=$RSS
	local diff
	diff=$(perl "$HERE/../tests/proc/tshark-counts.pl" "$pcap" 2>/dev/null | while read -r flag n; do
		ours=$(perl -MJSON::PP -e 'local $/; open my $f, "<", $ARGV[0]; print decode_json(<$f>)->{flags_total}{$ARGV[1]}' "$TMP/real.json" "$flag")
		[ "$ours" = "$n" ] || echo -n "$flag ours=$ours tshark=$n; "
	done)
	local ratio met note
	ratio=$(perl -e 'printf "%.1f", $ARGV[1] / ($ARGV[0] > 0 ? $ARGV[0] : 0.001)' "$ow" "$tw")
	met=$(perl -e 'print $ARGV[0] >= 20 && $ARGV[1] eq "" && $ARGV[2] >= 80000 && $ARGV[4] <= $ARGV[3] * 1.1 + 512 ? "true" : "false"' \
		"$ratio" "$diff" "$packets" "$orss" "$drss")
	note="${diff:+counts differ: $diff}$(perl -e 'print $ARGV[0] < 20 ? " ratio below 20" : ""' "$ratio")"
	note="$note$(perl -e 'print $ARGV[0] < 80000 ? " only $ARGV[0] packets" : ""' "$packets")"
	note="$note$(perl -e 'print $ARGV[1] > $ARGV[0] * 1.1 + 512 ? " RSS grew with packets ($ARGV[0] -> $ARGV[1] KiB)" : ""' "$orss" "$drss")"
	row "analyzer --json, real traffic, $packets pkts" "${ow}s ${orss}KiB" "${tw}s ${trss}KiB" "$ratio" ">=20x" "$met" "$note"
	echo "  ($conns connections, IPv4 and IPv6, 1 % loss; every flag count ${diff:+NOT }equal to tshark's;" \
		"peak RSS ${orss} KiB, ${drss} KiB on twice the packets)"
}

# Median and max of a list of numbers on stdin.
stats() { sort -g | awk '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "%.3f %.3f", m, v[NR]}'; }

# Detection latency: detected_s - onset_s of the draft's deadlock, 20 runs on
# loopback and 10 against the emulated lwIP target.
bench_detection() {
	local lat=() lw=() med max lmed lmax
	start_echod --mode blocking --app-buf 8192 --sndbuf 16384 --rcvbuf 16384
	for _ in $(seq 20); do
		"$BIN/tcpecho" -p "$EPORT" --sndbuf 16384 --rcvbuf 16384 --payload 300000 -a 10 --json 127.0.0.1 >"$TMP/d.json"
		lat+=("$(perl -MJSON::PP -e 'local $/; my $d = decode_json(<>); print $d->{deadlock} ? $d->{deadlock}{detected_s} - $d->{deadlock}{onset_s} : "NaN"' "$TMP/d.json")")
	done
	kill -TERM "$EP"
	wait "$EP" 2>/dev/null
	read -r med max < <(printf '%s\n' "${lat[@]}" | stats)
	row "detection latency, loopback, 20 runs" "median ${med}s" "max ${max}s" "-" "median<1s" \
		"$(perl -e 'print $ARGV[0] < 1 ? "true" : "false"' "$med")" "median ${med} s"
	if [ -e /dev/net/tun ]; then
		local ns="plk-bench-$$" tap="plk$$k" lp
		ip netns add "$ns" && ip -n "$ns" tuntap add dev "$tap" mode tap && ip -n "$ns" link set "$tap" mtu 576 &&
			ip -n "$ns" addr add 198.18.0.1/30 dev "$tap" && ip -n "$ns" link set "$tap" up
		ip netns exec "$ns" "$BIN/lwip-echod" --tap "$tap" >"$TMP/lw.out" 2>&1 &
		lp=$!
		PIDS+=("$lp")
		for _ in $(seq 100); do grep -q listening "$TMP/lw.out" && break; sleep 0.05; done
		for _ in $(seq 10); do
			ip netns exec "$ns" "$BIN/tcpecho" -p 7 --sndbuf 16384 --rcvbuf 16384 --payload 300000 -a 10 --json 198.18.0.2 >"$TMP/d.json"
			lw+=("$(perl -MJSON::PP -e 'local $/; my $d = decode_json(<>); print $d->{deadlock} ? $d->{deadlock}{detected_s} - $d->{deadlock}{onset_s} : "NaN"' "$TMP/d.json")")
		done
		kill -TERM "$lp"
		wait "$lp" 2>/dev/null
		ip netns del "$ns"
		read -r lmed lmax < <(printf '%s\n' "${lw[@]}" | stats)
		row "detection latency, lwIP target, 10 runs" "median ${lmed}s" "max ${lmax}s" "-" "(reported)" true ""
	fi
}

# 10,000 concurrent connections held by echod event mode, each echoing and
# verified; echod's peak RSS.
bench_10k() {
	local rc hwm
	# Each end (its own process) needs 10000 descriptors and some: raise the soft limit if the
	# hard one allows; say so and skip the row when it cannot be had.
	[ "$(ulimit -n)" -ge 10500 ] || ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
	if [ "$(ulimit -n)" -lt 10500 ]; then
		echo "bench: 10000-connection row skipped: open files limited to $(ulimit -n)" >&2
		return
	fi
	start_echod --mode event --backlog 65535
	"$BIN/tcpecho" -p "$EPORT" --mode nonblocking --parallel 10000 --payload 64K -a 300 --json 127.0.0.1 >"$TMP/10k.json"
	rc=$?
	hwm=$(awk '/^VmHWM:/{print $2}' "/proc/$EP/status")
	kill -TERM "$EP"
	wait "$EP" 2>/dev/null
	local verified
	verified=$(perl -MJSON::PP -e 'local $/; my $d = decode_json(<>); print $d->{verified} ? "all verified" : "NOT verified: $d->{outcome} $d->{detail}"' "$TMP/10k.json")
	row "10000 concurrent connections x 64 KiB" "$verified" "RSS $((hwm / 1024)) MiB" "-" "RSS<200MiB" \
		"$([ "$rc" -eq 0 ] && [ "$hwm" -lt $((200 * 1024)) ] && echo true || echo false)" "exit $rc, VmHWM ${hwm} KiB"
}

# Capture overhead: echoed throughput with a capture running (snaplen 128) vs
# without, 8 connections x 64 MiB, best of 3 each.
bench_capture() {
	local off=0 on=0 t cap
	start_echod --mode event
	for _ in 1 2 3; do
		t=$("$BIN/tcpecho" -p "$EPORT" --mode nonblocking --parallel 8 --payload 64MiB -a 120 --json 127.0.0.1 |
			perl -MJSON::PP -e 'local $/; printf "%.0f", decode_json(<>)->{throughput_Bps} / 1e6')
		[ "$t" -gt "$off" ] && off=$t
		"$BIN/probelock" capture lo "$TMP/ov.pcap" --snaplen 128 --filter "tcp port $EPORT" >"$TMP/ov.out" 2>&1 &
		cap=$!
		for _ in $(seq 100); do grep -q capturing "$TMP/ov.out" && break; sleep 0.05; done
		t=$("$BIN/tcpecho" -p "$EPORT" --mode nonblocking --parallel 8 --payload 64MiB -a 120 --json 127.0.0.1 |
			perl -MJSON::PP -e 'local $/; printf "%.0f", decode_json(<>)->{throughput_Bps} / 1e6')
		kill -TERM "$cap"
		wait "$cap"
		[ "$t" -gt "$on" ] && on=$t
	done
	kill -TERM "$EP"
	wait "$EP" 2>/dev/null
	local ratio
	ratio=$(perl -e 'printf "%.2f", $ARGV[0] / $ARGV[1]' "$on" "$off")
	row "echo with capture (snaplen 128) vs without" "${on} MB/s" "${off} MB/s" "$ratio" ">=0.8" \
		"$(perl -e 'print $ARGV[0] >= 0.8 ? "true" : "false"' "$ratio")" "ratio $ratio"
}

# MB/s echoed by the server at PORT for N connections sharing 512 MiB (tcpecho
# nonblocking, verified; about a second on loopback: shorter runs measure
# connection setup and scheduling noise); prints 0 when the run failed or took
# longer than 30 s.
echo_rate() {
	local r
	r=$("$BIN/tcpecho" -p "$1" --mode nonblocking --parallel "$2" --payload $((536870912 / $2)) -a 30 --json 127.0.0.1 2>/dev/null |
		perl -MJSON::PP -e 'local $/; my $d = eval { decode_json(<>) } or exit; printf "%.0f", $d->{outcome} eq "completed" ? $d->{throughput_Bps} / 1e6 : 0')
	echo "${r:-0}"
}

# Echo throughput against what users would run instead: openbsd-inetd's
# built-in echo (a process per connection) and socat TCP-LISTEN,fork PIPE.
bench_peers() {
	local inetd socat sport n e b i s r sfail best
	if ! command -v inetd >/dev/null || ! command -v socat >/dev/null; then
		echo "bench: peer rows skipped: openbsd-inetd and socat are not installed" >&2
		return
	fi
	# inetd's built-in echo answers on the echo service's port, 7.
	printf '127.0.0.1:echo stream tcp nowait root internal\n' >"$TMP/inetd.conf"
	# Each in a process group of its own (setsid): a connection's child that
	# hangs (socat's PIPE can) is stopped with its parent, by the group's ID.
	setsid inetd -d -R 1000000 "$TMP/inetd.conf" >"$TMP/inetd.log" 2>&1 &
	inetd=$!
	GROUPS_STARTED+=("$inetd")
	sport=$(( (RANDOM % 5000) + 45000 ))
	setsid socat "TCP-LISTEN:$sport,bind=127.0.0.1,fork,reuseaddr,backlog=4096" PIPE </dev/null >/dev/null 2>&1 &
	socat=$!
	GROUPS_STARTED+=("$socat")
	sleep 0.5 # neither prints a readiness line
	start_echod --mode event --backlog 4096
	for n in 1 8 64 1000; do
		# Best of 3 for each server, interleaved so that a slow moment of the
		# machine does not fall on one server only.
		e=0 i=0 s=0 sfail=0
		for _ in 1 2 3; do
			r=$(echo_rate "$EPORT" "$n"); [ "$r" -gt "$e" ] && e=$r
			r=$(echo_rate 7 "$n"); [ "$r" -gt "$i" ] && i=$r
			# socat's PIPE stalls at times (its one pipe fills while it
			# blocks writing to it); once it has, it is not retried.
			[ "$sfail" -eq 1 ] && continue
			r=$(echo_rate "$sport" "$n"); [ "$r" -gt "$s" ] && s=$r
			[ "$r" -eq 0 ] && sfail=1
		done
		best=$((i > s ? i : s))
		row "echo MB/s, $n conn(s): echod event vs inetd | socat" "$e" "$i | $s" \
			"$(perl -e 'printf "%.2f", $ARGV[0] / ($ARGV[1] || 1)' "$e" "$best")" ">=1.3x" \
			"$(perl -e 'print $ARGV[0] >= 1.3 * $ARGV[1] ? "true" : "false"' "$e" "$best")" \
			"$(perl -e 'printf "%.2fx of the best peer", $ARGV[0] / ($ARGV[1] || 1)' "$e" "$best")"
	done
	kill -TERM "$EP"
	wait "$EP" 2>/dev/null
	start_echod --mode blocking
	for n in 1 8; do
		b=0 i=0
		for _ in 1 2 3; do
			r=$(echo_rate "$EPORT" "$n"); [ "$r" -gt "$b" ] && b=$r
			r=$(echo_rate 7 "$n"); [ "$r" -gt "$i" ] && i=$r
		done
		row "echo MB/s, $n conn(s): echod blocking vs inetd" "$b" "$i" \
			"$(perl -e 'printf "%.2f", $ARGV[0] / ($ARGV[1] || 1)' "$b" "$i")" ">=1.0x" \
			"$(perl -e 'print $ARGV[0] >= $ARGV[1] ? "true" : "false"' "$b" "$i")" \
			"$(perl -e 'printf "%.2fx of inetd", $ARGV[0] / ($ARGV[1] || 1)' "$b" "$i")"
	done
	kill -TERM -- "$EP" "-$inetd" "-$socat" 2>/dev/null
	wait "$EP" "$inetd" "$socat" 2>/dev/null
	if command -v iperf3 >/dev/null; then
		local ip=$(( (RANDOM % 5000) + 50000 ))
		local ceil=0
		iperf3 -s -1 -B 127.0.0.1 -p "$ip" >/dev/null 2>&1 &
		PIDS+=("$!")
		# Wait until it listens (iperf3 -J exits 0 on a refused connect, and a
		# one-off server (-1) ends after any attempt): then one client run.
		for _ in $(seq 50); do ss -Hltn "sport = :$ip" | grep -q . && break; sleep 0.1; done
		ceil=$(iperf3 -c 127.0.0.1 -p "$ip" -t 3 -J 2>/dev/null |
			perl -MJSON::PP -e 'local $/; my $d = eval { decode_json(<>) } or exit; printf "%.0f", ($d->{end}{sum_received}{bits_per_second} // 0) / 8e6')
		row "ceiling: iperf3 single stream on loopback" "${ceil:-0} MB/s" "-" "-" "(reported)" true """"
	fi
}

# The wall time of the shipped freniche-1998 scenario (30 cells, both targets).
bench_scenario() {
	local t0 t1 rc
	t0=$(date +%s.%N)
	"$BIN/probelock" run "$HERE/../scenarios/freniche-1998.yaml" -o "$TMP/results" >"$TMP/fr.out" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	row "freniche-1998 scenario, 30 cells" "$(perl -e 'printf "%.1fs", $ARGV[1] - $ARGV[0]' "$t0" "$t1")" \
		"$(grep -c '^\[' "$TMP/fr.out") cells" "-" "(reported)" "$([ $rc -eq 0 ] && echo true || echo false)" "exit $rc"
}

printf '%-44s %16s %16s %8s  %-10s %s\n' "row" "probelock" "peer" "ratio" "goal" "verdict"
# `bench/run.sh ROW...` runs only the named rows (peers analyzer realtraffic
# detection 10k capture scenario) and leaves bench/last.json alone.
for r in ${*:-peers analyzer realtraffic detection 10k capture scenario}; do
	case $r in
	peers | analyzer | realtraffic | detection | 10k | capture | scenario) "bench_$r" ;;
	*) echo "bench: no row '$r' (rows: peers analyzer realtraffic detection 10k capture scenario)" >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] && exit 0
{
	printf '{"date":"%s","kernel":"%s","rows":[' "$(date -u +%FT%TZ)" "$(uname -r)"
	(IFS=,; printf '%s' "${ROWS[*]}")
	printf ']}\n'
} >"$HERE/last.json"
echo "written to bench/last.json"
