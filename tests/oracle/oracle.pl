#!/usr/bin/env perl
# oracle.pl [options] DIR: probelock analyze against tshark, frame by frame, on
# every capture in DIR (see tests/oracle/README.md). For each file it runs
# `probelock analyze --frames --json FILE` and `tshark -r FILE -T fields` with
# the tcp.analysis.* fields, and compares the set of analysis flags of every
# frame. Prints each frame whose sets differ (both verdicts), a line per file
# with differences, the files probelock cannot read (with the cause) and the
# totals. Exit 0 when no compared frame differs, 1 otherwise, 2 on usage.
#
#   --bin DIR         probelock's build/bin (default: build/bin beside tests/)
#   --jobs N          files analysed at once (default 1)
#   --cache DIR       keep tshark's answers there (keyed by path, size and
#                     mtime), to rerun quickly after a change of probelock
#   --only REGEX      only the files whose name matches
#   --max-lines N     differing frames printed per file (default 20; 0: all)
#   --summary FILE    also write the totals as JSON
use strict;
use warnings;
use File::Basename qw(dirname basename);
use File::Temp qw(tempdir);
use Getopt::Long;
use JSON::PP;
use POSIX qw(:sys_wait_h);

my $here = dirname(__FILE__);
my %o = (bin => "$here/../../build/bin", jobs => 1, 'max-lines' => 20);
GetOptions(\%o, 'bin=s', 'jobs=i', 'cache=s', 'only=s', 'max-lines=i', 'summary=s')
	or exit 2;
my $dir = shift or die "usage: oracle.pl [--bin DIR] [--jobs N] [--cache DIR] [--only RE] DIR\n";
-d $dir or die "oracle.pl: $dir: not a folder\n";
-x "$o{bin}/probelock" or die "oracle.pl: $o{bin}/probelock: not built (make all)\n";

# probelock's flag names and tshark's fields, one to one.
my @FLAGS = qw(zero_window zero_window_probe zero_window_probe_ack lost_segment keep_alive
	window_update window_full keep_alive_ack duplicate_ack ack_lost_segment retransmission
	fast_retransmission spurious_retransmission out_of_order reused_ports);

opendir my $dh, $dir or die "$dir: $!";
my @files = sort grep { -f "$dir/$_" && (!defined $o{only} || /$o{only}/) } readdir $dh;
closedir $dh;
my $tmp = tempdir(CLEANUP => 1);
if ($o{cache}) { -d $o{cache} or mkdir $o{cache} or die "$o{cache}: $!" }

# run CMD...: (stdout, stderr, exit code).
sub run {
	my ($out, $err) = ("$tmp/out.$$", "$tmp/err.$$");
	my $pid = fork // die "fork: $!";
	if (!$pid) {
		open STDOUT, '>', $out or die;
		open STDERR, '>', $err or die;
		exec @_ or exit 127;
	}
	waitpid $pid, 0;
	my $rc = $? >> 8;
	local $/;
	open my $f, '<', $out or die; my $o = <$f>; close $f;
	open $f, '<', $err or die; my $e = <$f>; close $f;
	unlink $out, $err;
	return ($o, $e, $rc);
}

# tshark's verdict: { frames => N, streams => N, flagged => { frame => "a,b" } }.
sub tshark {
	my ($path) = @_;
	my @st = stat $path;
	my $key;
	if ($o{cache}) {
		($key = "$path.$st[7].$st[9]") =~ s{[^\w.-]}{_}g;
		if (open my $f, '<', "$o{cache}/$key") { local $/; my $d = decode_json(<$f>); return $d }
	}
	my ($out, undef, $rc) = run('tshark', '-n', '-r', $path, '-T', 'fields', '-E', 'occurrence=f',
		'-e', 'frame.number', '-e', 'tcp.stream', map { ('-e', "tcp.analysis.$_") } @FLAGS);
	my %r = (frames => 0, streams => 0, tcp => 0, flagged => {}, rc => $rc);
	my %streams;
	for my $line (split /\n/, $out) {
		my ($num, $stream, @v) = split /\t/, $line, -1;
		next unless defined $num && $num =~ /^\d+$/;
		$r{frames}++;
		if (defined $stream && $stream ne '') {
			$streams{$stream} = 1;
			$r{tcp}++;
		}
		my @set = map { $FLAGS[$_] } grep { defined $v[$_] && $v[$_] ne '' } 0 .. $#FLAGS;
		$r{flagged}{$num} = join ',', @set if @set;
	}
	$r{streams} = keys %streams;
	if ($o{cache}) { open my $f, '>', "$o{cache}/$key" or die; print $f encode_json(\%r); close $f }
	return \%r;
}

# probelock's verdict, in the same form, or { error => cause }.
sub probelock {
	my ($path) = @_;
	my ($out, $err, $rc) = run("$o{bin}/probelock", 'analyze', '--frames', '--json', $path);
	if ($rc != 0) {
		(my $e = $err) =~ s/^probelock analyze: //;
		$e =~ s/\s+$//;
		$e =~ s/^\Q$path\E: //;
		return { error => $e, rc => $rc };
	}
	my $d = eval { decode_json($out) } or return { error => "no JSON: $@", rc => $rc };
	my %fl;
	my %order = map { $FLAGS[$_] => $_ } 0 .. $#FLAGS;
	for my $f (@{ $d->{frames} }) {
		my @s = sort { $order{$a} <=> $order{$b} } grep { exists $order{$_} } @{ $f->{flags} };
		$fl{ $f->{frame} } = join ',', @s if @s;
	}
	return { frames => $d->{packets}, segments => $d->{tcp_segments},
		connections => scalar @{ $d->{connections} }, flagged => \%fl, skipped => $d->{skipped},
		link => $d->{link_type}, read_error => $d->{read_error} };
}

# One file: both verdicts and the differing frames.
sub compare_file {
	my ($name) = @_;
	my $path = "$dir/$name";
	my $t = tshark($path);
	my $p = probelock($path);
	my %r = (file => $name, tshark => { frames => $t->{frames}, streams => $t->{streams},
		tcp => $t->{tcp}, flagged => scalar keys %{ $t->{flagged} } });
	my %tcount;
	$tcount{$_}++ for map { split /,/ } values %{ $t->{flagged} };
	$r{tshark}{counts} = \%tcount;
	if ($p->{error}) {
		$r{error} = $p->{error};
		return \%r;
	}
	my %pcount;
	$pcount{$_}++ for map { split /,/ } values %{ $p->{flagged} };
	$r{probelock} = { frames => $p->{frames}, segments => $p->{segments},
		connections => $p->{connections}, flagged => scalar keys %{ $p->{flagged} },
		counts => \%pcount, skipped => $p->{skipped}, link => $p->{link},
		read_error => $p->{read_error} };
	my %all = (%{ $t->{flagged} }, %{ $p->{flagged} });
	my @diff;
	for my $n (sort { $a <=> $b } keys %all) {
		my ($a, $b) = ($p->{flagged}{$n} // '', $t->{flagged}{$n} // '');
		push @diff, [$n, $a, $b] if $a ne $b;
	}
	$r{diff} = \@diff;
	return \%r;
}

# Run the files, N at a time; each child leaves its result in a file.
my @results;
{
	my %running;
	my $i = 0;
	my $next = 0;
	while ($next < @files || %running) {
		while ($next < @files && keys %running < $o{jobs}) {
			my $k = $next++;
			my $pid = fork // die "fork: $!";
			if (!$pid) {
				my $r = compare_file($files[$k]);
				open my $f, '>', "$tmp/r.$k" or die; print $f encode_json($r); close $f;
				exit 0;
			}
			$running{$pid} = $k;
		}
		my $pid = wait;
		last if $pid < 0;
		delete $running{$pid};
	}
	for my $k (0 .. $#files) {
		open my $f, '<', "$tmp/r.$k" or die "$files[$k]: no result\n";
		local $/;
		push @results, decode_json(<$f>);
	}
}

# Report.
my %tot = map { $_ => 0 } qw(files compared unreadable frames segments connections streams
	ttcp tflagged pflagged dframes dfiles);
my @tcpdiff;
my (%unread, %ours, %theirs, %only_ours, %only_theirs);
my $max = $o{'max-lines'};
for my $r (@results) {
	$tot{files}++;
	if ($r->{error}) {
		$tot{unreadable}++;
		(my $cause = $r->{error}) =~ s/^offset \d+: //;
		$cause =~ s/ \(.*//;
		my $u = $unread{$cause} //= { files => 0, frames => 0, flagged => 0 };
		$u->{files}++;
		$u->{frames} += $r->{tshark}{frames};
		$u->{flagged} += $r->{tshark}{flagged};
		next;
	}
	$tot{compared}++;
	$tot{frames} += $r->{tshark}{frames};
	$tot{segments} += $r->{probelock}{segments};
	$tot{connections} += $r->{probelock}{connections};
	$tot{streams} += $r->{tshark}{streams};
	$tot{ttcp} += $r->{tshark}{tcp};
	push @tcpdiff, $r if $r->{tshark}{tcp} != $r->{probelock}{segments};
	$tot{tflagged} += $r->{tshark}{flagged};
	$tot{pflagged} += $r->{probelock}{flagged};
	$ours{$_} += $r->{probelock}{counts}{$_} for keys %{ $r->{probelock}{counts} };
	$theirs{$_} += $r->{tshark}{counts}{$_} for keys %{ $r->{tshark}{counts} };
	my @d = @{ $r->{diff} };
	next unless @d;
	$tot{dfiles}++;
	$tot{dframes} += @d;
	printf "%s: %d frame%s differ (link %s)\n", $r->{file}, scalar @d, @d == 1 ? '' : 's',
		$r->{probelock}{link};
	my $shown = 0;
	for my $d (@d) {
		my ($n, $a, $b) = @$d;
		my %a = map { $_ => 1 } split /,/, $a;
		my %b = map { $_ => 1 } split /,/, $b;
		$only_ours{$_}++ for grep { !$b{$_} } keys %a;
		$only_theirs{$_}++ for grep { !$a{$_} } keys %b;
		printf "  frame %d: probelock %s | tshark %s\n", $n, $a eq '' ? '-' : $a, $b eq '' ? '-' : $b
			if !$max || $shown++ < $max;
	}
	printf "  ... and %d more\n", @d - $max if $max && @d > $max;
}
print "\n" if $tot{dfiles};
printf "files: %d in %s; %d compared, %d that probelock cannot read\n", $tot{files}, $dir,
	$tot{compared}, $tot{unreadable};
printf "compared: %d frames, %d TCP segments, %d connections (tshark: %d frames with TCP, %d TCP streams)\n",
	$tot{frames}, $tot{segments}, $tot{connections}, $tot{ttcp}, $tot{streams};
printf "frames with analysis flags: probelock %d, tshark %d; frames that differ: %d in %d files\n",
	$tot{pflagged}, $tot{tflagged}, $tot{dframes}, $tot{dfiles};
printf "  %-24s %9s %9s %11s %11s\n", 'flag', 'probelock', 'tshark', 'only ours', 'only tshark';
for my $f (@FLAGS) {
	next unless $ours{$f} || $theirs{$f};
	printf "  %-24s %9d %9d %11d %11d\n", $f, $ours{$f} // 0, $theirs{$f} // 0, $only_ours{$f} // 0,
		$only_theirs{$f} // 0;
}
if (@tcpdiff) {
	print "files where tshark saw TCP in more or fewer frames (probelock's skipped frames by cause):\n";
	for my $r (@tcpdiff) {
		my $sk = $r->{probelock}{skipped} // {};
		printf "  %s: tshark %d, probelock %d (%s)\n", $r->{file}, $r->{tshark}{tcp}, $r->{probelock}{segments},
			join(', ', map { "$_ $sk->{$_}" } grep { $sk->{$_} } sort keys %$sk) || 'none skipped';
	}
}
if (%unread) {
	print "not read by probelock (libpcap cannot, or not TCP/IP at all):\n";
	printf "  %-60s %d files, %d frames, %d with tshark flags\n", $_, $unread{$_}{files}, $unread{$_}{frames},
		$unread{$_}{flagged} for sort keys %unread;
}
if ($o{summary}) {
	open my $f, '>', $o{summary} or die "$o{summary}: $!";
	print $f JSON::PP->new->canonical->pretty->encode({ totals => \%tot, probelock => \%ours,
		tshark => \%theirs, only_probelock => \%only_ours, only_tshark => \%only_theirs,
		unreadable => \%unread,
		files => [map { { file => $_->{file}, differing => scalar @{ $_->{diff} // [] },
			error => $_->{error} } } @results] });
	close $f;
}
printf "files equal: %d, files that differ: %d\n", $tot{compared} - $tot{dfiles}, $tot{dfiles};
exit($tot{dframes} ? 1 : 0);
