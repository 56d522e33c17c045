#!/usr/bin/env perl
# mkpcap.pl SCENARIO OUT.pcap: writes a pcap of TCP segments described one per
# line (tests' golden captures). Lines:
#   link eth|sll|sll2|raw|null      link type (default eth)
#   ip 4|6                          address family (default 4)
#   ext                             IPv6: put a hop-by-hop header before TCP
#   T DIR FLAGS SEQ ACK WIN LEN [ws=N]
#     T seconds; DIR '>' A->B or '<' B->A; FLAGS from S F R P A '.' (ACK is
#     implied unless the flags are exactly S); LEN payload bytes (zeros).
#   expect ..., # ...               ignored here (read by the test)
# A = 198.18.0.1:40000, B = 198.18.0.2:7 (IPv6 2001:db8::1, 2001:db8::2):
# nothing is sent anywhere, the addresses only fill the headers.
use strict;
use warnings;

my ($in, $out) = @ARGV;
die "usage: mkpcap.pl SCENARIO OUT.pcap\n" unless defined $out;
my %dlt = (eth => 1, raw => 101, sll => 113, sll2 => 276, null => 0);
my ($link, $ip, $ext) = ('eth', 4, 0);
my @pk;
open my $fh, '<', $in or die "$in: $!";
while (<$fh>) {
	s/#.*//;
	next if /^\s*$/ || /^\s*expect/;
	if (/^\s*link\s+(\S+)/) { $link = $1; die "$in:$.: link $1?\n" unless exists $dlt{$1}; next }
	if (/^\s*ip\s+([46])/) { $ip = $1; next }
	if (/^\s*ext\b/) { $ext = 1; next }
	my ($t, $dir, $fl, $seq, $ack, $win, $len, @opt) = split;
	die "$in:$.: need T DIR FLAGS SEQ ACK WIN LEN\n" unless defined $len;
	my %o = map { split /=/ } @opt;
	push @pk, [$t, $dir, $fl, $seq, $ack, $win, $len, $o{ws}];
}
open my $o, '>:raw', $out or die "$out: $!";
print $o pack('LSSlLLL', 0xa1b2c3d4, 2, 4, 0, 0, 65535, $dlt{$link});
for my $p (@pk) {
	my ($t, $dir, $fl, $seq, $ack, $win, $len, $ws) = @$p;
	my %f = map { $_ => 1 } split //, $fl;
	my $bits = ($f{F} ? 1 : 0) | ($f{S} ? 2 : 0) | ($f{R} ? 4 : 0) | ($f{P} ? 8 : 0);
	$bits |= 16 unless $fl eq 'S';
	my $opts = defined $ws ? pack('CCC C', 3, 3, $ws, 0) : '';
	my ($sp, $dp) = $dir eq '>' ? (40000, 7) : (7, 40000);
	my $tcp = pack('nnNNCCnnn', $sp, $dp, $seq, $dir eq '>' || 1 ? $ack : 0, (5 + length($opts) / 4) << 4,
		$bits, $win, 0, 0) . $opts . ("\0" x $len);
	my ($a, $b) = $ip == 4 ? (pack('C4', 198, 18, 0, 1), pack('C4', 198, 18, 0, 2))
		: (pack('n8', 0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), pack('n8', 0x2001, 0xdb8, 0, 0, 0, 0, 0, 2));
	($a, $b) = ($b, $a) if $dir eq '<';
	my $pkt;
	if ($ip == 4) {
		$pkt = pack('CCnnnCCn', 0x45, 0, 20 + length $tcp, 0, 0x4000, 64, 6, 0) . $a . $b . $tcp;
	} else {
		my $hbh = $ext ? pack('CCCCCCCC', 6, 0, 1, 4, 0, 0, 0, 0) : '';
		$pkt = pack('NnCC', 0x60000000, length($hbh) + length $tcp, $ext ? 0 : 6, 64) . $a . $b . $hbh . $tcp;
	}
	my $et = $ip == 4 ? 0x0800 : 0x86dd;
	if ($link eq 'eth') { $pkt = pack('H12H12n', '020000000002', '020000000001', $et) . $pkt }
	elsif ($link eq 'sll') { $pkt = pack('nnnH16n', 0, 1, 6, '0200000000010000', $et) . $pkt }
	elsif ($link eq 'sll2') { $pkt = pack('nnNnCCH16', $et, 0, 1, 1, 0, 6, '0200000000010000') . $pkt }
	elsif ($link eq 'null') { $pkt = pack('L', $ip == 4 ? 2 : 30) . $pkt }
	my $sec = int $t;
	my $usec = int(($t - $sec) * 1e6 + 0.5);
	print $o pack('LLLL', $sec, $usec, length $pkt, length $pkt), $pkt;
}
close $o or die "$out: $!";
