#!/usr/bin/env bash
# env down beside runs still going (two engineers or two CI jobs on one bench).
# Three real `probelock run`s of a netns scenario at once: `probelock env down`
# from another process leaves every one alone (namespaces and processes
# survive); then one run is SIGKILLed mid-cell and env down removes exactly
# what it left (its namespaces, its echod and tcpecho by PID, its registry)
# and nothing of the others, which finish every cell and exit 0. `env down
# --force` removes a run still going too. The registry names each run's owner
# by PID and start time (field 22 of /proc/PID/stat).
. "$(dirname "$0")/lib.sh"
P="$BIN/probelock"
BINR=$(readlink -f "$BIN")
REG=/run/probelock
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (namespaces)"
	exit 0
fi
plan 36

_runs=() # probelock runs started here
_tags=() # their tags
_left=() # PIDs of programs of a killed run
own_cleanup() {
	local p t
	# A run stopped by SIGTERM removes what its cell created.
	for p in "${_runs[@]}"; do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" == "$BINR/probelock" ] || continue
		kill -TERM "$p" 2>/dev/null && { timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null || kill -KILL "$p" 2>/dev/null; }
	done
	# What a killed run left, if a check failed before env down removed it.
	for p in "${_left[@]}"; do
		case "$(readlink "/proc/$p/exe" 2>/dev/null)" in
		"$BINR/echod" | "$BINR/tcpecho") kill -KILL "$p" 2>/dev/null ;;
		esac
	done
	# Our tags' namespaces and registries, unless another run holds the tag by now.
	for t in "${_tags[@]}"; do
		if [ -e "$REG/$t.state" ]; then
			owner=$(awk '$1 == "owner" {print $2}' "$REG/$t.state")
			[[ " ${_runs[*]} " == *" $owner "* ]] || continue
			rm -f "$REG/$t.state"
		fi
		for s in c s d; do ip netns del "plk-$t-$s" 2>/dev/null; done
	done
}
trap 'own_cleanup; cleanup' EXIT

cat >"$TMP/owner.yaml" <<'YAML'
name: owner
target: { kind: netns }
server: { mode: stall, stall_for: 6s }
client: { payload: 100000, alarm: 20s }
capture: { enabled: false }
repeat: 2
YAML

# start_run NAME: starts `probelock run` into $TMP/NAME, sets NAME_PID.
start_run() {
	"$P" run "$TMP/owner.yaml" -o "$TMP/$1" >"$TMP/$1.out" 2>&1 &
	printf -v "$1_PID" '%s' "$!"
	_runs+=("$!")
}
# run_tag PID: the tag of the registry whose owner is PID (5 s at most).
run_tag() {
	local f
	for _ in $(seq 100); do
		f=$(grep -l "^owner $1 " "$REG"/*.state 2>/dev/null | head -1)
		[ -n "$f" ] && { basename "$f" .state; return 0; }
		sleep 0.05
	done
	return 1
}
# kids PID: its echod and tcpecho children.
kids() {
	local k
	for k in $(pgrep -P "$1"); do
		case "$(readlink "/proc/$k/exe" 2>/dev/null)" in "$BINR/echod" | "$BINR/tcpecho") echo "$k" ;; esac
	done | sort -n | tr '\n' ' '
}
# nss TAG: the namespaces carrying TAG.
nss() { ip netns list 2>/dev/null | awk -v p="plk-$1-" 'index($1, p) == 1 {print $1}' | sort | tr '\n' ' '; }
# mid_cell NAME: waits (15 s at most) until run NAME has its two namespaces,
# echod and tcpecho: a cell has just begun. Sets NAME_TAG, NAME_KIDS, NAME_NS.
mid_cell() {
	local pid=${1}_PID tag k
	tag=$(run_tag "${!pid}") || { echo "Bail out! run $1 wrote no registry naming it: $(cat "$TMP/$1.out")"; exit 1; }
	_tags+=("$tag")
	for _ in $(seq 300); do
		k=$(kids "${!pid}")
		[ "$(nss "$tag" | wc -w)" -eq 2 ] && [ "$(echo "$k" | wc -w)" -eq 2 ] && break
		sleep 0.05
	done
	[ "$(echo "$k" | wc -w)" -eq 2 ] || { echo "Bail out! run $1 did not start a cell: $(cat "$TMP/$1.out")"; exit 1; }
	printf -v "${1}_TAG" '%s' "$tag"
	printf -v "${1}_KIDS" '%s' "$k"
	printf -v "${1}_NS" '%s' "$(nss "$tag")"
}
# alive PID...: how many of them still run (not gone, not a zombie).
alive() {
	local n=0 p
	for p in "$@"; do [ -d "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] && n=$((n + 1)); done
	echo $n
}
# wait_run NAME SECS: waits for run NAME; sets RC to its exit status (124: still running).
wait_run() {
	local pid=${1}_PID
	for _ in $(seq $(($2 * 20))); do kill -0 "${!pid}" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "${!pid}" 2>/dev/null; then RC=124; else wait "${!pid}"; RC=$?; fi
}
# survives NAME: its namespaces and programs as at mid_cell, and its registry.
survives() {
	local tag=${1}_TAG kids=${1}_KIDS ns=${1}_NS
	[ "$(nss "${!tag}")" == "${!ns}" ] && [ "$(alive ${!kids})" -eq 2 ] && [ -e "$REG/${!tag}.state" ]
}

start_run A
mid_cell A
start_run B
mid_cell B
start_run C
mid_cell C
diag "A: pid $A_PID tag $A_TAG ns $A_NS kids $A_KIDS; B: pid $B_PID tag $B_TAG; C: pid $C_PID tag $C_TAG"
ok "$([ "$A_TAG" != "$B_TAG" ] && [ "$B_TAG" != "$C_TAG" ] && [ "$A_TAG" != "$C_TAG" ]; echo $?)" \
	"three runs at once, three tags ($A_TAG $B_TAG $C_TAG)"
is "$(awk '$1 == "owner" {print $2, $3}' "$REG/$A_TAG.state")" "$A_PID $(awk '{print $22}' "/proc/$A_PID/stat")" \
	"the registry names its owner: PID and start time (field 22 of /proc/PID/stat)"
is "$(head -1 "$REG/$A_TAG.state")" "run $A_TAG" "the registry's first line names the run"

"$P" env status >"$TMP/status1.out" 2>&1
for r in A B C; do
	pid=${r}_PID tag=${r}_TAG
	grep -q "^run ${!tag} (pid ${!pid}, started [0-9-]* [0-9:]*): still going" "$TMP/status1.out"
	ok $? "env status: run $r ${!tag} still going"
done

# (1) env down from a third process while the runs go on.
"$P" env down >"$TMP/down1.out" 2>&1
is "$?" 0 "env down beside three runs: exit 0"
for r in A B C; do
	survives "$r"
	ok $? "env down beside runs: run $r keeps its namespaces, echod, tcpecho and registry"
done
for r in A B C; do
	pid=${r}_PID tag=${r}_TAG
	grep -q "^run ${!tag} (pid ${!pid}, started .*) is still going: left alone; \`probelock env down --force\` removes it too$" \
		"$TMP/down1.out"
	ok $? "env down says run $r is still going and left alone"
done
! grep -Eq "plk-($A_TAG|$B_TAG|$C_TAG)-|process ($(echo $A_KIDS $B_KIDS $C_KIDS | tr ' ' '|')) " "$TMP/down1.out"
ok $? "env down removed nothing of them"
diag "env down: $(tr '\n' ';' <"$TMP/down1.out")"

# (2) SIGKILL run C mid-cell (its cell still has seconds to go).
C_KIDS_NOW=$(kids "$C_PID")
_left+=($C_KIDS_NOW)
disown "$C_PID" # no job notice
kill -KILL "$C_PID"
timeout 5 tail --pid="$C_PID" -f /dev/null
is "$(alive $C_KIDS_NOW)" 2 "C killed mid-cell: its echod and tcpecho ($C_KIDS_NOW) run on"
is "$(nss "$C_TAG")" "$C_NS" "C killed mid-cell: its namespaces are left behind"
"$P" env status >"$TMP/status2.out" 2>&1
grep -q "^run $C_TAG (pid $C_PID, started .*): gone; \`probelock env down\` removes what it left" "$TMP/status2.out"
ok $? "env status: run C $C_TAG gone"
grep -q "^run $A_TAG (pid $A_PID, started .*): still going" "$TMP/status2.out"
ok $? "env status: run A still going"

"$P" env down >"$TMP/down2.out" 2>&1
is "$?" 0 "env down after the kill: exit 0"
diag "env down: $(tr '\n' ';' <"$TMP/down2.out")"
sleep 0.2
is "$(alive $C_KIDS_NOW)" 0 "env down stopped the killed run's echod and tcpecho"
is "$(nss "$C_TAG")" "" "env down deleted the killed run's namespaces"
ok "$([ ! -e "$REG/$C_TAG.state" ]; echo $?)" "env down removed the killed run's registry"
grep -q "^run $C_TAG (pid $C_PID, started .*) is gone: removing what it left$" "$TMP/down2.out"
ok $? "env down says run C is gone"
n=0
for k in $C_KIDS_NOW; do grep -q "^stopped process $k ($BINR/\(echod\|tcpecho\))$" "$TMP/down2.out" && n=$((n + 1)); done
is "$n" 2 "env down names each process it stopped, by PID"
n=0
for ns in $C_NS; do grep -q "^deleted network namespace $ns$" "$TMP/down2.out" && n=$((n + 1)); done
is "$n" 2 "env down names each namespace it deleted"
for r in A B; do
	survives "$r"
	ok $? "env down after the kill: run $r keeps its namespaces, echod, tcpecho and registry"
done
! grep -Eq "plk-($A_TAG|$B_TAG)-|process ($(echo $A_KIDS $B_KIDS | tr ' ' '|')) " "$TMP/down2.out"
ok $? "env down after the kill removed nothing of runs A and B"

# Both runs still going finish every cell.
for r in A B; do
	wait_run "$r" 40
	is "$RC" 0 "run $r finishes: exit 0"
	is "$(perl -MJSON::PP -ne 'print decode_json($_)->{verdict}, " "' "$TMP/$r/latest/cells.jsonl" 2>/dev/null)" \
		"pass pass " "run $r: both cells ran and passed"
done

# (3) --force removes a run still going. Only when every run on this host is
# ours: --force would remove another engineer's run too.
start_run E
mid_cell E
foreign=$( (ls "$REG" 2>/dev/null | grep '\.state$' | grep -v "^$E_TAG\.state$"; ip netns list | awk '/^plk-/{print $1}' | grep -v "^plk-$E_TAG-") | tr '\n' ' ')
# E is stopped (SIGSTOP: its process still there, so still going) lest its
# next cell build the same namespaces again before they are looked at.
kill -STOP "$E_PID"
if [ -z "$foreign" ]; then
	"$P" env down --force >"$TMP/down3.out" 2>&1
	is "$?" 0 "env down --force: exit 0"
	diag "env down --force: $(tr '\n' ';' <"$TMP/down3.out")"
	sleep 0.2
	ok "$([ "$(alive $E_KIDS)" -eq 0 ] && [ -z "$(nss "$E_TAG")" ]; echo $?)" \
		"env down --force: the running run's echod, tcpecho and namespaces are gone"
	grep -q "^run $E_TAG (pid $E_PID, started .*) is still going: --force removes" "$TMP/down3.out"
	ok $? "env down --force says whose they were"
else
	for d in "env down --force: exit 0" "env down --force: everything gone" "env down --force says whose"; do
		_n=$((_n + 1))
		echo "ok $_n - $d # SKIP another probelock run is on this host ($foreign): --force would remove it"
	done
fi
kill -CONT "$E_PID"
stop_pid "$E_PID"
is "$(nss "$A_TAG")$(nss "$B_TAG")$(nss "$C_TAG")$(nss "$E_TAG")" "" "none of the test's namespaces is left"
done_testing
