#!/usr/bin/env bash
# The integrity of a run's results: a run folder is one scenario's (resume and merge refuse
# another, or an edited one), one run's at a time (two runs started in the same second get two
# folders; resume of a folder being written is refused), a filter that selects nothing is a
# usage error, missing cells are never green (merge of shards with one missing, SIGINT), a full
# disk is named and nothing is reported that was not written, a refused board is an error of the
# setup, and run, resume and merge of one scenario give the same summary.csv and junit.xml.
. "$(dirname "$0")/lib.sh"
P="$BIN/probelock"
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (captures)"
	exit 0
fi
plan 63

# Four cells, outcomes fixed by the buffers: 60000 completes, 300000 deadlocks in blocking mode.
cat >"$TMP/s.yaml" <<'YAML'
name: integ
target: { kind: loopback }
server: { mode: blocking, app_buf: 8192, sndbuf: 16384, rcvbuf: 16384 }
client: { sndbuf: 16384, rcvbuf: 16384, alarm: 10s }
matrix:
  client.payload: [60000, 300000]
  client.mode: [blocking, nonblocking]
expect:
  - when: { client.mode: nonblocking }
    outcome: completed
YAML
lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

# A whole run to compare the others with.
"$P" run "$TMP/s.yaml" -o "$TMP/full" >"$TMP/full.out" 2>&1
is "$?" 0 "a whole run: exit 0"
FULL=$(readlink -f "$TMP/full/latest")
is "$(lines "$FULL/cells.jsonl")" 4 "...4 records"

# 1. resume with another scenario, or with an edited one: exit 2, nothing appended.
sum=$(md5sum <"$FULL/cells.jsonl")
sed 's/name: integ/name: other/' "$TMP/s.yaml" >"$TMP/other.yaml"
"$P" run "$TMP/other.yaml" --resume "$FULL" >"$TMP/o.out" 2>&1
is "$?" 2 "resume with another scenario: exit 2"
grep -q "holds the results of scenario 'integ', not of 'other'" "$TMP/o.out"
ok $? "...saying whose results the folder holds"
sed 's/300000/200000/' "$TMP/s.yaml" >"$TMP/edited.yaml"
"$P" run "$TMP/edited.yaml" --resume "$FULL" >"$TMP/e.out" 2>&1
is "$?" 2 "resume with an edited scenario: exit 2"
grep -q "was run from another version of scenario 'integ'" "$TMP/e.out"
ok $? "...saying it expands to other cells"
# The same scenario written another way (10000ms for 10s, a comment) is the same scenario.
sed 's/alarm: 10s/alarm: 10000ms/; 1i # a comment' "$TMP/s.yaml" >"$TMP/same.yaml"
"$P" run "$TMP/same.yaml" --resume "$FULL" >"$TMP/same.out" 2>&1
is "$?" 0 "resume with the same scenario written otherwise: accepted (nothing left to run)"
is "$(md5sum <"$FULL/cells.jsonl")" "$sum" "cells.jsonl untouched by all three"
"$P" merge "$FULL" "$(readlink -f "$TMP/full/latest")" -o "$TMP/m0" >"$TMP/m0.out" 2>&1
is "$?" 2 "merge of a folder given twice: exit 2"

# 2. Two runs started in the same second: two folders, each whole; resume of a folder that a
# run is writing is refused.
"$P" run "$TMP/s.yaml" -o "$TMP/two" >"$TMP/a.out" 2>&1 &
a=$!
track $a
"$P" run "$TMP/s.yaml" -o "$TMP/two" >"$TMP/b.out" 2>&1 &
b=$!
track $b
for _ in $(seq 100); do [ "$(ls "$TMP/two/integ" 2>/dev/null | wc -l)" -ge 2 ] && break; sleep 0.05; done
first=$(ls -d "$TMP"/two/integ/*/ | head -1)
"$P" run --resume "$first" >"$TMP/lock.out" 2>&1
is "$?" 2 "resume of a folder a run is writing: exit 2"
grep -q "is being written by another probelock (pid [0-9]*)" "$TMP/lock.out"
ok $? "...naming the other process"
wait $a
ra=$?
wait $b
rb=$?
is "$ra:$rb" "0:0" "both runs: exit 0"
dirs=$(ls -d "$TMP"/two/integ/*/ | wc -l)
is "$dirs" 2 "two run folders ($(ls "$TMP/two/integ" | tr '\n' ' '))"
good=0
for d in "$TMP"/two/integ/*/; do
	[ "$(lines "$d/cells.jsonl")" = 4 ] &&
		[ "$(grep -o 'tests="[0-9]*"' "$d/junit.xml")" = 'tests="4"' ] &&
		[ "$(grep -o 'name="[^"]*" time' "$d/junit.xml" | sort | uniq -d)" = "" ] && good=$((good + 1))
done
is "$good" 2 "each folder: 4 records, junit tests=\"4\", no name twice"

# 3. A filter that selects nothing: exit 2 with what exists, nothing made, latest unmoved.
latest=$(readlink "$TMP/full/latest")
for f in client.mode=spilt client.sndbuf=abc client.mode= client.mod=blocking; do
	"$P" run "$TMP/s.yaml" -o "$TMP/full" --only "$f" >"$TMP/f.out" 2>&1
	is "$?" 2 "--only $f: exit 2"
done
grep -q "did you mean" "$TMP/f.out"
ok $? "...an unknown key gets a did-you-mean"
"$P" run "$TMP/s.yaml" -o "$TMP/full" --only client.mode=spilt >"$TMP/f.out" 2>&1
grep -q "no cell has client.mode spilt; this scenario has blocking, nonblocking" "$TMP/f.out"
ok $? "...a value no cell has: the values that exist"
is "$(readlink "$TMP/full/latest")" "$latest" "...and results/latest did not move"
n=$("$P" run "$TMP/s.yaml" -o "$TMP/full" --only client.mode=blocking --only client.payload=60000 --dry-run |
	grep -c '^would run')
is "$n" 1 "a second --only narrows the first (AND)"

# 4. merge of shard 1/2 alone (2/2 missing): never green, the missing cells named.
"$P" run "$TMP/s.yaml" -o "$TMP/sh1" --shard 1/2 >/dev/null 2>&1
"$P" run "$TMP/s.yaml" -o "$TMP/sh2" --shard 2/2 >/dev/null 2>&1
"$P" merge "$(readlink -f "$TMP/sh1/latest")" -o "$TMP/m" >"$TMP/m.out" 2>&1
is "$?" 1 "merge without shard 2/2: exit 1"
M=$(readlink -f "$TMP/m/latest")
grep -q "shards not given: 2/2" "$TMP/m.out" && grep -q "INCOMPLETE: [0-9] of 4 cells ran" "$TMP/m.out"
ok $? "...the terminal says which shard and INCOMPLETE"
missing=$(grep -c ',missing,.*did not run$' "$M/summary.csv")
is "$(grep -o 'tests="[0-9]*"' "$M/junit.xml")" 'tests="4"' "...junit counts every expected cell"
is "$(grep -c 'type="missing"' "$M/junit.xml")" "$missing" "...each missing cell a junit error of type missing ($missing)"
grep -q "Cells: 4 expected, $((4 - missing)) ran, $missing missing" "$M/report.md"
ok $? "...the report names the count"
"$P" merge "$(readlink -f "$TMP/sh1/latest")" "$(readlink -f "$TMP/sh2/latest")" -o "$TMP/m3" >/dev/null 2>&1
mrc=$?
M3=$(readlink -f "$TMP/m3/latest")
cmds=$(json "$M3/env.json" '$d->{command}')
grep -q -- "--shard 1/2" <<<"$cmds" && grep -q -- "--shard 2/2" <<<"$cmds" && grep -q "probelock merge" <<<"$cmds"
ok $? "...the reproduce line holds each shard's command and the merge, not shard 1's alone"
"$P" merge "$FULL" "$(readlink -f "$TMP/sh1/latest")" -o "$TMP/mx" --only client.mode=blocking >"$TMP/mx.out" 2>&1
is "$?" 2 "merge takes no --only: exit 2"

# 8. SIGINT at cell 2 of 6: exit 130, the report and junit say incomplete.
cat >"$TMP/six.yaml" <<'YAML'
name: six
target: { kind: loopback }
server: { mode: stall, stall_for: 1500ms }
client: { payload: 64K, alarm: 10s, mode: nonblocking }
matrix:
  client.payload: [60000, 60001, 60002, 60003, 60004, 60005]
YAML
"$P" run "$TMP/six.yaml" -o "$TMP/six" >"$TMP/six.out" 2>&1 &
pid=$!
track $pid
for _ in $(seq 200); do
	r=$(readlink -f "$TMP/six/latest" 2>/dev/null)
	[ -n "$r" ] && [ "$(lines "$r/cells.jsonl")" -ge 1 ] && break
	sleep 0.05
done
sleep 0.3
kill -INT $pid
wait $pid
is "$?" 130 "SIGINT mid-run: exit 130"
S=$(readlink -f "$TMP/six/latest")
ran=$(lines "$S/cells.jsonl")
grep -q "INCOMPLETE: $ran of 6 cells ran, $((6 - ran)) missing" "$S/report.md" && ! grep -q "Every expectation held" "$S/report.md"
ok $? "...report.md says INCOMPLETE ($ran of 6), never 'Every expectation held'"
is "$(grep -o 'tests="[0-9]*"' "$S/junit.xml")" 'tests="6"' "...junit.xml counts all 6"
is "$(grep -c 'type="missing"' "$S/junit.xml")" "$((6 - ran))" "...the ones that did not run as errors"
is "$(ls -a "$S/cells" | grep -c partial)" 0 "...and the interrupted cell left no half folder"
"$P" report "$S" >/dev/null 2>&1
is "$?" 1 "...and probelock report of it exits 1"

# 7. A full disk: named with the folder, nothing reported that was not written.
mkdir -p "$TMP/full-disk"
unshare --mount --propagation private sh -c "mount -t tmpfs -o size=160k plk-full '$TMP/full-disk' &&
	'$P' run '$TMP/s.yaml' -o '$TMP/full-disk'" >"$TMP/disk.out" 2>&1
is "$?" 3 "a 160 KiB results disk: exit 3"
grep -q "No space left on device" "$TMP/disk.out"
ok $? "...naming ENOSPC and the folder: $(grep -m1 'No space' "$TMP/disk.out" | cut -c1-150)"
grep -q "^report: " "$TMP/disk.out" || ! grep -q "pass$" "$TMP/disk.out"
ok $? "...no report path printed, no cell said to pass"
# 1200 KiB and twenty cells of some 30 KiB each: the first cells fit, then the space runs out:
# what ran is recorded whole, the rest is missing.
cat >"$TMP/big.yaml" <<'YAML'
name: big
target: { kind: loopback }
client: { mode: nonblocking, alarm: 10s }
capture: { keep: always }
matrix:
  client.payload: [60000, 60001, 60002, 60003, 60004, 60005, 60006, 60007, 60008, 60009,
                   60010, 60011, 60012, 60013, 60014, 60015, 60016, 60017, 60018, 60019]
YAML
unshare --mount --propagation private sh -c "mount -t tmpfs -o size=1200k plk-full '$TMP/full-disk' &&
	'$P' run '$TMP/big.yaml' -o '$TMP/full-disk' > '$TMP/disk2.out' 2>&1; echo \$? > '$TMP/disk2.rc';
	r=\$(readlink -f '$TMP/full-disk/latest'); cp \"\$r/cells.jsonl\" '$TMP/disk2.jsonl' 2>/dev/null;
	for f in \"\$r\"/cells/*/analysis.json; do [ -s \"\$f\" ] && echo ok; done > '$TMP/disk2.an';
	ls -a \"\$r/cells\" > '$TMP/disk2.ls' 2>/dev/null; true"
is "$(cat "$TMP/disk2.rc")" 3 "a disk that fills mid-run: exit 3"
grep -q "No space left on device" "$TMP/disk2.out"
ok $? "...naming ENOSPC: $(grep -m1 'No space' "$TMP/disk2.out" | cut -c1-150)"
is "$(lines "$TMP/disk2.jsonl")" "$(grep -c ok "$TMP/disk2.an")" \
	"...every recorded cell has its analysis.json ($(lines "$TMP/disk2.jsonl") recorded)"
is "$(grep -c '\.partial$' "$TMP/disk2.ls")" 0 "...and no half-written cell folder is left"

# 12. A remote board that refuses the connection: an error of the setup, whatever the expectations.
start_echod G --mode event
gport=$G_PORT
stop_pid "$G_PID"
cat >"$TMP/refused.yaml" <<YAML
name: refused
target: { kind: remote, host: 127.0.0.1, port: $gport, iface: lo }
client: { payload: 60000, alarm: 5s }
matrix:
  client.mode: [blocking, nonblocking]
expect:
  - when: { client.mode: blocking }
    outcome: deadlock
YAML
"$P" run "$TMP/refused.yaml" -o "$TMP/ref" >"$TMP/ref.out" 2>&1
is "$?" 1 "a refused board: exit 1"
R=$(readlink -f "$TMP/ref/latest")
is "$(perl -MJSON::PP -ne 'print decode_json($_)->{verdict}, " "' "$R/cells.jsonl")" "error error " \
	"...both cells error, the one with an expectation too"
grep -q "Connection refused" "$R/cells.jsonl"
ok $? "...saying connect: Connection refused"

# 14. A record without stall causes, a last record without its newline: read, not crashed on.
cp -a "$FULL" "$TMP/hand"
perl -MJSON::PP -ne '$d = decode_json($_); delete $d->{analysis}{stall_causes}; print JSON::PP->new->canonical->encode($d), "\n"' \
	"$FULL/cells.jsonl" >"$TMP/hand/cells.jsonl"
printf '%s' "$(cat "$TMP/hand/cells.jsonl")" >"$TMP/hand/cells.jsonl.x" && mv "$TMP/hand/cells.jsonl.x" "$TMP/hand/cells.jsonl"
"$P" report "$TMP/hand" >"$TMP/hand.out" 2>&1
is "$?" 0 "report of records without stall_causes, the last without a newline: exit 0"
is "$(grep -c . "$TMP/hand/summary.csv")" 5 "...every cell in summary.csv"
"$P" run --resume "$TMP/hand" >/dev/null 2>&1
is "$?" 0 "...resume finds nothing to run: the unterminated last record is whole"
is "$(lines "$TMP/hand/cells.jsonl")" 4 "...and is kept, one record a line"

# Done-when 2: run, resume and merge of one scenario: the same summary.csv and junit.xml,
# apart from what is measured (times, throughput, bytes of a deadlock, stall figures).
"$P" run "$TMP/s.yaml" -o "$TMP/res" >/dev/null 2>&1 &
pid=$!
track $pid
for _ in $(seq 200); do
	r=$(readlink -f "$TMP/res/latest" 2>/dev/null)
	[ -n "$r" ] && [ "$(lines "$r/cells.jsonl")" -ge 2 ] && break
	sleep 0.05
done
kill -INT $pid
wait $pid
RES=$(readlink -f "$TMP/res/latest")
"$P" run --resume "$RES" >/dev/null 2>&1
is "$?" 0 "the interrupted run resumed: exit 0"
is "$mrc" 0 "the two shards merged: exit 0"
# summary.csv columns: id,repeat,payload,mode,outcome,ended_by,verdict,duration_s,throughput,bytes,stall,detected,causes,failed,detail
cut_csv() { perl -F, -lane 'print join ",", @F[0..6], @F[12..13]' "$1"; }
cut_xml() { sed 's/time="[0-9.]*"//g' "$1"; }
is "$(cut_csv "$RES/summary.csv")" "$(cut_csv "$FULL/summary.csv")" "summary.csv: resumed run = whole run"
is "$(cut_csv "$M3/summary.csv")" "$(cut_csv "$FULL/summary.csv")" "summary.csv: merged shards = whole run"
is "$(cut_xml "$RES/junit.xml")" "$(cut_xml "$FULL/junit.xml")" "junit.xml: resumed run = whole run (times aside)"
is "$(cut_xml "$M3/junit.xml")" "$(cut_xml "$FULL/junit.xml")" "junit.xml: merged shards = whole run (times aside)"
# 13. merge of the run folders of two scenarios: exit 2 (invalid input), naming both scenarios.
cat >"$TMP/other2.yaml" <<'YAML'
name: otherscen
target: { kind: loopback }
capture: { enabled: false }
client: { mode: nonblocking, payload: 1000, alarm: 5s }
YAML
"$P" run "$TMP/other2.yaml" -o "$TMP/o2" >/dev/null 2>&1
is "$?" 0 "a run of a second scenario: exit 0"
"$P" merge "$FULL" "$(readlink -f "$TMP/o2/latest")" -o "$TMP/mo" >"$TMP/mo.out" 2>&1
is "$?" 2 "merge of two scenarios' folders: exit 2"
grep -q "scenario 'integ'.*scenario 'otherscen'" "$TMP/mo.out"
ok $? "...naming both scenarios ($(cat "$TMP/mo.out"))"

# 14. No baseline measurement succeeds (a remote DUT with no iperf server): one line says so.
cat >"$TMP/nobase.yaml" <<YAML
name: nobase
target: { kind: remote, host: 127.0.0.1, port: $gport, iface: lo }
capture: { enabled: false }
client: { mode: nonblocking, payload: 1000, alarm: 5s }
baseline: { iperf3: { port: $gport }, iperf2: { port: $gport } }
YAML
"$P" run "$TMP/nobase.yaml" -o "$TMP/nb" >"$TMP/nb.out" 2>&1
grep -q "^baseline: no measurement succeeded: iperf3 on the DUT 127.0.0.1:$gport: .*; iperf2 on the DUT" "$TMP/nb.out"
ok $? "every baseline measurement failed: one line says why ($(grep -c '^baseline' "$TMP/nb.out") baseline lines)"
grep -q '^baseline: .*Mbit/s' "$TMP/nb.out"
is "$?" 1 "...and no measurement is printed"
nbmd=$(readlink -f "$TMP/nb/latest")/report.md
grep -q '^No measurement succeeded' "$nbmd" && ! grep -q '^| target | tool | Mbit/s |' "$nbmd"
ok $? "...and report.md says so instead of an empty baseline table"

# 15. Long cell ids: the verdict table's columns stay aligned (the id column sized from the
# longest id, cut in the middle past 80 characters).
cat >"$TMP/long.yaml" <<'YAML'
name: longids
target: { kind: loopback }
capture: { enabled: false }
client: { mode: nonblocking, alarm: 5s }
matrix:
  client.payload: [1000, 2000]
  client.sndbuf: [65536, 131072]
  client.rcvbuf: [65536, 131072]
  client.chunk: [1000, 2000]
  client.alarm: [5s, 6s]
  server.sndbuf: [65536, 131072]
YAML
"$P" run "$TMP/long.yaml" --only client.payload=1000,client.sndbuf=65536,client.rcvbuf=65536,client.chunk=1000 -o "$TMP/lg" >"$TMP/lg.out" 2>&1
is "$?" 0 "a scenario with long ids: exit 0"
# The column of "outcome" in the header and of "completed" in every row.
hdr=$(grep '^cell ' "$TMP/lg.out")
col=$(awk -v h="$hdr" 'BEGIN { print index(h, " outcome") }')
bad=$(grep ' completed ' "$TMP/lg.out" | grep -v '^\[' | awk -v c="$col" '{ if (index($0, " completed ") != c) n++ } END { print n + 0 }')
rows=$(grep -c ' completed ' "$TMP/lg.out" | head -1)
ok $([ "$col" -gt 40 ] && [ "$bad" = 0 ] && [ "$rows" -ge 4 ]; echo $?) "...every row's outcome under the header's (column $col, $bad misaligned)"

done_testing
