#!/usr/bin/env bash
# Valgrind memcheck runs of echod (event and blocking: echo, many connections,
# half-close, resets, never-readers, SIGTERM), tcpecho (every mode, a deadlock
# ended by the detector, a corrupted echo, a refused connect) and probelock
# analyze (the golden captures, the malformed corpus and a live capture, with
# --json, --excerpt and --plot): no invalid access, no definite or indirect
# leak. Each program exits 99 when memcheck found an error; the logs are
# shown when it did. Skipped under SAN=1 (ASan binaries do not run under
# valgrind; LeakSanitizer covers those runs).
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
if [ "${PROBELOCK_SAN:-0}" = 1 ]; then
	echo "1..0 # SKIP ASan build (LeakSanitizer checks these runs instead)"
	exit 0
fi
if ! command -v valgrind >/dev/null; then
	echo "1..0 # SKIP valgrind is not installed (scripts/deps.sh installs it)"
	exit 1
fi
plan 23
REAL=$BIN
VG=$TMP/vgbin
mkdir -p "$VG" "$TMP/vg"
for p in echod tcpecho probelock; do
	cat >"$VG/$p" <<SH
#!/bin/sh
exec valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \\
	--errors-for-leak-kinds=definite,indirect --log-file="$TMP/vg/$p-%p.log" "$REAL/$p" "\$@"
SH
	chmod +x "$VG/$p"
done
# vgcheck NAME: every log of NAME is free of errors (prints the first one otherwise).
vgcheck() {
	local bad
	bad=$(grep -l "ERROR SUMMARY: [1-9]\|definitely lost\|indirectly lost\|Invalid \|uninitialised" "$TMP"/vg/"$1"-*.log 2>/dev/null | head -1)
	[ -z "$bad" ] && return 0
	echo "# $bad:"; sed 's/^/#   /' "$bad" | head -30
	return 1
}

# echod under valgrind, tcpecho native.
for mode in event blocking; do
	BIN=$VG start_echod V --mode "$mode" --idle-timeout 20s
	BIN=$REAL
	"$BIN/tcpecho" -p "$V_PORT" --mode nonblocking --parallel 16 --payload 512K -a 60 --json 127.0.0.1 >"$TMP/v1.json"
	is "$?:$(json "$TMP/v1.json" '$d->{outcome}')" "0:completed" "echod $mode under valgrind: 16 connections echoed and verified"
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0]) or die;
		print $s "x" x 100000; shutdown($s, 1); my $n = 0; while (my $r = sysread($s, my $b, 65536)) { $n += $r } exit($n != 100000);
		' "$V_PORT"
	ok $? "echod $mode under valgrind: half-close echoed whole"
	perl -MIO::Socket::INET -MSocket -e '
		for (1..10) { my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0]) or die;
			print $s "y" x 50000; setsockopt($s, SOL_SOCKET, SO_LINGER, pack("ii", 1, 0)); close $s }
		my @keep; for (1..5) { my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0]) or die;
			$s->blocking(0); syswrite($s, "z" x 65536) for 1..40; push @keep, $s } sleep 1;' "$V_PORT"
	ok $? "echod $mode under valgrind: resets and never-readers"
	stop_pid "$V_PID"
	rc=$?
	is "$rc" 0 "echod $mode under valgrind: SIGTERM exits 0 (99: memcheck found errors)"
	vgcheck echod
	ok $? "echod $mode: memcheck clean (no invalid access, no leak)"
	mkdir -p "$TMP/vg/echod-$mode" && mv "$TMP"/vg/echod-*.log "$TMP/vg/echod-$mode/"
done

# tcpecho under valgrind, echod native.
start_echod E --mode event
start_echod D --mode blocking --app-buf 8192 --sndbuf 16384 --rcvbuf 16384
for m in blocking nonblocking chunked split aware; do
	extra=()
	[ "$m" = chunked ] && extra=(--chunk 4096)
	"$VG/tcpecho" -p "$E_PORT" --mode "$m" --payload 1M "${extra[@]}" -a 120 --json 127.0.0.1 >"$TMP/t.json"
	is "$?:$(json "$TMP/t.json" '$d->{outcome}')" "0:completed" "tcpecho --mode $m under valgrind: completed"
done
"$VG/tcpecho" -p "$E_PORT" --mode nonblocking --parallel 20 --payload 2M -a 120 --json 127.0.0.1 >"$TMP/t.json"
is "$?:$(json "$TMP/t.json" '$d->{outcome}')" "0:completed" "tcpecho --parallel 20 under valgrind: completed"
"$VG/tcpecho" -p "$D_PORT" --sndbuf 16384 --rcvbuf 16384 --payload 300000 -a 120 --json 127.0.0.1 >"$TMP/t.json"
is "$?:$(json "$TMP/t.json" '$d->{outcome}')" "3:deadlock" "tcpecho under valgrind: the draft's deadlock, ended by the detector"
start_bad flip 100000
"$VG/tcpecho" -p "$BAD_PORT" --payload 300000 -a 60 --json 127.0.0.1 >"$TMP/t.json"
is "$?:$(json "$TMP/t.json" '$d->{outcome}')" "6:corrupt" "tcpecho under valgrind: a corrupted echo"
"$VG/tcpecho" -p 1 --payload 1K -a 10 127.0.0.1 >/dev/null 2>&1
is "$?" 1 "tcpecho under valgrind: refused connect (exit 1)"
vgcheck tcpecho
ok $? "tcpecho: memcheck clean in all of these runs"

# probelock analyze under valgrind.
perl "$HERE/../fuzz/mkcaptures.pl" "$TMP/c"
for scn in "$HERE"/../golden/*.scn; do perl "$HERE/mkpcap.pl" "$scn" "$TMP/c/golden-$(basename "$scn" .scn).pcap"; done
"$REAL/probelock" capture lo "$TMP/c/live.pcap" --snaplen 128 --filter "tcp port $D_PORT" >"$TMP/cap.out" 2>&1 &
cpid=$!
track "$cpid"
for _ in $(seq 100); do grep -q "^capturing on lo" "$TMP/cap.out" && break; sleep 0.05; done
"$REAL/tcpecho" -p "$D_PORT" --sndbuf 16384 --rcvbuf 16384 --payload 300000 -a 20 127.0.0.1 >/dev/null 2>&1
sleep 0.3
stop_pid "$cpid"
n=0 fails=""
for f in "$TMP"/c/*; do
	"$VG/probelock" analyze --json "$f" >/dev/null 2>&1
	[ $? -eq 99 ] && fails="$fails $(basename "$f")"
	"$VG/probelock" analyze --excerpt --plot "$TMP/plots-$(basename "$f")" "$f" >/dev/null 2>&1
	[ $? -eq 99 ] && fails="$fails $(basename "$f")(text)"
	n=$((n + 1))
done
is "$fails" "" "probelock analyze under valgrind on $n captures (golden, malformed, live deadlock), JSON and text with plots"
ok "$([ -s "$TMP/plots-live.pcap/conn-0.png" ]; echo $?)" "the live capture's plot was drawn under valgrind"
vgcheck probelock
ok $? "probelock analyze: memcheck clean"
done_testing
