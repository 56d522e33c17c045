#!/usr/bin/env bash
# The malformed capture corpus (tests/fuzz/mkcaptures.pl writes it; it also
# seeds the capture fuzz target): what `probelock analyze` makes of each file.
# Unreadable: exit 1 naming the file, the offset and the cause, nothing
# written. Read in part: exit 0, the result of what came before and where it
# stopped. Frames that are not TCP segments: counted as skipped, by reason.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
plan 19
perl "$HERE/../fuzz/mkcaptures.pl" "$TMP/c"
cd "$TMP/c" || exit 1

# an FILE [ARGS]: exit status, stderr and the JSON document (if any) of the analysis.
an() { "$BIN/probelock" analyze --json "$@" >"$TMP/out.json" 2>"$TMP/err"; echo $? >"$TMP/rc"; }
rc() { cat "$TMP/rc"; }
jq_() { json "$TMP/out.json" "$1"; }
summary() { json "$TMP/out.json" 'my $s = $d->{skipped}; "$d->{packets}/$d->{tcp_segments} " . join(",", map {"$_=$s->{$_}"} grep {$s->{$_}} sort keys %$s)'; }

an bad-magic.pcap --plot "$TMP/p1"
is "$(rc):$(cat "$TMP/err")" "1:probelock analyze: bad-magic.pcap: offset 0: unknown file format" "wrong magic: exit 1, file, offset and cause"
[ ! -e "$TMP/p1" ] && [ ! -s "$TMP/out.json" ]
ok $? "wrong magic: nothing written (no JSON, no plot directory)"

an cut-header.pcap
is "$(rc):$(grep -c 'cut-header.pcap: offset 0: truncated dump file' "$TMP/err")" "1:1" "cut file header: exit 1, says truncated"

an cut-record.pcap --plot "$TMP/p2"
is "$(rc):$(summary)" "0:1/1 " "cut record: exit 0, the packet before it analysed"
is "$(jq_ '$d->{read_error}')" "cut-record.pcap: offset 94: truncated dump file; tried to read 154 captured bytes, only got 14" \
	"cut record: read_error says where and why"
grep -q "warning: cut-record.pcap: offset 94" "$TMP/err"
ok $? "cut record: a warning on stderr"
grep -q "no connection was seen both ways: nothing to plot" "$TMP/err" && [ ! -e "$TMP/p2" ]
ok $? "cut record: a SYN alone is not plotted (said so, no empty directory)"

an caplen-over-snaplen.pcap
is "$(rc):$(summary):$(jq_ '$d->{snaplen}')" "0:1/1 :128" "caplen beyond the snaplen: read, cut to the snaplen"

an zero-length.pcap
is "$(rc):$(summary)" "0:3/2 truncated=1" "zero-length record: skipped as truncated, the others read"

an ipv6-ext-headers.pcap
is "$(rc):$(summary):$(jq_ '$d->{flags_total}{syn}')" "0:2/2 :1" "IPv6 hop-by-hop, destination options and routing headers: TCP found behind them"

an ipv4-options.pcap
is "$(rc):$(summary):$(jq_ 'scalar(@{$d->{connections}}) . " " . $d->{connections}[0]{packets} . " syn=" . $d->{flags_total}{syn}')" \
	"0:2/2 :1 2 syn=1" "IPv4 options: TCP found after them, one connection of 2 packets, its SYN"

an fragments.pcap
is "$(rc):$(summary)" "0:4/1 fragment=3" "fragments (IPv4 first and later, IPv6 fragment header): skipped as fragments"

an non-tcp.pcap
is "$(rc):$(summary)" "0:4/1 not_ip=1,not_tcp=2" "UDP, ICMP, ARP: skipped by reason; the TCP segment read"

an pcapng-two-interfaces.pcapng
is "$(rc):$(summary):$(jq_ '$d->{link_type}')" "0:2/2 :EN10MB" "pcapng, two interfaces of one link type: both read"

an pcapng-two-snaplens.pcapng
is "$(rc)" "1" "pcapng, interfaces with different snaplens: exit 1"
grep -q "snapshot length 128 different from .* split the capture per interface first" "$TMP/err"
ok $? "pcapng, different snaplens: libpcap's cause and what to do"

an pcapng-two-link-types.pcapng
is "$(rc)" "1" "pcapng, interfaces with different link types: exit 1"
grep -q "type 101 different from .* split the capture per interface first" "$TMP/err"
ok $? "pcapng, different link types: libpcap's cause and what to do"

# The text output of a partial read goes to stdout whole, the warning to stderr.
"$BIN/probelock" analyze cut-record.pcap >"$TMP/txt" 2>/dev/null
grep -q "read stopped early: cut-record.pcap: offset 94" "$TMP/txt"
ok $? "cut record, text output: says where the read stopped"
done_testing
