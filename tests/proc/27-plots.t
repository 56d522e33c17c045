#!/usr/bin/env bash
# The run's plots explain any matrix: a one-key matrix draws its stall map (a single row);
# the stall map's colour range starts at 0, squares that did not run say "not run" (and
# only they have no value), repeats say "k/N deadlock"; the throughput plot's x axis is a
# matrix key (the payload, else the first numeric key), a series per combination of the
# other keys, repeats as their mean with min-max bars, the payload said when not on x;
# the per-cell graph's zoom panel, when there is one, is narrower than half the
# connection; gnuplot warns about nothing.
. "$(dirname "$0")/lib.sh"
P="$BIN/probelock"
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # skip needs root (captures)"
	exit 0
fi
plan 27

# (a) one matrix key: the blocking client deadlocks above about 105000 bytes on loopback.
cat >"$TMP/a.yaml" <<'YAML'
name: plots-onekey
target: { kind: loopback }
server: { mode: blocking, app_buf: 8192, sndbuf: 16384, rcvbuf: 16384 }
client: { mode: blocking, sndbuf: 16384, rcvbuf: 16384, alarm: 10s }
detect: { stall_threshold: 500ms }
matrix:
  client.payload: [60000, 200000, 300000]
YAML
# (b) two keys, neither the payload.
cat >"$TMP/b.yaml" <<'YAML'
name: plots-twokeys
target: { kind: loopback }
server: { mode: blocking, app_buf: 8192, sndbuf: 16384, rcvbuf: 16384 }
client: { payload: 150000, rcvbuf: 16384, alarm: 10s }
detect: { stall_threshold: 500ms }
matrix:
  client.mode: [blocking, nonblocking, chunked]
  client.sndbuf: [16384, 65536]
YAML
# (c) payload x sndbuf x mode, three repeats; run with --only for cells that do not run.
cat >"$TMP/c.yaml" <<'YAML'
name: plots-repeats
target: { kind: loopback }
server: { mode: blocking, app_buf: 8192, sndbuf: 16384, rcvbuf: 16384 }
client: { rcvbuf: 16384, alarm: 10s }
detect: { stall_threshold: 500ms }
repeat: 3
matrix:
  client.payload: [60000, 300000]
  client.sndbuf: [16384, 65536]
  client.mode: [blocking, nonblocking]
YAML

# run NAME [ARGS...]: runs $TMP/NAME.yaml into $TMP/res-NAME; sets D to its plots folder.
run() {
	local name=$1
	shift
	"$P" run "$TMP/$name.yaml" -o "$TMP/res-$name" "$@" >"$TMP/$name.out" 2>&1
	is "$?" 0 "($name) the run passes"
	D=$(readlink -f "$TMP/res-$name/latest")/plots
}
png() { head -c 8 "$1" | od -An -tx1 | tr -d ' \n'; }
# Lines of the stall map's data where a square that ran has no value.
nan_ran() { awk '!/^#/ && NF && $5 > 0 && $3 == "NaN"' "$1"/stallmap-*.dat | wc -l; }
nolog() { [ ! -s "$1/gnuplot.log" ] || { diag "$(head -5 "$1/gnuplot.log")"; return 1; }; }

run a
is "$(png "$D/stallmap.png")" 89504e470d0a1a0a "(a) one key: the stall map is drawn"
is "$(awk '!/^#/ && NF' "$D/stallmap-0.dat" | wc -l)" 3 "(a) a square per payload, in one row"
grep -q "^set cbrange \[0:" "$D/stallmap.gp"
ok $? "(a) the colour range starts at 0"
is "$(nan_ran "$D")" 0 "(a) every square that ran has its value"
grep -q "^set xlabel 'client.payload (bytes" "$D/throughput.gp"
ok $? "(a) throughput: x is the payload"
nolog "$D"
ok $? "(a) gnuplot warned about nothing"
DL=$(readlink -f "$TMP/res-a/latest")/cells/payload-300000/plots
# The zoom, when drawn, spans at most half of the connection's time.
zoom_ok() {
	local gp=$1/conn-0.gp span w
	grep -q 'layout 3,2' "$gp" || return 0
	span=$(cat "$1"/conn-0-[ab].dat | awk '!/^#/ { if (min == "" || $1 < min) min = $1; if ($1 > max) max = $1 } END { print max - min }')
	w=$(sed -n 's/^set xrange \[\([0-9.]*\):\([0-9.]*\)\]$/\1 \2/p' "$gp" | awk '{ print $2 - $1; exit }')
	awk -v w="$w" -v s="$span" 'BEGIN { exit !(w > 0 && w <= s / 2) }'
}
[ -s "$DL/conn-0.gp" ] && zoom_ok "$DL"
ok $? "(a) the deadlocked cell's graph: its zoom (if any) is narrower than half the connection"

run b
grep -q "^set xlabel 'client.sndbuf (log scale)'" "$D/throughput.gp"
ok $? "(b) throughput: x is the first numeric key, not 'cell'"
is "$(grep -c 'title "client.mode=[a-z]*"' "$D/throughput.gp")" 3 "(b) a series per client.mode"
grep -q 'payload 150000 bytes in every cell' "$D/throughput.gp"
ok $? "(b) the title says the payload"
is "$(grep -l NaN "$D"/throughput-*.dat | wc -l)" 0 "(b) no NaN in the throughput data"
is "$(nan_ran "$D")" 0 "(b) every square that ran has its value"
grep -q "^set xlabel 'client.sndbuf'" "$D/stallmap.gp" && grep -q "^set ylabel 'client.mode'" "$D/stallmap.gp"
ok $? "(b) the stall map: sndbuf across, mode down"
nolog "$D"
ok $? "(b) gnuplot warned about nothing"

run c --only client.sndbuf=16384
is "$(png "$D/stallmap.png")" 89504e470d0a1a0a "(c) the stall map is drawn"
is "$(cat "$D"/stallmap-*.dat | grep -c '"3/3 deadlock')" 1 "(c) repeats: 3/3 deadlock, once"
is "$(awk '!/^#/ && NF && $5 == 0' "$D"/stallmap-*.dat | grep -c '"not run"')" 4 "(c) the squares --only left out say 'not run'"
is "$(nan_ran "$D")" 0 "(c) every square that ran has its value"
grep -q "longest of the repeats" "$D/stallmap.gp"
ok $? "(c) the colour bar says which stall of the repeats it shows"
grep -q "^set cbrange \[0:" "$D/stallmap.gp"
ok $? "(c) the colour range starts at 0"
grep -q 'mean of the completed of 3 repeats' "$D/throughput.gp" && grep -q 'yerrorlines' "$D/throughput.gp"
ok $? "(c) throughput: repeats as their mean with min-max bars, said in the title"
is "$(grep -c 'title "client.sndbuf=16384, client.mode=[a-z]*"' "$D/throughput.gp")" 2 "(c) a series per sndbuf and mode that ran"
grep -q '"3/3"' "$D/throughput-deadlock.dat"
ok $? "(c) the deadlock markers say 3/3"
nolog "$D"
ok $? "(c) gnuplot warned about nothing"
