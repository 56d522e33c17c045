#!/usr/bin/env bash
# Golden captures: tests/golden/*.scn describe segments (mkpcap.pl writes the
# pcap) and the expected analysis: flag counts (equal to tshark 4.0's; checked
# against tshark too when it is installed), stall causes and the link type.
# They cover what loopback does not produce: lwIP's 1-byte zero window probes,
# duplicate ACKs, fast/spurious retransmissions, lost and out-of-order
# segments, keep-alive ACKs, a silent peer, and the link types Ethernet, SLL,
# SLL2, raw IP and BSD loopback with IPv4, IPv6 and an IPv6 extension header.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
GOLDEN=$(cd "$HERE/../golden" && pwd)
have_tshark=0
command -v tshark >/dev/null && have_tshark=1
files=("$GOLDEN"/*.scn)
plan $((${#files[@]} * 4))

for scn in "${files[@]}"; do
	name=$(basename "$scn" .scn)
	perl "$HERE/mkpcap.pl" "$scn" "$TMP/$name.pcap"
	"$BIN/probelock" analyze --json "$TMP/$name.pcap" >"$TMP/$name.json"
	want=$(sed -n 's/^expect flags //p' "$scn")
	got=$(json "$TMP/$name.json" 'my $t = $d->{flags_total}; join " ", map { "$_=$t->{$_}" } grep { $t->{$_} } sort keys %$t')
	is "$got" "$want" "$name: flag counts"
	is "$(json "$TMP/$name.json" 'join(",", map { "$_->{cause}/$_->{ended_by}" } @{$d->{connections}[0]{stalls}}) || "none"')" \
		"$(sed -n 's/^expect stalls //p' "$scn")" "$name: stall causes"
	is "$(json "$TMP/$name.json" '$d->{link_type}')" "$(sed -n 's/^expect link //p' "$scn")" "$name: link type"
	if [ $have_tshark = 1 ]; then
		diff=$(perl "$HERE/tshark-counts.pl" "$TMP/$name.pcap" 2>/dev/null | while read -r flag n; do
			ours=$(json "$TMP/$name.json" "\$d->{flags_total}{$flag}"); [ "$ours" = "$n" ] || echo "$flag ours=$ours tshark=$n"; done)
		is "$diff" "" "$name: every count equals tshark's"
	else
		echo "ok $((_n += 1)) # skip tshark not installed"
	fi
done
done_testing
