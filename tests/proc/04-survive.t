#!/usr/bin/env bash
# echod survives what clients do to it, and then still serves a fresh client:
# resets mid-echo, half-close, a client that never reads its echo (event mode
# stops reading it: what it holds stays under --out-cap), 1000 idle
# connections with --idle-timeout,
# descriptor exhaustion (ulimit -n 64, 200 connections), SIGPIPE. All traffic
# on 127.0.0.1, bounded in count and time.
. "$(dirname "$0")/lib.sh"
plan 24

# fresh NAME PORT: a verifying client still gets a correct echo.
fresh() {
	"$BIN/tcpecho" -p "$2" -a 10 --mode nonblocking --payload 256K --json 127.0.0.1 >"$TMP/fresh.json"
	is "$?:$(json "$TMP/fresh.json" '$d->{outcome}')" "0:completed" "$1: a fresh client is served correctly"
}

# A perl client for what tcpecho does not do.
pl() { perl -MSocket -MIO::Socket::INET -e "$@"; }

for mode in event blocking; do
	start_echod S --mode "$mode"
	port=$S_PORT

	# Resets mid-echo: send 1 MiB, read a little, close with SO_LINGER 0 (RST).
	pl '
		for (1..20) {
			my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0]) or die $!;
			$s->syswrite("x" x 65536) for 1..16;
			$s->sysread(my $b, 4096);
			setsockopt($s, SOL_SOCKET, SO_LINGER, pack("ii", 1, 0)); close $s;
		}' "$port" 2>/dev/null
	kill -0 "$S_PID"
	ok $? "$mode: alive after 20 clients reset mid-echo"
	fresh "$mode after resets" "$port"

	# Half-close: all the echo arrives, then EOF.
	got=$(pl '
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0]) or die $!;
		my $data = join "", map { chr(($_ * 7) % 251) } 0..199999;
		my $off = 0;
		while ($off < length $data) { $off += $s->syswrite($data, 4096, $off) }
		shutdown($s, 1);
		my ($all, $b) = ("");
		while ((my $n = $s->sysread($b, 65536)) > 0) { $all .= $b }
		print $all eq $data ? "equal" : "differs:" . length($all);' "$port")
	is "$got" equal "$mode: half-close gets all 200000 bytes of echo, then EOF"

	# SIGPIPE: send a lot, never read, close (the server writes into a reset).
	pl '
		for (1..10) {
			my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0]) or die $!;
			$s->blocking(0);
			$s->syswrite("y" x 262144);
			close $s;
		}' "$port" 2>/dev/null
	sleep 0.3
	kill -0 "$S_PID"
	ok $? "$mode: alive after clients closed with unread echo (EPIPE/SIGPIPE)"
	fresh "$mode after SIGPIPE" "$port"
	stop_pid "$S_PID"
	is "$?" 0 "$mode: SIGTERM exits 0"
	grep '"final":true' "$TMP/S.out" | grep -q '"resets":[1-9]'
	ok $? "$mode: final statistics written, resets counted"
done

# Backpressure: a client sends without reading until nothing more goes (at most
# 64 MiB); echod's event mode must stop reading it once the echo it could not
# send reaches --out-cap, then return every byte, in order, when it reads.
start_echod P --mode event --out-cap 64K
pl '
	use Fcntl; use IO::Select;
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0]) or die "connect: $!";
	my $sent = 0; my $last = time; my $blk = pack("N*", 0 .. 16383);
	fcntl($s, F_SETFL, fcntl($s, F_GETFL, 0) | O_NONBLOCK);
	while ($sent < 64 << 20) {
		my $n = syswrite($s, $blk);
		if ($n) { $sent += $n; $last = time; substr($blk, 0, $n) = "" ; $blk = pack("N*", 0 .. 16383) if !length $blk; next }
		last if time - $last > 1;
		select(undef, undef, undef, 0.01);
	}
	open my $f, ">", $ARGV[1]; print $f "$sent\n"; close $f;
	kill "USR1", $ARGV[2]; select(undef, undef, undef, 0.3);
	fcntl($s, F_SETFL, fcntl($s, F_GETFL, 0) & ~O_NONBLOCK);
	shutdown($s, 1);
	my ($got, $buf, $bad) = (0, "", 0); my $want = pack("N*", 0 .. 16383) x 4;
	while (1) { my $n = sysread($s, my $b, 65536); last if !$n; $buf .= $b; $got += $n;
		while (length $buf >= 65536) { $bad++ if substr($buf, 0, 65536, "") ne substr($want, 0, 65536) } }
	$bad++ if length $buf && $buf ne substr($want, 0, length $buf);
	open $f, ">>", $ARGV[1]; print $f "$got $bad\n";' "$P_PORT" "$TMP/bp" "$P_PID"
read -r sent < "$TMP/bp"
read -r got bad < <(sed -n 2p "$TMP/bp")
held=$(grep -v '"final":true' "$TMP/P.out" | tail -1 | perl -MJSON::PP -ne '$d = decode_json($_); print $d->{bytes}{in} - $d->{bytes}{out}')
diag "backpressure: the client sent $sent bytes before it stopped; echod held $held of them"
ok "$([ "${held:-999999}" -le 65536 ] && [ "${sent:-0}" -lt $((64 << 20)) ]; echo $?)" \
	"event mode stops reading a client that does not read: at most --out-cap 64K held (held $held)"
is "$got $bad" "$sent 0" "then every byte comes back, in order"
stop_pid "$P_PID"
is "$?" 0 "echod after backpressure: SIGTERM exits 0"

# 1000 idle connections, --idle-timeout 1s: the server closes every one.
ulimit -n 4096
start_echod I --mode event --idle-timeout 1s
closed=$(pl '
	my @s;
	for (1..1000) { push @s, IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0]) or die "connect $_: $!" }
	my $deadline = time + 10; my $eof = 0; my %done;
	while ($eof < @s && time < $deadline) {
		my $rin = ""; vec($rin, fileno($_), 1) = 1 for grep { !$done{fileno $_} } @s;
		select(my $rout = $rin, undef, undef, 0.5) or next;
		for my $s (@s) { next if $done{fileno $s} || !vec($rout, fileno($s), 1);
			my $n = sysread($s, my $b, 1); if (defined $n && $n == 0) { $done{fileno $s} = 1; $eof++ } }
	}
	print $eof;' "$I_PORT")
is "$closed" 1000 "1000 idle connections all closed by --idle-timeout 1s"
stop_pid "$I_PID"
grep '"final":true' "$TMP/I.out" | grep -q '"idle_timeouts":1000'
ok $? "statistics count 1000 idle timeouts"

# Descriptor exhaustion: echod under ulimit -n 64, 200 connections at once.
(ulimit -n 64; exec "$BIN/echod" --port 0 --mode event >"$TMP/F.out" 2>"$TMP/F.err") &
F_PID=$!
track "$F_PID"
for i in $(seq 100); do F_PORT=$(awk '/^listening on /{print $4}' "$TMP/F.out"); [ -n "$F_PORT" ] && break; sleep 0.05; done
pl '
	my @s;
	for (1..200) { my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0], Timeout => 2); push @s, $s if $s }
	sleep 1; close $_ for @s;' "$F_PORT" 2>/dev/null
kill -0 "$F_PID"
ok $? "ulimit -n 64: alive after 200 connection attempts"
grep -q "accept: Too many open files" "$TMP/F.err"
ok $? "EMFILE was hit and reported once"
sleep 0.5
fresh "after EMFILE" "$F_PORT"
kill -USR1 "$F_PID"
sleep 0.2
grep -v '"final":true' "$TMP/F.out" | grep -q '"accept_errors":[1-9]'
ok $? "SIGUSR1 prints statistics with the accept errors, and echod goes on"
stop_pid "$F_PID"
is "$?" 0 "echod under ulimit -n 64: SIGTERM exits 0"
done_testing
