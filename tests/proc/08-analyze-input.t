#!/usr/bin/env bash
# Captures that are incomplete or not captures at all: a correct partial
# result or a clear error (file, offset, cause), a non-zero exit only when
# nothing could be read, never a crash (make SAN=1 test runs this under ASan).
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # skip needs root (CAP_NET_RAW) to make its captures"
	exit 0
fi
plan 19
P="$BIN/probelock"

# The draft's deadlock, captured twice at once: snaplen 128 and 64.
start_echod D --mode blocking --app-buf 8192 --sndbuf 16384 --rcvbuf 16384
for s in 128 64; do
	"$P" capture lo "$TMP/s$s.pcap" --snaplen "$s" --filter "tcp port $D_PORT" >"$TMP/c$s.out" 2>&1 &
	track $!
	eval "C$s=$!"
done
for s in 128 64; do for i in $(seq 100); do grep -q capturing "$TMP/c$s.out" && break; sleep 0.05; done; done
"$BIN/tcpecho" -p "$D_PORT" --sndbuf 16384 --rcvbuf 16384 --payload 300000 --no-abort -a 2 127.0.0.1 >/dev/null
sleep 0.3
stop_pid "$C128"
stop_pid "$C64"

# No SYN: the handshake filtered out.
tcpdump -r "$TMP/s128.pcap" -w "$TMP/nosyn.pcap" 'tcp[tcpflags] & tcp-syn == 0' 2>/dev/null
"$P" analyze --json "$TMP/nosyn.pcap" >"$TMP/nosyn.json"
is "$?:$(json "$TMP/nosyn.json" '$d->{connections}[0]{window_scale}{a}'):$(json "$TMP/nosyn.json" '$d->{connections}[0]{syn_seen}')" \
	"0:unknown:false" "no SYN: exit 0, window scale unknown, SYN not seen"
is "$(json "$TMP/nosyn.json" '$d->{flags_total}{window_full}')" 0 "no SYN: window_full is not evaluated"
is "$(json "$TMP/nosyn.json" 'join ",", map { $_->{cause} } @{$d->{connections}[0]{stalls}}')" probe_deadlock \
	"no SYN: the deadlock is still found"
"$P" analyze "$TMP/nosyn.pcap" | grep -q "no SYN captured: window_full is not evaluated"
ok $? "no SYN: the text summary says so"

# Snaplen 64: headers cut inside the TCP options. tshark 4.0.17's dissection
# of such a frame stops in its options, after the analysis and before its
# flags are shown: the counts follow it (no flag on those frames), the
# state does not stop, and the stall tracker still sees the probes.
"$P" analyze --json "$TMP/s64.pcap" >"$TMP/s64.json"
"$P" analyze --json "$TMP/s128.pcap" >"$TMP/s128.json"
is "$?:$(json "$TMP/s64.json" '$d->{snaplen}')" "0:64" "snaplen 64: exit 0, snaplen reported"
is "$(json "$TMP/s64.json" '$d->{connections}[0]{window_scale}{a}')" unknown \
	"snaplen 64: the SYN's options were cut, so window scaling is unknown"
if command -v tshark >/dev/null; then
	diff=$(perl "$HERE/tshark-counts.pl" "$TMP/s64.pcap" 2>/dev/null | while read -r flag n; do
		ours=$(json "$TMP/s64.json" "\$d->{flags_total}{$flag}"); [ "$ours" = "$n" ] || echo "$flag ours=$ours tshark=$n"; done)
	is "$diff" "" "snaplen 64: every flag count equals tshark's (none shown on frames with cut options)"
else
	echo "ok $((_n += 1)) # skip tshark not installed"
fi
is "$(json "$TMP/s64.json" '$d->{flags_total}{window_full}')" 0 "snaplen 64: window_full is not evaluated"
is "$(json "$TMP/s64.json" 'join ",", map { $_->{cause} } @{$d->{connections}[0]{stalls}}')" probe_deadlock \
	"snaplen 64: the deadlock is found"

# An empty file, a file that is not a capture, a cut file header.
: >"$TMP/empty.pcap"
"$P" analyze "$TMP/empty.pcap" >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "1:probelock analyze: $TMP/empty.pcap: empty file, not a capture (no pcap or pcapng header)" \
	"empty file: exit 1, says it is empty"
"$P" analyze "$HERE/lib.sh" >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "1:probelock analyze: $HERE/lib.sh: offset 0: unknown file format" \
	"not a capture: exit 1, names file, offset and cause"
head -c 10 "$TMP/s128.pcap" >"$TMP/cuthdr.pcap"
"$P" analyze "$TMP/cuthdr.pcap" >/dev/null 2>"$TMP/err"
is "$?" 1 "file header cut: exit 1"
grep -q "cuthdr.pcap: offset 0: truncated dump file" "$TMP/err"
ok $? "file header cut: names file, offset and cause"
"$P" analyze "$TMP/missing.pcap" >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "1:probelock analyze: $TMP/missing.pcap: No such file or directory" "missing file: exit 1"

# A header and no packet: read, nothing in it.
head -c 24 "$TMP/s128.pcap" >"$TMP/hdr.pcap"
"$P" analyze --json "$TMP/hdr.pcap" >"$TMP/hdr.json"
is "$?:$(json "$TMP/hdr.json" '$d->{packets}'):$(json "$TMP/hdr.json" 'scalar @{$d->{connections}}')" "0:0:0" \
	"header only: exit 0, no packet, no connection"

# A path that is not UTF-8 (a Linux file name is any bytes): valid JSON, each
# byte that does not start a UTF-8 character given as U+FFFD.
cp "$TMP/hdr.pcap" "$TMP/bad-"$'\xff\xe2\x82'"-name.pcap"
"$P" analyze --json "$TMP/bad-"$'\xff\xe2\x82'"-name.pcap" >"$TMP/bad.json"
is "$?:$(json "$TMP/bad.json" '$d->{file}')" "0:$TMP/bad-"$'\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd'"-name.pcap" \
	"path not UTF-8: exit 0, valid JSON, the bad bytes as U+FFFD"

# Cut in the middle of a record: a partial result, with where it stopped.
size=$(stat -c %s "$TMP/s128.pcap")
head -c $((size * 2 / 3)) "$TMP/s128.pcap" >"$TMP/cut.pcap"
"$P" analyze --json "$TMP/cut.pcap" >"$TMP/cut.json" 2>"$TMP/err"
is "$?" 0 "cut mid-record: exit 0 (a partial result)"
json "$TMP/cut.json" '$d->{read_error}' | grep -Eq "cut.pcap: offset [0-9]+: truncated dump file"
ok $? "cut mid-record: read_error names file, offset and cause"
perl -e 'exit !($ARGV[0] > 5)' "$(json "$TMP/cut.json" '$d->{packets}')"
ok $? "cut mid-record: the packets before the cut are analysed ($(json "$TMP/cut.json" '$d->{packets}'))"
done_testing
