#!/usr/bin/env bash
# deps.sh [bench|fuzz|freshroot]: check the Debian packages probelock needs (and, with
# "bench", the benchmarks' peers; with "fuzz", clang's libFuzzer; with "freshroot", what the
# fresh-root check needs); install the missing ones with apt-get when
# run as root, otherwise print the exact command to run.
set -euo pipefail

# Build and test: compiler, pkg-config, the libraries, cmocka, prove (perl).
# Field tools of DESIGN.md: capture, plots, baselines, the lwIP target, namespaces.
PACKAGES=(
	build-essential pkg-config perl procps
	libevent-dev libjansson-dev libyaml-dev libpcap-dev libcmocka-dev libcmark-gfm-dev
	libcmark-gfm-extensions-dev # report.c: cmark-gfm-core-extensions.h (GFM tables)
	nettle-dev # results.c: SHA-256 of a scenario's expanded form (nettle/sha2.h)
	gnuplot-nox iperf3 iperf liblwip-dev iproute2 nftables tcpdump
	tshark # the tests' oracle for the capture analysis, nothing else uses it
	libxml2-utils # xmllint: the tests validate junit.xml against tests/junit.xsd
	valgrind      # memcheck runs of echod, tcpecho and probelock analyze (tests/proc/19)
	openbsd-inetd # the draft's server, its built-in echo: a peer the project did not write (tests/proc/24)
	              # and one to measure against (bench). The tests run their own inetd in a namespace of their
	              # own (its port 7); Debian's own service answers nothing (an empty /etc/inetd.conf)
	netbase       # /etc/services: inetd resolves its built-in "echo" by name (a minbase root has none)
	python3-minimal # a client written in another language against echod --monitor (tests/proc/25)
)

# `deps.sh bench`: the peers that make bench measures probelock against too.
if [[ ${1:-} == bench ]]; then
	PACKAGES+=(socat)
fi
# `deps.sh freshroot`: what tests/freshroot/check.sh needs to make and enter a fresh root.
if [[ ${1:-} == freshroot ]]; then
	PACKAGES+=(mmdebstrap slirp4netns util-linux git)
fi
# `deps.sh fuzz`: clang with libFuzzer and the sanitizers' runtimes.
if [[ ${1:-} == fuzz ]]; then
	PACKAGES+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if ((EUID != 0)); then
	echo "deps: missing Debian packages: ${missing[*]}" >&2
	echo "deps: run as root: apt-get update && $cmd" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends "${missing[@]}"
