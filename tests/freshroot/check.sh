#!/usr/bin/env bash
# tests/freshroot/check.sh [--refresh] [--log DIR] [COMMIT]: the README's two commands, exactly
# as README.md writes them, on a fresh Debian 12 minbase root that has nothing but git and a
# clone of COMMIT (default HEAD). Fails when either command fails, when the first does not end
# with the path of a report that exists, or the second without prove's "Result: PASS".
#
# Isolation (nothing survives the check, whether it ends, fails, or is stopped by SIGINT or
# SIGKILL): the check runs itself again under `unshare --pid --mount --kill-child`, as PID 1
# of its own PID namespace, so every process it starts dies with it; the root is a tmpfs
# mounted in that private mount namespace, so it and every mount below it (proc, sys, dev, the
# namespaces' bind mounts in its /run/netns) go away with the last process. The README's
# commands run in a network namespace of their own (their plk- namespaces, veths, qdiscs and
# nftables tables are created inside it and die with it), which reaches Debian's registry
# through slirp4netns (user-mode NAT, addresses of 198.18.0.0/15) for the package install.
#
# The minbase root is made once by mmdebstrap from this machine's Debian apt sources and kept
# in /var/cache/probelock/ (about 20-30 s and 230 MB); --refresh makes it again.
# Exit: 0 passed; 1 failed (or could not run under CI=true); 77 could not run (not root, no
# mmdebstrap and no way to install it), with a line saying why.
set -euo pipefail

CACHE=${PROBELOCK_FRESHROOT_CACHE:-/var/cache/probelock}
SUITE=bookworm
SLIRP_CIDR=198.19.254.0/24 # slirp4netns: gateway .2, DNS .3, the root's address .100
SRC=$(cd "$(dirname "$0")/../.." && pwd)

say() { printf 'freshroot: %s\n' "$*"; }
cannot_run() {
	say "CANNOT RUN: $*"
	if [[ ${CI:-} == true ]]; then
		say "CI=true: the fresh-root check must run here; failing"
		exit 1
	fi
	exit 77
}

if [[ ${1:-} == --inside ]]; then
	inside=1
	shift
fi
refresh=0
logdir=
pos=()
while (($#)); do
	case $1 in
	--refresh) refresh=1 ;;
	--log) logdir=${2:?--log needs a directory}; shift ;;
	-h | --help) sed -n '2,20s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) echo "freshroot: unknown option '$1'" >&2; exit 2 ;;
	*) pos+=("$1") ;;
	esac
	shift
done

# ---------------------------------------------------------------------------------------------
# Outside: preconditions, the cached root, then into the namespaces.
if [[ -z ${inside:-} ]]; then
	((EUID == 0)) || cannot_run "needs root (namespaces, mounts, chroot); run it as root"
	need=()
	for c in mmdebstrap slirp4netns unshare nsenter setpriv tar git; do
		command -v "$c" >/dev/null 2>&1 || need+=("$c")
	done
	if ((${#need[@]})); then
		say "installing what the check needs (missing: ${need[*]})"
		bash "$SRC/scripts/deps.sh" freshroot >&2 ||
			cannot_run "missing ${need[*]} and could not install them (scripts/deps.sh freshroot failed: no network?)"
	fi
	commit=$(git -C "$SRC" rev-parse --verify --quiet "${pos[0]:-HEAD}^{commit}") ||
		{ echo "freshroot: '${pos[0]:-HEAD}': not a commit of $SRC" >&2; exit 2; }

	# This machine's Debian sources (deb822 or one-line), nothing else it may have configured.
	sources=
	for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
		[[ -s $f ]] && grep -qE '^[[:space:]]*(deb |URIs:)' "$f" && { sources=$f; break; }
	done
	[[ -n $sources ]] || cannot_run "no Debian apt sources on this machine (/etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list)"
	mkdir -p "$CACHE"
	key=$( { echo "minbase $SUITE git"; cat "$sources"; } | sha256sum | cut -c1-12)
	tarball=$CACHE/freshroot-$SUITE-minbase-$key.tar
	exec 9>"$CACHE/freshroot.lock"
	flock 9 # two checks at once make the tarball once
	rm -f "$CACHE"/freshroot-*.part-*.tar # left by a check killed while making one
	if ((refresh)) || [[ ! -f $tarball || ! -s $tarball ]]; then
		say "making the $SUITE minbase root (mmdebstrap, sources $sources) into $tarball"
		t0=$SECONDS
		# git: the one package the newcomer installed to clone. Lists and caches are cleaned,
		# so the README's command must run apt-get update itself, as on a machine left alone.
		part=${tarball%.tar}.part-$$.tar # mmdebstrap picks the format by the name's ending
		if ! mmdebstrap --quiet --variant=minbase --include=git "$SUITE" "$part" "$sources"; then
			rm -f "$part"
			cannot_run "mmdebstrap could not make the root (no network to Debian's registry?)"
		fi
		mv "$part" "$tarball"
		say "root made in $((SECONDS - t0)) s ($(du -m "$tarball" | cut -f1) MB)"
	fi
	flock -u 9
	exec 9>&-
	# PID 1 of a new PID namespace in a private mount namespace. --kill-child: when unshare
	# dies, so does PID 1, and with it everything inside; --pdeathsig: when this script dies,
	# even by SIGKILL, so does unshare. On SIGINT, SIGTERM or SIGHUP this script kills unshare
	# (unshare itself ignores SIGINT and SIGTERM while it waits).
	setpriv --pdeathsig KILL -- unshare --pid --mount --propagation private --fork --kill-child -- \
		"$0" --inside ${logdir:+--log "$logdir"} "$commit" "$tarball" &
	upid=$!
	trap 'kill -KILL "$upid" 2>/dev/null; wait "$upid" 2>/dev/null || true
	      say "interrupted: every process, mount and namespace of the check is gone"; exit 130' INT TERM HUP
	rc=0
	wait "$upid" || rc=$?
	exit "$rc"
fi

# ---------------------------------------------------------------------------------------------
# Inside: PID 1 of the check's PID namespace. Signals reach PID 1 only through handlers.
commit=${pos[0]:?}
tarball=${pos[1]:?}
trap 'say "interrupted"; exit 130' INT TERM HUP
mount -t proc proc /proc # this namespace's processes only

ROOT=$CACHE/root # a mount point only: the root itself is a tmpfs of this namespace
mkdir -p "$ROOT"
mount -t tmpfs -o size=20g,mode=0755 plk-freshroot "$ROOT"
t0=$SECONDS
tar -xf "$tarball" -C "$ROOT" --numeric-owner --xattrs --xattrs-include='*'
say "root unpacked in $((SECONDS - t0)) s"

# The clone of the commit under test, as the newcomer's `git clone` leaves it.
git clone -q --no-hardlinks "$SRC" "$ROOT/root/probelock"
git -C "$ROOT/root/probelock" checkout -q "$commit"
git -C "$ROOT/root/probelock" remote remove origin

mount -t proc proc "$ROOT/proc"
mount --rbind /sys "$ROOT/sys" && mount --make-rslave "$ROOT/sys"
mount --rbind /dev "$ROOT/dev" && mount --make-rslave "$ROOT/dev" # /dev/net/tun, /dev/pts
mount -t tmpfs -o mode=0755 plk-run "$ROOT/run"

# The network namespace of the README's commands: loopback, and slirp4netns for the registry.
unshare --net -- sleep infinity &
netpid=$!
for _ in $(seq 100); do
	[[ $(readlink /proc/$netpid/ns/net) != "$(readlink /proc/self/ns/net)" ]] && break
	sleep 0.05
done
ready=$ROOT/run/plk-freshroot-ready
mkfifo "$ready"
slirp4netns --configure --mtu=65520 --disable-host-loopback --cidr="$SLIRP_CIDR" \
	--ready-fd=3 "$netpid" tap0 3>"$ready" >/dev/null 2>&1 &
read -r -n 1 -t 10 _ <"$ready" || { say "slirp4netns did not come up"; exit 1; }
rm -f "$ready"
nsenter --net=/proc/$netpid/ns/net ip link set lo up
echo "nameserver ${SLIRP_CIDR%.0/24}.3" >"$ROOT/etc/resolv.conf"

# The README's two commands, as written: the first ```sh block after "## The commands".
mapfile -t cmds < <(awk '/^## The commands/ {s = 1; next}
	s == 1 && /^```sh/ {s = 2; next}
	s == 2 && /^```/ {exit}
	s == 2 && !/^[[:space:]]*(#|$)/' "$ROOT/root/probelock/README.md")
if ((${#cmds[@]} != 2)); then
	say "README.md: the block after '## The commands' must hold two commands, found ${#cmds[@]}"
	exit 1
fi

if [[ -n $logdir ]]; then
	mkdir -p "$logdir"
fi
status=0
names=(first second)
for i in 0 1; do
	out=$ROOT/root/readme-command-$i.log
	say "${names[$i]} README command, in /root/probelock: ${cmds[$i]}"
	t0=$SECONDS
	set +e
	# A login as root would give these; nothing else of this machine's environment goes in.
	nsenter --net=/proc/$netpid/ns/net -- chroot "$ROOT" /usr/bin/env -i \
		HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb CI="${CI:-}" \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/bash -c "cd /root/probelock && ${cmds[$i]}" </dev/null 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	set -e
	secs=$((SECONDS - t0))
	[[ -n $logdir ]] && cp "$out" "$logdir/readme-command-$((i + 1)).log"
	if ((rc != 0)); then
		say "FAIL: '${cmds[$i]}' exited $rc after $secs s"
		status=1
		break
	fi
	if ((i == 0)); then
		report=$(grep -E '^report: .*report\.html$' "$out" | tail -n 1 | sed 's/^report: //')
		if [[ -z $report || $(tail -n 3 "$out" | grep -c '^report: ') == 0 ]]; then
			say "FAIL: '${cmds[$i]}' did not end with the report's path"
			status=1
			break
		fi
		[[ $report == /* ]] || report=/root/probelock/$report
		if [[ ! -s $ROOT$report ]]; then
			say "FAIL: the report it names, $report, does not exist"
			status=1
			break
		fi
		say "PASS: '${cmds[$i]}' in $secs s, report $report ($(stat -c %s "$ROOT$report") bytes)"
	else
		if ! tail -n 5 "$out" | grep -q '^Result: PASS'; then
			say "FAIL: '${cmds[$i]}' did not end with prove's 'Result: PASS'"
			status=1
			break
		fi
		say "PASS: '${cmds[$i]}' in $secs s ($(grep -E '^Files=' "$out" | tail -n 1))"
	fi
done
# Leaving PID 1 ends every process of the namespace; the mounts go with the namespace.
exit $status
