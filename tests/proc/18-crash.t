#!/usr/bin/env bash
# Crash safety of runs. (1) probelock SIGKILLed in the middle of a cell on the
# netns target (a veth pair, tbf qdiscs for its rate, an nftables table for its
# loss) and on the lwIP target (a TAP): `probelock env down` then leaves no
# namespace, veth, TAP, qdisc, nftables table or process of it. (2) A
# cells.jsonl whose last line was cut: `report` warns and reports the rest,
# `run --resume` runs the cut cell again and loses nothing else.
. "$(dirname "$0")/lib.sh"
P="$BIN/probelock"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (namespaces)"
	exit 0
fi
plan 18

# plk_state: what of probelock's exists, on the host and in its namespaces.
plk_state() {
	local ns
	echo "netns $(ip netns list | grep -c '^plk-')"
	echo "host-links $(ip -o link show | grep -c ': plk')"
	echo "host-nft $(nft list tables 2>/dev/null | grep -c plk_)"
	echo "host-qdisc $(tc qdisc show | grep -c ' dev plk')"
	for ns in $(ip netns list | awk '/^plk-/{print $1}'); do
		echo "in-$ns links=$(ip -n "$ns" -o link show | grep -c ': plk') tbf=$(tc -n "$ns" qdisc show | grep -c tbf) nft=$(ip netns exec "$ns" nft list tables 2>/dev/null | grep -c plk_)"
	done
}

cat >"$TMP/ns.yaml" <<'YAML'
name: killns
target: { kind: netns, rate: 100mbit, loss: 1 }
server: { mode: blocking, app_buf: 8192, sndbuf: 16384, rcvbuf: 16384 }
client: { sndbuf: 16384, rcvbuf: 16384, payload: 300000, mode: blocking, alarm: 20s, abort: false }
YAML
cat >"$TMP/lw.yaml" <<'YAML'
name: killlw
target: { kind: lwip }
client: { sndbuf: 16384, rcvbuf: 16384, payload: 300000, mode: blocking, alarm: 20s, abort: false }
YAML

for kind in ns lw; do
	"$P" run "$TMP/$kind.yaml" -o "$TMP/kill-$kind" >"$TMP/kill-$kind.out" 2>&1 &
	RP=$!
	track "$RP"
	# Wait until the cell is in its deadlock (the environment all set up), at most 10 s.
	for _ in $(seq 200); do
		plk_state >"$TMP/state-$kind"
		if [ "$kind" = ns ]; then grep -q 'links=1 tbf=1 nft=1' "$TMP/state-$kind" && break
		else grep -q 'links=1' "$TMP/state-$kind" && pgrep -P "$RP" >/dev/null && break; fi
		sleep 0.05
	done
	sleep 0.5
	plk_state >"$TMP/state-$kind"
	diag "$kind, before SIGKILL: $(tr '\n' ';' <"$TMP/state-$kind")"
	kids=$(pgrep -P "$RP" | tr '\n' ' ')
	kill -KILL "$RP"
	wait "$RP" 2>/dev/null
	if [ "$kind" = ns ]; then
		grep -Eq 'in-plk-.* links=1 tbf=1 nft=1' "$TMP/state-$kind"
		ok $? "netns: SIGKILL came mid-cell, with a veth, a tbf qdisc and an nftables table in place"
	else
		grep -Eq 'in-plk-.* links=1' "$TMP/state-$kind"
		ok $? "lwip: SIGKILL came mid-cell, with the TAP in place"
	fi
	ok "$([ "$(ip netns list | grep -c '^plk-')" -gt 0 ]; echo $?)" "$kind: SIGKILL leaves the namespaces behind"
	"$P" env down >"$TMP/down-$kind.out" 2>&1
	is "$?" 0 "$kind: env down exits 0"
	plk_state >"$TMP/after-$kind"
	is "$(tr '\n' ' ' <"$TMP/after-$kind")" "netns 0 host-links 0 host-nft 0 host-qdisc 0 " \
		"$kind: env down: no namespace, link (veth, TAP), qdisc or nftables table left"
	left=0
	sleep 0.2
	for k in $kids; do [ -d "/proc/$k" ] && [ "$(awk '{print $3}' "/proc/$k/stat")" != Z ] && left=$((left + 1)); done
	is "$left" 0 "$kind: env down: none of the cell's processes left (${kids:-none recorded})"
done

# (2) A cut last line.
"$P" run "$ROOT/scenarios/ci-smoke.yaml" -o "$TMP/cut" >/dev/null 2>&1
is "$?" 0 "ci-smoke ran"
RUN=$(readlink -f "$TMP/cut/latest")
cp "$RUN/cells.jsonl" "$TMP/cells.whole"
first=$(head -1 "$TMP/cells.whole")
cut_id=$(sed -n 2p "$TMP/cells.whole" | perl -MJSON::PP -ne 'print decode_json($_)->{id}')
head -c $(( ${#first} + 1 + 100 )) "$TMP/cells.whole" >"$RUN/cells.jsonl"
"$P" report "$RUN" >"$TMP/rep.out" 2>"$TMP/rep.err"
is "$?" 1 "report of a run with a cut last line: exit 1 (a cell is missing)"
grep -q "cells.jsonl:2: not a whole cell record (.*the line is cut.*): skipped; .probelock run --resume $RUN." "$TMP/rep.err"
ok $? "report: warns, naming file, line and what to do"
grep -q "mode-blocking" "$RUN/report.md" && grep -q "^$cut_id,,.*,missing,.*did not run$" "$RUN/summary.csv" &&
	grep -q "INCOMPLETE: .* missing ($cut_id)" "$RUN/report.md"
ok $? "report: the whole cell is in the report, the cut one named missing"
"$P" run --resume "$RUN" >"$TMP/res.out" 2>&1
is "$?" 0 "--resume after the cut line: exit 0"
grep -q "^\[1/1\] $cut_id:" "$TMP/res.out"
ok $? "--resume runs only the cut cell ($cut_id)"
is "$(head -1 "$RUN/cells.jsonl")" "$first" "--resume: the whole record before it is untouched"
is "$(perl -MJSON::PP -ne 'print decode_json($_)->{id}, " "' "$RUN/cells.jsonl")" \
	"$(perl -MJSON::PP -ne 'print decode_json($_)->{id}, " "' "$TMP/cells.whole")" \
	"--resume: every cell once, each line a whole record"
done_testing
