#!/usr/bin/perl
# stall-audit.pl DIR: every result document under DIR (tcpecho --json output, client.json,
# cells.jsonl lines) that has both elapsed_s and stall.total_s: prints "audited N" and, per
# document whose stall time exceeds its elapsed time, "over FILE: stall S > elapsed E".
# lib.sh runs it on each test's temp dir before removing it when PROBELOCK_STALL_AUDIT is set
# (make test sets it); tests/proc/99-stall-audit.t reads the sum.
use strict;
use warnings;
use File::Find;
use JSON::PP;

my ($dir) = @ARGV;
my ($n, @over) = (0);
my $json = JSON::PP->new->allow_nonref;
sub check {
	my ($d, $where) = @_;
	return unless ref $d eq 'HASH' && defined $d->{elapsed_s} && ref $d->{stall} eq 'HASH' &&
		defined $d->{stall}{total_s};
	$n++;
	# Both are printed with microsecond resolution: a microsecond of rounding is no excess.
	push @over, sprintf("over %s: stall %.6f > elapsed %.6f", $where, $d->{stall}{total_s}, $d->{elapsed_s})
		if $d->{stall}{total_s} > $d->{elapsed_s} + 1e-6;
}
find({ no_chdir => 1, wanted => sub {
	my $f = $File::Find::name;
	return unless -f $f && -s $f < 64 << 20 && $f =~ /\.(json|jsonl|out)$/;
	open my $fh, '<', $f or return;
	local $/;
	my $text = <$fh>;
	close $fh;
	my $doc = eval { $json->decode($text) };
	if (defined $doc) { check($doc, $f); return }
	my $line = 0;
	for (split /\n/, $text) {
		$line++;
		next unless /^\s*\{/;
		my $d = eval { $json->decode($_) };
		check($d, "$f:$line") if defined $d;
	}
} }, $dir) if -d $dir;
print "audited $n\n";
print "$_\n" for @over;
