#!/usr/bin/env bash
# Golden captures: tests/golden/*.scn describe segments (mkpcap.pl writes the
# pcap) and the expected analysis: flag counts and the flags of each frame
# (`analyze --frames`), equal to tshark 4.0.17's and checked against tshark
# too when it is installed, stall causes and the link type. They cover what
# loopback does not produce: lwIP's 1-byte zero window probes, duplicate
# ACKs, fast/spurious retransmissions, lost and out-of-order segments,
# keep-alive ACKs, a silent peer; a case per rule of Wireshark 4.0.17's
# packet-tcp.c that the public corpus showed (tests/oracle/README.md): SYN/FIN
# copies, ACKed unseen segments once per hole, window_full before the peer's
# first ACK, unseen windows, reused ports, the first RTT, times going back,
# options cut by the snaplen, short segments, bad header lengths, TSO, IP
# lengths past the frame, the unacked-segment limit, a SYN copy after an RST;
# and the link types and encapsulations Ethernet, SLL, SLL2, raw IP, BSD
# loopback, IPv4, IPv6 (with an extension header), MPLS, QinQ, PPPoE, Cisco
# FabricPath, GTP-U, GENEVE, L2TP, GRE, IP in IP, IPv6 in IPv4.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
GOLDEN=$(cd "$HERE/../golden" && pwd)
have_tshark=0
command -v tshark >/dev/null && have_tshark=1
files=("$GOLDEN"/*.scn)
plan $((${#files[@]} * 7))
FLAGS="zero_window zero_window_probe zero_window_probe_ack lost_segment keep_alive window_update
	window_full keep_alive_ack duplicate_ack ack_lost_segment retransmission fast_retransmission
	spurious_retransmission out_of_order reused_ports"

# tshark_frames PCAP: "N:flag,flag ..." of each frame with analysis flags, in
# probelock's flag order (as `analyze --frames`).
tshark_frames() {
	local args=() f
	for f in $FLAGS; do args+=(-e "tcp.analysis.$f"); done
	tshark -n -r "$1" -T fields -E occurrence=f -e frame.number "${args[@]}" 2>/dev/null |
		perl -e 'my @F = split " ", shift; my @o;
			while (<STDIN>) { chomp; my ($n, @v) = split /\t/, $_, -1;
				my @s = map { $F[$_] } grep { defined $v[$_] && $v[$_] ne "" } 0 .. $#F;
				push @o, "$n:" . join(",", @s) if @s }
			print join(" ", @o) || "none"' "$FLAGS"
}

for scn in "${files[@]}"; do
	name=$(basename "$scn" .scn)
	perl "$HERE/mkpcap.pl" "$scn" "$TMP/$name.pcap"
	"$BIN/probelock" analyze --frames --json "$TMP/$name.pcap" >"$TMP/$name.json"
	want=$(sed -n 's/^expect flags //p' "$scn")
	got=$(json "$TMP/$name.json" 'my $t = $d->{flags_total}; join " ", map { "$_=$t->{$_}" } grep { $t->{$_} } sort keys %$t')
	is "$got" "$want" "$name: flag counts"
	frames=$(sed -n 's/^expect frames //p' "$scn")
	is "$(json "$TMP/$name.json" 'join(" ", map { "$_->{frame}:" . join(",", @{$_->{flags}}) } @{$d->{frames}}) || "none"')" \
		"$frames" "$name: the flags of each frame"
	# The text form (README "Seeing it on the wire"): a count line, then
	# "frame N conn C a_to_b|b_to_a flag,flag" per frame, as in the JSON.
	"$BIN/probelock" analyze --frames "$TMP/$name.pcap" >"$TMP/$name.txt"
	is "$(sed -n '/^frames with analysis flags: /,$p' "$TMP/$name.txt")" \
		"$(json "$TMP/$name.json" 'join "\n", "frames with analysis flags: " . scalar(@{$d->{frames}}),
			map { "frame $_->{frame} conn $_->{connection} $_->{direction} " . join(",", @{$_->{flags}}) } @{$d->{frames}}')" \
		"$name: --frames text lines"
	is "$(json "$TMP/$name.json" 'join(",", map { "$_->{cause}/$_->{ended_by}" } @{$d->{connections}[0]{stalls}}) || "none"')" \
		"$(sed -n 's/^expect stalls //p' "$scn")" "$name: stall causes"
	is "$(json "$TMP/$name.json" '$d->{link_type}')" "$(sed -n 's/^expect link //p' "$scn")" "$name: link type"
	if [ $have_tshark = 1 ]; then
		diff=$(perl "$HERE/tshark-counts.pl" "$TMP/$name.pcap" 2>/dev/null | while read -r flag n; do
			ours=$(json "$TMP/$name.json" "\$d->{flags_total}{$flag}"); [ "$ours" = "$n" ] || echo "$flag ours=$ours tshark=$n"; done)
		is "$diff" "" "$name: every count equals tshark's"
		is "$(tshark_frames "$TMP/$name.pcap")" "$frames" "$name: every frame's flags equal tshark's"
	else
		echo "ok $((_n += 1)) # skip tshark not installed"
		echo "ok $((_n += 1)) # skip tshark not installed"
	fi
done
done_testing
