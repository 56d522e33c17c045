# lib.sh: TAP helpers for the process tests. Every test sources it; everything a
# test starts is recorded by PID and stopped by PID on exit, error or signal.

BIN=${PROBELOCK_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/bin}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/probelock-test.XXXXXX")
_pids=()
_netns=()
_n=0
_failed=0

cleanup() {
	local p ns
	for p in "${_pids[@]}"; do
		kill -TERM "$p" 2>/dev/null && { timeout 5 tail --pid="$p" -f /dev/null 2>/dev/null || kill -KILL "$p" 2>/dev/null; }
	done
	for ns in "${_netns[@]}"; do ip netns del "$ns" 2>/dev/null; done
	# make test: the result documents this test left, audited before they go (99-stall-audit.t).
	[ -n "${PROBELOCK_STALL_AUDIT:-}" ] &&
		perl "$(dirname "${BASH_SOURCE[0]}")/stall-audit.pl" "$TMP" >>"$PROBELOCK_STALL_AUDIT" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

plan() { echo "1..$1"; }
ok() { # ok CONDITION-EXIT-STATUS DESCRIPTION
	_n=$((_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $_n - $2"; else echo "not ok $_n - $2"; _failed=$((_failed + 1)); fi
}
is() { # is GOT WANT DESCRIPTION
	_n=$((_n + 1))
	if [ "$1" == "$2" ]; then echo "ok $_n - $3"; else
		echo "not ok $_n - $3"; echo "#   got:  '$1'"; echo "#   want: '$2'"; _failed=$((_failed + 1)); fi
}
diag() { echo "# $*"; }
track() { _pids+=("$1"); }
track_netns() { _netns+=("$1"); }

# start_echod NAME ARGS...: starts echod with ARGS (plus --port 0), waits for its
# readiness line (5 s at most) and sets NAME_PID and NAME_PORT.
start_echod() {
	local name=$1 out port i
	shift
	out="$TMP/$name.out"
	# A name used twice: the old file (and its old port) must be gone before
	# the new process starts, or the readiness check could read it.
	rm -f "$out"
	"$BIN/echod" --port 0 "$@" >"$out" 2>"$TMP/$name.err" &
	local pid=$!
	track "$pid"
	for i in $(seq 100); do
		port=$(awk '/^listening on /{print $4; exit}' "$out" 2>/dev/null)
		[ -n "$port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if [ -z "$port" ]; then
		echo "Bail out! echod $* did not become ready: $(cat "$TMP/$name.err")"
		exit 1
	fi
	printf -v "${name}_PID" '%s' "$pid"
	printf -v "${name}_PORT" '%s' "$port"
}

# stop_pid PID: SIGTERM, wait (10 s at most); returns the exit status.
stop_pid() {
	kill -TERM "$1" 2>/dev/null
	local i
	for i in $(seq 200); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
	wait "$1" 2>/dev/null
}

# start_bad HOW N: starts bad-echo.pl (see there) and sets BAD_PORT.
start_bad() {
	local out="$TMP/bad.out"
	rm -f "$out"
	perl "$(dirname "${BASH_SOURCE[0]}")/bad-echo.pl" "$1" "$2" >"$out" 2>"$TMP/bad.err" &
	track $!
	BAD_PORT=""
	for _ in $(seq 100); do
		BAD_PORT=$(awk '/^listening on /{print $4; exit}' "$out" 2>/dev/null)
		[ -n "$BAD_PORT" ] && return
		sleep 0.05
	done
	echo "Bail out! bad-echo.pl $* did not become ready: $(cat "$TMP/bad.err")"
	exit 1
}

# tap_netns NS TAP: a namespace of the test's own holding TAP (MTU 576, what
# lwIP assumes) with 198.18.0.1/30 on its Linux side, removed on exit.
tap_netns() {
	ip netns add "$1" && track_netns "$1" &&
		ip -n "$1" tuntap add dev "$2" mode tap &&
		ip -n "$1" link set "$2" mtu 576 &&
		ip -n "$1" addr add 198.18.0.1/30 dev "$2" &&
		ip -n "$1" link set "$2" up &&
		ip -n "$1" link set lo up
}

# json FILE PERL-EXPR: prints a value of a JSON document ($d is the decoded doc).
json() {
	perl -MJSON::PP -e 'local $/; open my $f, "<", $ARGV[0] or die "$ARGV[0]: $!";
		my $d = JSON::PP->new->decode(<$f>); my $v = eval $ARGV[1]; die $@ if $@;
		print defined $v ? (JSON::PP::is_bool($v) ? ($v ? "true" : "false") : $v) : "null"' "$1" "$2"
}

# vmhwm PID: peak resident set in KiB.
vmhwm() { awk '/^VmHWM:/{print $2}' "/proc/$1/status"; }

done_testing() { [ "$_failed" -eq 0 ]; }
