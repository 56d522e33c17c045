#!/usr/bin/env perl
# abuse.pl PORT KIND N SECONDS: one kind of abusive client against an echo
# server on 127.0.0.1:PORT, N connections, for at most SECONDS; prints one
# summary line "KIND key=value ...". Bounded in count and time; stops by itself.
#   flood      open N connections and hold them for half the time; count those
#              the server closed, and apart those it reset before connect()
#              returned (beyond --max-conns echod accepts and resets at once:
#              whether connect() sees the RST is a race)
#   rst        N times: connect, send 10 KB, close with RST (SO_LINGER 0)
#   halfclose  N times: send 1..200000 bytes, shut down writing, read the echo
#              to EOF; count echoes equal to what was sent
#   (rst and halfclose count the connections refused at --max-conns, reset in
#   connect or before any echo, apart, wait 50 ms and try again)
#   slowwrite  N connections each sending 1 byte every 100 ms and reading its echo
#   slowread   N connections each sending up to 1 MiB, reading 1 byte every 100 ms
#   neverread  N connections each sending until the server stops taking, never reading
use strict;
use warnings;
use Errno qw(EAGAIN ECONNREFUSED ECONNRESET EPIPE);
use Fcntl;
use IO::Select;
use IO::Socket::INET;
use Socket qw(SOL_SOCKET SO_LINGER);
use Time::HiRes qw(time sleep);

my ($port, $kind, $n, $secs) = @ARGV;
my $deadline = time + $secs;
srand(42);

sub conn { IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 2) }
sub nonblock { my $s = shift; fcntl($s, F_SETFL, fcntl($s, F_GETFL, 0) | O_NONBLOCK) }
sub pat { my ($off, $len) = @_; join '', map { chr(($off + $_) * 7 % 251) } 0 .. $len - 1 }

if ($kind eq 'flood') {
	my (@s, $reset_in_connect);
	$reset_in_connect = 0;
	for (1 .. $n) {
		last if time > $deadline;
		my $s = conn() or do { $reset_in_connect++ if $! == ECONNRESET || $! == ECONNREFUSED; next };
		nonblock($s);
		push @s, $s;
	}
	my ($closed, %gone) = (0);
	my $release = time + $secs / 2;
	while (time < $release) {
		my @r = IO::Select->new(grep { !$gone{fileno $_} } @s)->can_read(0.2);
		for my $s (@r) { my $got = sysread($s, my $b, 100); if (!defined $got ? $! != EAGAIN : $got == 0) { $gone{fileno $s} = 1; $closed++ } }
	}
	print "flood connected=", scalar(@s), " closed_by_server=$closed reset_in_connect=$reset_in_connect\n";
} elsif ($kind eq 'rst') {
	my ($done, $refused) = (0, 0);
	while ($done < $n && time < $deadline) {
		my $s = conn() or do { $refused++; sleep 0.05; next }; # refused at the limit
		syswrite($s, 'x' x 10240);
		setsockopt($s, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
		close $s;
		$done++;
	}
	print "rst reset=$done refused=$refused\n";
} elsif ($kind eq 'halfclose') {
	my ($ok, $bad, $refused, $cut, @why) = (0, 0, 0, 0);
	while ($ok + $bad < $n && time < $deadline) {
		my $s = conn() or do { $refused++; sleep 0.05; next }; # refused at the limit (reset in connect)
		my $len = 1 + int(rand(200000));
		my $data = pat(0, $len);
		my ($off, $got, $err, $eof) = (0, '', 0, 0);
		nonblock($s);
		my $sel = IO::Select->new($s);
		while (time < $deadline) {
			if ($off < $len) {
				my $w = syswrite($s, $data, 65536, $off);
				$off += $w if $w;
				if (!defined $w && $! != EAGAIN) { $err = $! + 0; last }
				shutdown($s, 1) if $off == $len;
			}
			my $r = sysread($s, my $b, 65536);
			if (defined $r) { if ($r == 0) { $eof = 1; last } $got .= $b } elsif ($! != EAGAIN) { $err = $! + 0; last }
			IO::Select->select($sel, $off < $len ? $sel : undef, undef, 0.05) unless defined $r;
		}
		if ($got eq $data) { $ok++ }
		elsif ($got eq '' && ($err == ECONNRESET || $err == EPIPE)) { $refused++; sleep 0.05 }
		# Our own deadline ended it mid-echo (a slow machine): neither an echo nor a loss.
		elsif (!$eof && !$err && time >= $deadline) { $cut++ }
		else { $bad++; push @why, "sent $len got " . length($got) . " errno $err" if $bad <= 3 }
		close $s;
	}
	print "halfclose ok=$ok bad=$bad refused=$refused cut=$cut\n";
	print "first short echoes: ", join('; ', @why), "\n" if @why;
} elsif ($kind eq 'slowwrite') {
	my @s = grep { defined } map { conn() } 1 .. $n;
	nonblock($_) for @s;
	my (%sent, %got, $bad);
	$bad = 0;
	while (time < $deadline) {
		for my $s (@s) {
			my $f = fileno $s;
			$sent{$f} .= 'z' if syswrite($s, 'z');
			while (defined(my $r = sysread($s, my $b, 100))) { last if $r == 0; $got{$f} .= $b }
		}
		sleep 0.1;
	}
	sleep 0.3;
	for my $s (@s) { my $f = fileno $s; while (defined(my $r = sysread($s, my $b, 100))) { last if $r == 0; $got{$f} .= $b } $bad++ if ($got{$f} // '') ne ($sent{$f} // '') }
	print "slowwrite conns=", scalar(@s), " bytes=", length(join '', values %sent), " mismatched=$bad\n";
} elsif ($kind eq 'slowread') {
	my @s = grep { defined } map { conn() } 1 .. $n;
	nonblock($_) for @s;
	my ($sent, $read) = (0, 0);
	my %left = map { fileno($_) => 1 << 20 } @s;
	while (time < $deadline) {
		for my $s (@s) {
			my $f = fileno $s;
			if ($left{$f} > 0) { my $w = syswrite($s, 'y' x ($left{$f} > 65536 ? 65536 : $left{$f})); if ($w) { $left{$f} -= $w; $sent += $w } }
			$read++ if sysread($s, my $b, 1);
		}
		sleep 0.1;
	}
	print "slowread conns=", scalar(@s), " sent=$sent read=$read\n";
} elsif ($kind eq 'neverread') {
	my @s = grep { defined } map { conn() } 1 .. $n;
	nonblock($_) for @s;
	my $sent = 0;
	my $last = time;
	while (time < $deadline) {
		my $any = 0;
		for my $s (@s) { my $w = syswrite($s, 'n' x 65536); if ($w) { $sent += $w; $any = 1 } }
		$last = time if $any;
		sleep($any ? 0.01 : 0.1);
	}
	print "neverread conns=", scalar(@s), " sent=$sent stalled_for=", sprintf('%.1f', time - $last), "\n";
} else {
	die "abuse.pl: unknown kind '$kind'\n";
}
