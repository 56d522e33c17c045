#!/usr/bin/env bash
# mkcorpus.sh DIR: the oracle's public corpus. Downloads the Debian 12 source
# packages whose sources hold capture files (apt-get source --download-only,
# with a private list of deb-src lines: the machine's apt configuration is not
# touched), unpacks them under DIR/src and copies every pcap and pcapng file
# (found by its magic number, gzip'd ones decompressed) to DIR/captures, named
# PACKAGE__path__to__file. Nothing here is committed: DIR is for /tmp.
# Packages a mirror does not serve are reported and skipped.
set -uo pipefail
DIR=${1:?usage: mkcorpus.sh DIR}
PKGS=${PKGS:-wireshark tcpdump libpcap ndpi python-dpkt tcpflow scapy tcpreplay tcptrace libtins netsniff-ng}
mkdir -p "$DIR/apt/lists/partial" "$DIR/src" "$DIR/captures"
DIR=$(cd "$DIR" && pwd)
cat >"$DIR/apt/sources.list" <<SRC
deb-src http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian bookworm-updates main
deb-src http://deb.debian.org/debian-security bookworm-security main
SRC
APT=(-o "Dir::Etc::SourceList=$DIR/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
	-o "Dir::State::Lists=$DIR/apt/lists")
apt-get "${APT[@]}" update >"$DIR/apt/update.log" 2>&1 || { echo "mkcorpus: apt-get update failed: see $DIR/apt/update.log" >&2; exit 1; }
cd "$DIR/src" || exit 1
got=() missing=()
for p in $PKGS; do
	# apt-get fails when any file of the package is missing; what counts is
	# the upstream tarball (the captures are there, not in debian/).
	apt-get "${APT[@]}" source --download-only "$p" >"$DIR/apt/$p.log" 2>&1
	if compgen -G "$(apt-cache "${APT[@]}" showsrc "$p" 2>/dev/null | awk '/^Package:/{print $2; exit}')_*.orig.tar.*" >/dev/null; then
		got+=("$p")
	else
		missing+=("$p")
	fi
done
mkdir -p x
for t in *.orig.tar.*; do
	case $t in *.asc) continue ;; esac
	tar -C x -xf "$t" || echo "mkcorpus: cannot unpack $t" >&2
done
# Every file whose first bytes are a pcap or pcapng magic number, or a gzip
# stream holding one.
perl -e '
use strict; use warnings;
my ($src, $out) = @ARGV; my (%n, $files);
sub kind { my $m = unpack "H8", $_[0]; return $m =~ /^(a1b2c3d4|d4c3b2a1|a1b23c4d|4d3cb2a1)$/ ? "pcap" : $m eq "0a0d0d0a" ? "pcapng" : "" }
open my $f, "-|", "find", $src, "-type", "f" or die;
while (my $p = <$f>) {
	chomp $p;
	open my $h, "<:raw", $p or next; my $b = ""; read $h, $b, 4; close $h;
	next unless length $b == 4;
	my $data;
	if (kind($b)) { local $/; open $h, "<:raw", $p or next; $data = <$h>; close $h }
	elsif (unpack("H4", $b) eq "1f8b") { open $h, "-|", "gzip", "-dc", $p or next; binmode $h; local $/; $data = <$h>; close $h;
		next unless defined $data && length $data >= 4 && kind(substr $data, 0, 4) }
	else { next }
	(my $rel = substr $p, length($src) + 1) =~ s/\.gz$//;
	my ($top) = $rel =~ m{^([^/]+)};
	(my $name = $rel) =~ s{/}{__}g;
	open my $o, ">:raw", "$out/$name" or die "$out/$name: $!"; print $o $data; close $o;
	$n{$top}++; $files++;
}
printf "%-28s %5d files\n", $_, $n{$_} for sort keys %n;
printf "%-28s %5d files\n", "total", $files // 0;
' "$DIR/src/x" "$DIR/captures"
echo "source packages: ${got[*]}"
[ ${#missing[@]} -gt 0 ] && echo "not served by the mirror (skipped): ${missing[*]}"
echo "corpus: $DIR/captures"
