#!/usr/bin/env perl
# mkpcap.pl SCENARIO OUT.pcap: writes a pcap of TCP segments described one per
# line (tests' golden captures). Lines:
#   link eth|sll|sll2|raw|null      link type (default eth)
#   ip 4|6                          address family (default 4)
#   ext                             IPv6: put a hop-by-hop header before TCP
#   encap KIND                      every packet inside KIND: vlan (802.1Q),
#                                   qinq (802.1ad then 802.1Q), qinq9100 (the old
#                                   0x9100 tag), mpls (two labels), 6in4 (IPv6 in
#                                   IPv4, ip 6), ipip (IPv4 in IPv4), gre, gtpu (GTP-U
#                                   on UDP 2152, in IPv4), geneve (Ethernet in GENEVE
#                                   on UDP 6081, in IPv4), l2tp (PPP in L2TPv2 on UDP
#                                   1701, in IPv4), pppoe (PPPoE session),
#                                   cfp (Cisco FabricPath)
#   repeat N                        the next segment line N times, each one LEN
#                                   further in seq and 0.0001 s later
#   T DIR FLAGS SEQ ACK WIN LEN [opt=value ...]
#     T seconds; DIR '>' A->B or '<' B->A; FLAGS from S F R P A '.' (ACK is
#     implied unless the flags are exactly S); LEN payload bytes (zeros).
#     Options: ws=N (window scale), mss=N, sackok=1, ts=1 (timestamps) put
#     TCP options in that order; hlen=N sets the TCP header length field
#     (bytes); iplen=N sets the IPv4 total length (0: TSO's; more than the
#     frame: a frame shorter than its IP length); cap=N captures only the
#     first N bytes of the frame (a snaplen cut).
#   expect ..., # ...               ignored here (read by the test)
# A = 198.18.0.1:40000, B = 198.18.0.2:7 (IPv6 2001:db8::1, 2001:db8::2):
# nothing is sent anywhere, the addresses only fill the headers.
use strict;
use warnings;

my ($in, $out) = @ARGV;
die "usage: mkpcap.pl SCENARIO OUT.pcap\n" unless defined $out;
my %dlt = (eth => 1, raw => 101, sll => 113, sll2 => 276, null => 0);
my %encaps = map { $_ => 1 } qw(vlan qinq qinq9100 mpls 6in4 ipip gre gtpu geneve l2tp pppoe cfp);
my ($link, $ip, $ext, $encap, $repeat) = ('eth', 4, 0, '', 1);
my @pk;
open my $fh, '<', $in or die "$in: $!";
while (<$fh>) {
	s/#.*//;
	next if /^\s*$/ || /^\s*expect/;
	if (/^\s*link\s+(\S+)/) { $link = $1; die "$in:$.: link $1?\n" unless exists $dlt{$1}; next }
	if (/^\s*ip\s+([46])/) { $ip = $1; next }
	if (/^\s*ext\b/) { $ext = 1; next }
	if (/^\s*encap\s+(\S+)/) { $encap = $1; die "$in:$.: encap $1?\n" unless $encaps{$1}; next }
	if (/^\s*repeat\s+(\d+)/) { $repeat = $1; next }
	my ($t, $dir, $fl, $seq, $ack, $win, $len, @opt) = split;
	die "$in:$.: need T DIR FLAGS SEQ ACK WIN LEN\n" unless defined $len;
	my %o = map { split /=/ } @opt;
	for my $i (0 .. $repeat - 1) {
		push @pk, [$t + $i * 0.0001, $dir, $fl, ($seq + $i * $len) % 2**32, $ack, $win, $len, \%o];
	}
	$repeat = 1;
}

sub ipv4 { # ipv4 PROTO SRC DST PAYLOAD [TOTAL]
	my ($proto, $a, $b, $payload, $total) = @_;
	return pack('CCnnnCCn', 0x45, 0, $total // 20 + length $payload, 0, 0x4000, 64, $proto, 0) . $a . $b . $payload;
}

my @v4 = (pack('C4', 198, 18, 0, 1), pack('C4', 198, 18, 0, 2));
my @v6 = (pack('n8', 0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), pack('n8', 0x2001, 0xdb8, 0, 0, 0, 0, 0, 2));
open my $fo, '>:raw', $out or die "$out: $!";
print $fo pack('LSSlLLL', 0xa1b2c3d4, 2, 4, 0, 0, 65535, $dlt{$link});
for my $p (@pk) {
	my ($t, $dir, $fl, $seq, $ack, $win, $len, $o) = @$p;
	my %f = map { $_ => 1 } split //, $fl;
	my $bits = ($f{F} ? 1 : 0) | ($f{S} ? 2 : 0) | ($f{R} ? 4 : 0) | ($f{P} ? 8 : 0);
	$bits |= 16 unless $fl eq 'S';
	my $opts = '';
	$opts .= pack('CCn', 2, 4, $o->{mss}) if defined $o->{mss};
	$opts .= pack('CC', 4, 2) if $o->{sackok};
	$opts .= pack('CCNN', 8, 10, 1000 + int($t * 1000), 0) if $o->{ts};
	$opts .= pack('CCC', 3, 3, $o->{ws}) if defined $o->{ws};
	$opts .= "\0" x ((4 - length($opts) % 4) % 4);
	my $hlen = $o->{hlen} // 20 + length $opts;
	my ($sp, $dp) = $dir eq '>' ? (40000, 7) : (7, 40000);
	my $tcp = pack('nnNNCCnnn', $sp, $dp, $seq, $ack, ($hlen / 4) << 4, $bits, $win, 0, 0) . $opts . ("\0" x $len);
	my $six = $ip == 6 || $encap eq '6in4';
	my ($a, $b) = $six ? @v6 : @v4;
	($a, $b) = ($b, $a) if $dir eq '<';
	my $pkt;
	if (!$six) {
		$pkt = ipv4(6, $a, $b, $tcp, $o->{iplen});
	} else {
		my $hbh = $ext ? pack('CCCCCCCC', 6, 0, 1, 4, 0, 0, 0, 0) : '';
		$pkt = pack('NnCC', 0x60000000, length($hbh) + length $tcp, $ext ? 0 : 6, 64) . $a . $b . $hbh . $tcp;
	}
	my $et = $six ? 0x86dd : 0x0800;
	my ($oa, $ob) = $dir eq '<' ? reverse(@v4) : @v4;
	if ($encap eq '6in4') { $pkt = ipv4(41, $oa, $ob, $pkt); $et = 0x0800 }
	elsif ($encap eq 'ipip') { $pkt = ipv4(4, $oa, $ob, $pkt); $et = 0x0800 }
	elsif ($encap eq 'gre') { $pkt = ipv4(47, $oa, $ob, pack('nn', 0x2000, $et) . pack('N', 42) . $pkt); $et = 0x0800 }
	elsif ($encap eq 'gtpu') {
		my $g = pack('CCnN', 0x30, 0xff, length $pkt, 0x1234) . $pkt;
		$pkt = ipv4(17, $oa, $ob, pack('nnnn', 2152, 2152, 8 + length $g, 0) . $g);
		$et = 0x0800;
	}
	elsif ($encap eq 'geneve') {
		my $g = pack('CCnN', 0, 0, 0x6558, 0x123400) . pack('H12H12n', '020000000004', '020000000003', $et) . $pkt;
		$pkt = ipv4(17, $oa, $ob, pack('nnnn', 40001, 6081, 8 + length $g, 0) . $g);
		$et = 0x0800;
	}
	elsif ($encap eq 'l2tp') {
		my $l = pack('nnnnn', 0x0002, 7, 9, 0xff03, $six ? 0x0057 : 0x0021) . $pkt;
		$pkt = ipv4(17, $oa, $ob, pack('nnnn', 1701, 1701, 8 + length $l, 0) . $l);
		$et = 0x0800;
	}
	elsif ($encap eq 'pppoe') { $pkt = pack('CCnnn', 0x11, 0, 1, 2 + length $pkt, $six ? 0x0057 : 0x0021) . $pkt; $et = 0x8864 }
	elsif ($encap eq 'mpls') { $pkt = pack('NN', (100 << 12) | 64, (200 << 12) | 0x100 | 64) . $pkt; $et = 0x8847 }
	if ($link eq 'eth') {
		my $tags = $encap eq 'vlan' ? pack('n', 0x8100) . pack('nn', 5, $et)
			: $encap eq 'qinq' ? pack('n', 0x88a8) . pack('nn', 10, 0x8100) . pack('nn', 5, $et)
			: $encap eq 'qinq9100' ? pack('n', 0x9100) . pack('nn', 10, $et)
			: pack('n', $et);
		$pkt = pack('H12H12', '020000000002', '020000000001') . $tags . $pkt;
		# FabricPath: outer addresses, 0x8903 and FTAG/TTL, the frame, its FCS.
		$pkt = pack('H12H12nn', '02000000000b', '02000000000a', 0x8903, 0x0120) . $pkt . "\0\0\0\0" if $encap eq 'cfp';
	}
	elsif ($link eq 'sll') { $pkt = pack('nnnH16n', 0, 1, 6, '0200000000010000', $et) . $pkt }
	elsif ($link eq 'sll2') { $pkt = pack('nnNnCCH16', $et, 0, 1, 1, 0, 6, '0200000000010000') . $pkt }
	elsif ($link eq 'null') { $pkt = pack('L', $six ? 30 : 2) . $pkt }
	my $sec = int $t;
	my $usec = int(($t - $sec) * 1e6 + 0.5);
	my $wire = length $pkt;
	my $cap = defined $o->{cap} && $o->{cap} < $wire ? $o->{cap} : $wire;
	print $fo pack('LLLL', $sec, $usec, $cap, $wire), substr($pkt, 0, $cap);
}
close $fo or die "$out: $!";
