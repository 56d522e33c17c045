#!/usr/bin/env perl
# bad-echo.pl HOW N: an echo server that misbehaves at byte N, for one
# connection, on 127.0.0.1, port 0; prints "listening on 127.0.0.1 PORT".
# HOW: flip (echo byte N with one bit flipped), close (close after N bytes),
# rst (reset after N bytes). Gives up after 20 s whatever happens.
use strict;
use warnings;
use Socket;
use IO::Socket::INET;

my ($how, $at) = @ARGV;
die "usage: bad-echo.pl flip|close|rst N\n" unless defined $at && $how =~ /^(flip|close|rst)$/;
alarm 20;
my $l = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 1, ReuseAddr => 1)
	or die "listen: $!";
$| = 1;
print "listening on 127.0.0.1 ", $l->sockport, "\n";
my $c = $l->accept or die "accept: $!";
my $done = 0;
while (1) {
	my $n = sysread($c, my $buf, 4096);
	last unless $n;
	if ($done <= $at && $done + $n > $at) {
		my $k = $at - $done;
		if ($how eq "flip") {
			substr($buf, $k, 1) = chr(ord(substr($buf, $k, 1)) ^ 0x10);
		} else {
			syswrite($c, $buf, $k) if $k > 0;
			if ($how eq "rst") {
				setsockopt($c, SOL_SOCKET, SO_LINGER, pack("ii", 1, 0));
			} else {
				# A clean FIN: stop sending, keep reading so no RST is provoked.
				shutdown($c, 1);
				1 while sysread($c, $buf, 65536);
			}
			close $c;
			exit 0;
		}
	}
	my $off = 0;
	while ($off < $n) { $off += syswrite($c, $buf, $n - $off, $off) // die "write: $!" }
	$done += $n;
}
