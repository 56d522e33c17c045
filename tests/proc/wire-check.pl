#!/usr/bin/env perl
# wire-check.pl PCAP CLIENT_JSON: what the wire did after tcpecho's verdict.
# The verdict's time is the client's deadlock.detected_s, or, without a
# deadlock, the time of the abort (alarm, interrupt): abort.at_s; both from
# t0_unix. Prints one line:
#   verdict=T rst_after=S|none rst_after_abort=S|none new_data_after=BYTES acked_after=BYTES
# rst_after: from the verdict to the first RST on the wire; rst_after_abort:
# from the client's abort (after a hold, later than the verdict).
# new_data_after: bytes beyond the highest sequence either side had sent before
# the verdict and that the peer then acknowledged, plus data segments beyond it
# that are not 1-byte zero-window probes; acked_after: bytes acknowledged after
# the verdict beyond what was acknowledged before it. "verdict=none" when the
# client gave no verdict. Reads the capture with tshark (the tests' oracle).
use strict;
use warnings;
use JSON::PP;

my ($pcap, $json) = @ARGV;
die "usage: wire-check.pl PCAP CLIENT_JSON\n" unless defined $json;
my $d = do { local $/; open my $f, '<', $json or die "$json: $!\n"; decode_json(<$f>) };
my $t0 = $d->{t0_unix};
my $rel;
if ($d->{deadlock} && !$d->{deadlock}{resolved}) {
	$rel = $d->{deadlock}{detected_s};
} elsif ($d->{abort}) {
	$rel = $d->{abort}{at_s};
}
unless (defined $rel && defined $t0) {
	print "verdict=none\n";
	exit 0;
}
my $verdict = $t0 + $rel;
my $abort = $d->{abort} ? $t0 + $d->{abort}{at_s} : undef;

open my $t, '-|', 'tshark', '-n', '-r', $pcap, '-T', 'fields', '-E', 'separator=,',
	'-e', 'frame.time_epoch', '-e', 'tcp.srcport', '-e', 'tcp.seq', '-e', 'tcp.len', '-e', 'tcp.ack',
	'-e', 'tcp.flags.reset', '-e', 'tcp.flags.ack' or die "tshark: $!\n";
my (%maxend, %maxack, $rst);
my ($new_data, $acked) = (0, 0);
while (<$t>) {
	chomp;
	my ($ts, $sport, $seq, $len, $ack, $r, $a) = split /,/;
	next unless defined $a && length $ts;
	$r = ($r // '') =~ /^(1|True)$/i ? 1 : 0;
	if ($ts <= $verdict) {
		$maxend{$sport} = $seq + $len if !defined $maxend{$sport} || $seq + $len > $maxend{$sport};
		$maxack{$sport} = $ack if $a && $ack && (!defined $maxack{$sport} || $ack > $maxack{$sport});
		next;
	}
	if ($r) {
		$rst //= $ts;
		next;
	}
	# New data: beyond what this side had sent, except a 1-byte window probe.
	if ($len > 1 && defined $maxend{$sport} && $seq + $len > $maxend{$sport}) {
		$new_data += $seq + $len - $maxend{$sport};
		$maxend{$sport} = $seq + $len;
	}
	if ($a && defined $maxack{$sport} && $ack > $maxack{$sport}) {
		$acked += $ack - $maxack{$sport};
		$maxack{$sport} = $ack;
	}
}
close $t;
printf "verdict=%.6f rst_after=%s rst_after_abort=%s new_data_after=%d acked_after=%d\n", $verdict,
	defined $rst ? sprintf("%.6f", $rst - $verdict) : 'none',
	defined $rst && defined $abort ? sprintf("%.6f", $rst - $abort) : 'none', $new_data, $acked;
