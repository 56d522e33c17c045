#!/usr/bin/env perl
# tshark-counts.pl FILE: the TCP analysis counts of `tshark -r FILE -q -z expert`
# under probelock's flag names, one "name count" per line (tshark is only the
# test oracle). Retransmission counts follow Wireshark's expert items, which
# count fast and spurious retransmissions as retransmissions too.
use strict;
use warnings;

my %map = (
	'TCP Zero Window segment' => 'zero_window',
	'TCP Zero Window Probe' => 'zero_window_probe',
	'ACK to a TCP Zero Window Probe' => 'zero_window_probe_ack',
	'TCP keep-alive segment' => 'keep_alive',
	'ACK to a TCP keep-alive segment' => 'keep_alive_ack',
	'TCP window update' => 'window_update',
	'TCP window specified by the receiver is now completely full' => 'window_full',
	'This frame is a (suspected) retransmission' => 'retransmission',
	'This frame is a (suspected) fast retransmission' => 'fast_retransmission',
	'This frame is a (suspected) spurious retransmission' => 'spurious_retransmission',
	'This frame is a (suspected) out-of-order segment' => 'out_of_order',
	'Previous segment(s) not captured (common at capture start)' => 'lost_segment',
	"ACKed segment that wasn't captured (common at capture start)" => 'ack_lost_segment',
	'Connection reset (RST)' => 'rst',
	'A new tcp session is started with the same ports as an earlier session in this trace' => 'reused_ports',
);
my %n = map { $_ => 0 } values %map;
$n{duplicate_ack} = 0;
open my $t, '-|', 'tshark', '-n', '-r', $ARGV[0], '-q', '-z', 'expert' or die "tshark: $!";
while (<$t>) {
	next unless /^\s+(\d+)\s+\S+\s+TCP\s+(.*?)\s*$/;
	my ($count, $summary) = ($1, $2);
	if ($summary =~ /^Duplicate ACK \(#\d+\)$/) { $n{duplicate_ack} += $count; next }
	$n{$map{$summary}} += $count if exists $map{$summary};
}
close $t;
print "$_ $n{$_}\n" for sort keys %n;
