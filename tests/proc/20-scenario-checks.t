#!/usr/bin/env bash
# The scenario checks that need no root and start nothing: the broken-scenario
# corpus through validate and run --dry-run (exit 2, the place and message,
# nothing created), the shipped scenarios, the cell-count bound (a 10^7-cell
# matrix is an error, not an abort), settings that do not apply to a cell's
# target when target.kind is in the matrix, the --only filter check of
# probelock list, and that the validator and the programs' option parsers
# (tcpecho, lwip-echod, echod) refuse the same values.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
P="$BIN/probelock"
BAD=("$ROOT"/tests/scenarios-bad/*.yaml)
SHIPPED=("$ROOT"/scenarios/*.yaml)
plan $((2 * ${#BAD[@]} + 40))

# 1. The corpus: validate and run --dry-run refuse each file with exit 2 and
#    its expected file:line:column and message, and create nothing.
for f in "${BAD[@]}"; do
	want=$(sed -n '1s/^# expect: //p' "$f")
	"$P" validate "$f" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ $rc -eq 2 ] && grep -qF -- "$f:$want" "$TMP/err" && [ ! -s "$TMP/out" ]; then
		ok 0 "validate $(basename "$f"): exit 2, $want"
	else
		ok 1 "validate $(basename "$f"): exit 2, $want"
		diag "exit $rc: $(head -3 "$TMP/err") $(head -1 "$TMP/out")"
	fi
	"$P" run "$f" --dry-run -o "$TMP/bad-results" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ $rc -eq 2 ] && grep -qF -- "$f:$want" "$TMP/err" && [ ! -e "$TMP/bad-results" ]; then
		ok 0 "run $(basename "$f"): exit 2, nothing created"
	else
		ok 1 "run $(basename "$f"): exit 2, nothing created"
		diag "exit $rc: $(head -3 "$TMP/err") $(head -1 "$TMP/out")"
	fi
done

# 2. Every shipped scenario validates (validate takes several files).
"$P" validate "${SHIPPED[@]}" >"$TMP/out" 2>"$TMP/err"
is "$?:$(grep -c ': valid: ' "$TMP/out")" "0:${#SHIPPED[@]}" "every shipped scenario validates ($(tr '\n' ' ' <"$TMP/err"))"
"$P" validate "${SHIPPED[0]}" "${BAD[0]}" >"$TMP/out" 2>"$TMP/err"
is "$?:$(grep -c ': valid: ' "$TMP/out")" "2:1" "validate A B: each is checked, exit 2 when one is invalid"

# 3. The cell-count bound, before anything is allocated for the cells.
matrix() { # matrix FILE REPEAT KEY=COUNT...: a scenario whose matrix has COUNT distinct values per key
	local f=$1 rep=$2
	shift 2
	perl -e 'my $rep = shift; print "name: big\nrepeat: $rep\nmatrix:\n";
		for (@ARGV) { my ($k, $n) = split /=/; my $base = $k eq "client.mode" ? 0 : 2000;
			my @v = $k eq "client.mode" ? (qw(blocking nonblocking chunked split aware))[0 .. $n - 1]
			                            : map { $base + $_ } 1 .. $n;
			print "  $k: [", join(", ", @v), "]\n" }' "$rep" "$@" >"$f"
}
matrix "$TMP/m7.yaml" 1 client.mode=5 client.payload=2000 client.sndbuf=1000
# (timeout: a validator that expands such a matrix runs for ages before it aborts)
timeout 20 "$P" validate "$TMP/m7.yaml" >/dev/null 2>"$TMP/err"
is "$?" 2 "10^7 cells: exit 2, not an abort"
grep -qF "$TMP/m7.yaml:3:1: the matrix expands to 10000000 cells (5 x 2000 x 1000, repeat 1), more than 100000" "$TMP/err"
ok $? "...with the count and how it is made ($(head -1 "$TMP/err"))"
matrix "$TMP/m6.yaml" 1 client.payload=1000 client.sndbuf=1000
timeout 20 "$P" validate "$TMP/m6.yaml" >/dev/null 2>"$TMP/err"
m6="$?:$(grep -c 'expands to 1000000 cells (1000 x 1000, repeat 1), more than 100000' "$TMP/err")"
matrix "$TMP/ok.yaml" 1 client.payload=1000 client.sndbuf=100
timeout 20 "$P" validate "$TMP/ok.yaml" >"$TMP/out" 2>"$TMP/err"
is "$m6 $?:$(grep -c 'valid: scenario big, 100000 cells' "$TMP/out")" "2:1 0:1" "10^6 cells: refused; 100000: accepted"
matrix "$TMP/rep.yaml" 3 client.payload=500 client.sndbuf=100
timeout 20 "$P" validate "$TMP/rep.yaml" >/dev/null 2>"$TMP/err"
is "$?:$(grep -c 'expands to 150000 cells (500 x 100, repeat 3), more than 100000' "$TMP/err")" "2:1" "repeat counts: 50000 cells x 3 refused"
matrix "$TMP/over.yaml" 1 client.payload=100 client.sndbuf=100 client.rcvbuf=100 client.chunk=100 server.app_buf=100 \
	server.out_cap=100 server.rate=100 server.sndbuf=100 server.rcvbuf=100 client.times=100
timeout 20 "$P" validate "$TMP/over.yaml" >/dev/null 2>"$TMP/err"
is "$?:$(grep -c 'expands to about 1e+20 cells (100 x 100 x 100 x 100 x 100 x 100 x 100 x 100 x 100 x 100, repeat 1)' "$TMP/err")" \
	"2:1" "10^20 cells (past 64 bits): refused, no overflow"

# 4. Settings that do not apply to a cell's target, with target.kind in the matrix.
cat >"$TMP/targets.yaml" <<'YAML'
name: targets
target: { rate: 10mbit, loss: 1 }
server: { keepalive: "5,5,3" }
matrix:
  target.kind: [netns, loopback, lwip]
YAML
"$P" validate "$TMP/targets.yaml" >/dev/null 2>"$TMP/err"
is "$?" 2 "target.kind in the matrix: the per-target rules still hold"
F="$TMP/targets.yaml"
is "$(grep "^$F:" "$TMP/err")" "$F:2:17: target.rate 10mbit (2:17) does not apply to target loopback (matrix target.kind, 5:24): only netns and lwip cells are shaped
$F:2:31: target.loss 1 (2:31) does not apply to target loopback (matrix target.kind, 5:24): only netns and lwip cells drop packets (nftables)
$F:3:22: server.keepalive 5,5,3 (3:22) does not apply to target netns (matrix target.kind, 5:17): only lwip cells run lwip-echod, which takes it (echod has no keepalive)
$F:3:22: server.keepalive 5,5,3 (3:22) does not apply to target loopback (matrix target.kind, 5:24): only lwip cells run lwip-echod, which takes it (echod has no keepalive)" \
	"...each setting for each target it does not apply to (none for lwip, which uses all three), with both places"

# 5. --only, checked against the scenario before any cell is picked.
cat >"$TMP/f.yaml" <<'YAML'
name: filters
client: { keepalive: "5,1,3" }
matrix:
  client.mode: [blocking, nonblocking, chunked, split]
  client.payload: [60000, 120000, 300000]
YAML
only() { # only WANT-EXIT WANT-STDERR-SUBSTRING FILTER...: probelock list with each FILTER as an --only
	local want_rc=$1 want=$2 args=() f
	shift 2
	for f in "$@"; do args+=(--only "$f"); done
	"$P" list "$TMP/f.yaml" "${args[@]}" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	if [ $rc -eq "$want_rc" ] && grep -qF -- "$want" "$TMP/err"; then
		ok 0 "list --only $*: exit $want_rc, $want"
	else
		ok 1 "list --only $*: exit $want_rc, $want"
		diag "exit $rc: $(cat "$TMP/err")"
	fi
}
only 2 "--only 'client.mod=split': unknown key 'client.mod'; did you mean 'client.mode'?" client.mod=split
only 2 "--only 'client.mode=': empty value; give client.mode=VALUE" client.mode=
only 2 "--only 'client.payload=abc': client.payload: expected a size (16384, 16K, 64KiB, 1M), found 'abc'" client.payload=abc
only 2 "--only 'client.mode=spilt': no cell has client.mode spilt; this scenario has blocking, nonblocking, chunked, split; did you mean split?" client.mode=spilt
only 2 "--only 'client.mode=aware': no cell has client.mode aware; this scenario has blocking, nonblocking, chunked, split" client.mode=aware
only 2 "--only 'client.payload=64K': no cell has client.payload 64K; this scenario has 60000, 120000, 300000; did you mean 60000?" client.payload=64K
only 2 "--only 'client.sndbuf=16K': no cell has client.sndbuf 16K; every cell of this scenario has 0 (it is not in the matrix)" client.sndbuf=16K
"$P" list "$TMP/f.yaml" --only client.payload=120000,client.payload=117.1875KiB >/dev/null 2>"$TMP/err"
same="$?:$(cat "$TMP/err")"
"$P" list "$TMP/f.yaml" --only client.mode=blocking,client.mode=split >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err") / $same" "2:probelock list: --only 'client.mode=blocking,client.mode=split': client.mode is given twice with different values (blocking and split), so no cell matches: the terms of a filter must all hold (commas mean AND, and so do repeated --only) / 0:4 of 12 cells" \
	"a key twice: different values match nothing, and say so; the same value (117.1875KiB is 120000) is no conflict"
only 2 "client.mode is given twice with different values (split and blocking), so no cell matches" client.mode=split client.mode=blocking
only 2 "--only 'client.mode': expected KEY=VALUE" client.mode
only 2 "an empty term" client.mode=split,
only 2 "--only: empty filter" ""
is "$(wc -c <"$TMP/out")" 0 "...a refused filter lists nothing"
only 0 "1 of 12 cells" client.mode=split client.payload=300000
is "$(cat "$TMP/out")" "mode-split_payload-300000 client.mode=split client.payload=300000" "a repeated --only ANDs with the first"
only 0 "3 of 12 cells" client.keepalive=5s,1s,3,client.mode=chunked

# 6. The validator and the programs refuse the same values and accept the
#    same limits: one parser or limit per rule. A program that accepts its
#    options goes on and fails for want of a peer (tcpecho: nothing listens on
#    port 1; lwip-echod: no such TAP; echod: 192.0.2.1 is nobody's address): exit 1.
agree() { # agree NAME BAD-BODY GOOD-BODY "BAD-ARGS" "GOOD-ARGS" PROGRAM ARGS...
	local name=$1 bad=$2 good=$3 badargs=$4 goodargs=$5 vb vg pb pg
	shift 5
	printf 'name: agree\n%s\n' "$bad" >"$TMP/bad.yaml"
	printf 'name: agree\n%s\n' "$good" >"$TMP/good.yaml"
	"$P" validate "$TMP/bad.yaml" >/dev/null 2>"$TMP/verr"
	vb=$?
	"$P" validate "$TMP/good.yaml" >/dev/null 2>>"$TMP/verr"
	vg=$?
	# shellcheck disable=SC2086
	timeout 5 "$@" $badargs >/dev/null 2>"$TMP/perr"
	pb=$?
	# shellcheck disable=SC2086
	timeout 5 "$@" $goodargs >/dev/null 2>>"$TMP/perr"
	pg=$?
	if [ "$vb:$pb:$vg:$pg" = "2:2:0:1" ]; then
		ok 0 "$name: the scenario and $(basename "$1") refuse $badargs and accept $goodargs"
	else
		ok 1 "$name: the scenario and $(basename "$1") refuse $badargs and accept $goodargs"
		diag "validate exits $vb, $vg; $(basename "$1") exits $pb, $pg: $(cat "$TMP/verr" "$TMP/perr" | head -4)"
	fi
}
TE=("$BIN/tcpecho" -p 1 127.0.0.1)
agree "payload held in memory" "client: { payload: 1T }" "client: { payload: 1G, mode: blocking }" \
	"--payload 1T" "--payload 1G" "${TE[@]}"
agree "keepalive" "client: { keepalive: abc }" "client: { keepalive: '5s,1s,3' }" \
	"--payload 1K --keepalive abc" "--payload 1K --keepalive 5s,1s,3" "${TE[@]}"
agree "keepalive, empty field" "client: { keepalive: '5,,3' }" "client: { keepalive: '5,1,3' }" \
	"--payload 1K --keepalive 5,,3" "--payload 1K --keepalive 5,1,3" "${TE[@]}"
agree "maxseg" "client: { maxseg: 50 }" "client: { maxseg: 88 }" \
	"--payload 1K --maxseg 50" "--payload 1K --maxseg 88" "${TE[@]}"
agree "user_timeout" "client: { user_timeout: 500us }" "client: { user_timeout: 1ms }" \
	"--payload 1K --user-timeout 500us" "--payload 1K --user-timeout 1ms" "${TE[@]}"
agree "sample_interval and stall_threshold" "detect: { stall_threshold: 500ms, sample_interval: 600ms }" \
	"detect: { stall_threshold: 500ms, sample_interval: 500ms }" \
	"--payload 1K --stall-threshold 500ms --sample-interval 600ms" \
	"--payload 1K --stall-threshold 500ms --sample-interval 500ms" "${TE[@]}"
agree "payload x times" "client: { mode: nonblocking, payload: 1T, times: 2000 }" \
	"client: { mode: nonblocking, payload: 1T, times: 1000 }" \
	"--mode nonblocking --payload 1T -n 2000" "--mode nonblocking --payload 1T -n 1000" "${TE[@]}"
agree "lwip keepalive" "target: { kind: lwip }
server: { keepalive: '5,x,3' }" "target: { kind: lwip }
server: { keepalive: '5s,5,3' }" "--keepalive 5,x,3" "--keepalive 5s,5,3" "$BIN/lwip-echod" --tap plknosuch0
agree "lwip app_buf" "target: { kind: lwip }
server: { app_buf: 128K }" "target: { kind: lwip }
server: { app_buf: 65535 }" "--app-buf 128K" "--app-buf 65535" "$BIN/lwip-echod" --tap plknosuch0
agree "echod stall_threshold" "detect: { stall_threshold: 20ms, sample_interval: 10ms }" \
	"detect: { stall_threshold: 50ms, sample_interval: 10ms }" "--stall-threshold 20ms" "--stall-threshold 50ms" \
	"$BIN/echod" --bind 192.0.2.1 --port 0 --monitor
agree "echod stall_for" "server: { mode: stall, stall_for: 500us }" "server: { mode: stall, stall_for: 1ms }" \
	"--stall-for 500us" "--stall-for 1ms" "$BIN/echod" --bind 192.0.2.1 --port 0 --mode stall
# 7. One message per problem: the cause, not its echoes.
"$P" validate "$ROOT/tests/scenarios-bad/73-name-too-long.yaml" >/dev/null 2>"$TMP/err"
is "$(grep -c ': name: ' "$TMP/err")" 1 "a name too long: only 'too long' (with the limit), not 'missing' too"
"$P" validate "$ROOT/tests/scenarios-bad/70-merge-key.yaml" >/dev/null 2>"$TMP/err"
is "$(grep -c 'unknown key' "$TMP/err"):$(grep -c '<<' "$TMP/err")" "1:1" "a merge key: said once as such, not as server.<< (x-base: stays unknown)"
"$P" validate "$ROOT/tests/scenarios-bad/26-expect-unknown-outcome.yaml" >/dev/null 2>"$TMP/err"
is "$(grep -c 'needs at least one' "$TMP/err")" 0 "a rule with a wrong outcome is not also said to ask nothing"
# keys: the expect fields with the programs' words, and the top-level keys.
"$P" keys 2>/dev/null | grep -E '^(outcome|stall_cause|ended_by|name|matrix|repeat|expect|timeout) ' >"$TMP/k"
is "$(grep -c '^outcome .*interrupted' "$TMP/k"):$(grep -c '^stall_cause .*probe_deadlock.*none' "$TMP/k"):$(grep -c '^ended_by .*detector' "$TMP/k"):$(awk '{print $1}' "$TMP/k" | sort -u | wc -l)" \
	"1:1:1:8" "keys lists the expect fields with their words and the top-level keys"
done_testing
