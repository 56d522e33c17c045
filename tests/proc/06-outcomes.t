#!/usr/bin/env bash
# Every outcome of tcpecho and its exit code, against servers that behave
# badly on purpose; echod's stall, slow and max-conns modes; IPv6; a stack
# timeout (TCP_USER_TIMEOUT) ending a deadlock.
. "$(dirname "$0")/lib.sh"
plan 19

TE() { timeout 60 "$BIN/tcpecho" "$@"; }

for mode in blocking nonblocking; do
	start_bad flip 100000
	TE -p "$BAD_PORT" -a 10 --mode "$mode" --payload 200000 --json 127.0.0.1 >"$TMP/c.json"
	is "$?:$(json "$TMP/c.json" '$d->{outcome}'):$(json "$TMP/c.json" '$d->{mismatch_offset}')" "6:corrupt:100000" \
		"$mode: one flipped bit at byte 100000 -> corrupt, exit 6, offset named"
done

start_bad close 50000
TE -p "$BAD_PORT" -a 10 --payload 100000 --json 127.0.0.1 >"$TMP/e.json"
is "$?:$(json "$TMP/e.json" '$d->{outcome}'):$(json "$TMP/e.json" '$d->{ended_by}')" "5:reset:peer" \
	"peer closes after 50000 of 100000 -> reset, exit 5"
json "$TMP/e.json" '$d->{detail}' | grep -q "after 50000 of 100000 echoed bytes"
ok $? "the detail says how far the echo got"

start_bad rst 30000
TE -p "$BAD_PORT" -a 10 --mode split --payload 100000 --json 127.0.0.1 >"$TMP/r.json"
is "$?:$(json "$TMP/r.json" '$d->{outcome}')" "5:reset" "peer resets mid-echo (split mode) -> reset, exit 5"

# echod slow: a rate limiter has a lower bound on time (a function, not a benchmark).
start_echod SL --mode slow --rate 64K
TE -p "$SL_PORT" -a 30 --mode nonblocking --payload 128K --json 127.0.0.1 >"$TMP/slow.json"
is "$?:$(json "$TMP/slow.json" '$d->{outcome}')" "0:completed" "slow server (64 KiB/s): 128 KiB completes, verified"
perl -e 'exit !($ARGV[0] >= 1.0)' "$(json "$TMP/slow.json" '$d->{elapsed_s}')"
ok $? "slow server: 128 KiB at 64 KiB/s takes at least 1 s ($(json "$TMP/slow.json" '$d->{elapsed_s}') s)"
is "$(json "$TMP/slow.json" '$d->{deadlock}')" null "slow server: no deadlock verdict"

# echod stall, then resume: a one-sided zero window, never a deadlock verdict.
start_echod SR --mode stall --stall-for 1500ms --rcvbuf 16K
TE -p "$SR_PORT" -a 30 --mode blocking --payload 1M --rcvbuf 256K --json 127.0.0.1 >"$TMP/sr.json"
is "$?:$(json "$TMP/sr.json" '$d->{outcome}')" "0:completed" "server stops reading for 1.5 s then resumes: completed"
perl -e 'exit !($ARGV[0] >= 1 && $ARGV[1] >= 1.0)' "$(json "$TMP/sr.json" '$d->{stall}{count}')" \
	"$(json "$TMP/sr.json" '$d->{stall}{longest_s}')"
ok $? "...with a stall of at least 1 s recorded ($(json "$TMP/sr.json" '$d->{stall}{longest_s}') s)"
is "$(json "$TMP/sr.json" '$d->{deadlock}')" null "...and no deadlock verdict (our receive side was empty)"

# --max-conns 2: the third connection is refused with RST, the first two still work.
start_echod MC --mode event --max-conns 2
perl -MIO::Socket::INET -e '
	my @k = map { IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0]) or die } 1..2;
	select undef, undef, undef, 0.2;
	my $t = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0]) or die;
	my $n = sysread($t, my $b, 1);
	print defined $n ? "eof" : "error:$!";
	for (@k) { syswrite($_, "hello"); sysread($_, my $e, 5); print $e eq "hello" ? " ok" : " bad" }' "$MC_PORT" >"$TMP/mc.txt"
is "$(cat "$TMP/mc.txt")" "error:Connection reset by peer ok ok" "--max-conns 2: third connection reset, first two served"
kill -USR1 "$MC_PID"
sleep 0.2
grep -q '"refused":1' "$TMP/MC.out"
ok $? "statistics count the refused connection"

# IPv6 loopback.
start_echod V6 --bind ::1 --mode blocking --sndbuf 16384 --rcvbuf 16384
grep -q "^listening on ::1 " "$TMP/V6.out"
ok $? "echod on ::1: readiness line names ::1"
TE -p "$V6_PORT" --sndbuf 16384 --rcvbuf 16384 -a 10 --payload 60000 ::1 >/dev/null
is "$?" 0 "IPv6: 60000 bytes complete"
TE -p "$V6_PORT" --sndbuf 16384 --rcvbuf 16384 -a 10 --payload 300000 --json ::1 >"$TMP/v6.json"
is "$?:$(json "$TMP/v6.json" '$d->{outcome}'):$(json "$TMP/v6.json" '$d->{target}{address}')" \
	"3:deadlock:[::1]:$V6_PORT" "IPv6: 300000 bytes deadlock, detected"

# TCP_USER_TIMEOUT ends a deadlock that the client does not abort itself.
TE -p "$V6_PORT" --sndbuf 16384 --rcvbuf 16384 -a 30 --no-abort --user-timeout 2s --payload 300000 --json ::1 >"$TMP/ut.json"
is "$?:$(json "$TMP/ut.json" '$d->{outcome}'):$(json "$TMP/ut.json" '$d->{ended_by}')" "3:deadlock:stack" \
	"--no-abort --user-timeout 2s: the deadlock verdict stands, the local stack ended it"
json "$TMP/ut.json" '$d->{detail}' | grep -q "Connection timed out"
ok $? "...and the detail says so (ETIMEDOUT)"

# The same payload with many rounds (-n) and the literal draft payload.
start_echod N --mode event
TE -p "$N_PORT" -a 10 -n 50 -m 2000 --literal 127.0.0.1 ABC >"$TMP/n.txt"
grep -q "echoed 300000 of 300000 (verified)" "$TMP/n.txt"
ok $? "-n 50 -m 2000 --literal ABC: 50 rounds of the draft's bytes, verified"
done_testing
