#!/usr/bin/env bash
# The docs agree with the programs: three sources compared, each disagreement a
# failure that names the key and both sides.
#  1. scenarios/README.md's tables (top-level keys, expect fields, the keys of
#     the sections: key, type, default) against `probelock keys` (the schema);
#  2. the scenario's defaults against tcpecho's and echod's own, read from
#     their --help: where a scenario default differs from the program's on
#     purpose, the README's row and `probelock keys` must both say
#     "defaults to <the program's>".
# Starts nothing but --help and keys: no lock needed, but harmless under one.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
README=${PROBELOCK_DOCS_README:-$ROOT/scenarios/README.md}
plan 8

"$BIN/probelock" keys >"$TMP/keys" 2>&1
is "$?" 0 "probelock keys runs"
"$BIN/tcpecho" --help >"$TMP/tcpecho.help" 2>&1
"$BIN/echod" --help >"$TMP/echod.help" 2>&1

# docs.pl WHAT: prints one line per disagreement (nothing when they agree).
cat >"$TMP/docs.pl" <<'PERL'
use strict;
use warnings;
my ($what, $readme, $keys, $tcpecho, $echod) = @ARGV;

sub slurp { open my $f, '<', $_[0] or die "$_[0]: $!"; local $/; my $t = <$f>; close $f; $t }

# README: the rows of the table under each heading, as key => [cells].
my %md;
{
	my $sec = '';
	for (split /\n/, slurp($readme)) {
		$sec = $1 if /^###?\s+(.*)/;
		next unless /^\|\s*`([^`]+)`\s*\|(.*)\|\s*$/;
		my ($k, @c) = ($1, map { s/^\s+|\s+$//gr } split /\|/, $2);
		$md{$sec}{$k} = \@c;
	}
}
# probelock keys: the lines under each heading (the headings start with '#').
my %pk;
{
	my $blk = '';
	for (split /\n/, slurp($keys)) {
		if (/^# Top-level keys:/) { $blk = 'top'; next }
		if (/^# Fields of an expect rule/) { $blk = 'expect'; next }
		if (/^# Keys of the sections/) { $blk = 'keys'; next }
		next if /^#/ || !/\S/;
		my ($k, $type, $rest) = /^(\S+)\s+(one of|\S+)\s+(.*)$/ or next;
		if ($blk eq 'keys') {
			my ($def, $help) = $rest =~ /^(\S+)\s*(.*)$/;
			$pk{keys}{$k} = [$type, $def eq '""' ? '' : $def, $help];
		} else {
			$pk{$blk}{$k} = [$type, $rest];
		}
	}
}
my @bad;
my %mdsec = (top => 'Top-level keys', expect => 'Expectation rules', keys => 'Keys of the sections and the matrix');
if ($what eq 'tables') {
	for my $blk (qw(top expect keys)) {
		my ($m, $p) = ($md{$mdsec{$blk}} // {}, $pk{$blk} // {});
		push @bad, "$blk: probelock keys has no lines here" unless %$p;
		for my $k (sort keys %$p) {
			my $row = $m->{$k} or do { push @bad, "$k: in probelock keys, not in the README's $mdsec{$blk} table"; next };
			push @bad, "$k: type '$row->[0]' in the README, '$p->{$k}[0]' in probelock keys" if $row->[0] ne $p->{$k}[0];
			if ($blk eq 'keys') {
				my $d = $row->[1] eq '(empty)' ? '' : $row->[1] =~ s/^`|`$//gr;
				push @bad, "$k: default '$d' in the README, '$p->{$k}[1]' in probelock keys" if $d ne $p->{$k}[1];
				push @bad, "$k: meaning differs:\n  README: $row->[2]\n  keys:   $p->{$k}[2]" if $row->[2] ne $p->{$k}[2];
			} elsif ($blk eq 'expect') {
				push @bad, "$k: README says '$row->[1]', probelock keys '$p->{$k}[1]'" if $row->[1] ne $p->{$k}[1];
			}
		}
		for my $k (sort keys %$m) {
			push @bad, "$k: in the README's $mdsec{$blk} table, not in probelock keys" unless $p->{$k};
		}
	}
} else {
	# The programs' defaults: key => [program, option]; "(default X)" after the option.
	my %prog = (
		'server.mode' => [echod => '--mode'], 'server.app_buf' => [echod => '--app-buf'],
		'server.out_cap' => [echod => '--out-cap'], 'server.rate' => [echod => '--rate'],
		'server.stall_for' => [echod => '--stall-for'], 'server.idle_timeout' => [echod => '--idle-timeout'],
		'server.rcvbuf' => [echod => '--rcvbuf'],
		'client.mode' => [tcpecho => '--mode'], 'client.times' => [tcpecho => '--times'],
		'client.alarm' => [tcpecho => '--alarm'], 'client.chunk' => [tcpecho => '--chunk'],
		'client.parallel' => [tcpecho => '--parallel'], 'client.sndbuf' => [tcpecho => '--sndbuf'],
		'client.rcvbuf' => [tcpecho => '--rcvbuf'], 'target.port' => [tcpecho => '--port'],
		'detect.stall_threshold' => [tcpecho => '--stall-threshold'],
		'detect.sample_interval' => [tcpecho => '--sample-interval'],
	);
	my %help = (tcpecho => slurp($tcpecho), echod => slurp($echod));
	my %mult = (us => 1, ms => 1e3, s => 1e6, m => 60e6, h => 3600e6, '' => 1, K => 1024, M => 1 << 20, G => 1 << 30);
	my $num = sub {
		my ($v, $type) = @_;
		return 0 if $v =~ /^(never|kernel|)$/;
		return $v unless $v =~ /^(\d+(?:\.\d+)?)(us|ms|s|m|h|K|M|G|)$/;
		my ($n, $u) = ($1, $2);
		$u = 's' if $u eq '' && $type eq 'duration';
		return $n * $mult{$u};
	};
	for my $k (sort keys %prog) {
		my ($p, $opt) = @{$prog{$k}};
		my $sk = $pk{keys}{$k} or do { push @bad, "$k: not in probelock keys"; next };
		# The option's text: its line and the indented lines after it, up to the next option.
		my ($text) = $help{$p} =~ /^ [ \w,-]*?\Q$opt\E\b(.*?)(?=^\s+-|^\S|\z)/ms;
		defined $text or do { push @bad, "$k: $p --help has no $opt"; next };
		my $pd;
		if ($sk->[0] eq 'one of') {
			($pd) = $text =~ /(\w+) \(default\b/;
		} else {
			($pd) = $text =~ /[(;]\s*default:? ([^;,)\s]+)/;
		}
		defined $pd or do { push @bad, "$k: $p --help gives no default for $opt"; next };
		my ($a, $b) = ($num->($sk->[1], $sk->[0]), $num->($pd, $sk->[0]));
		next if $a eq $b;
		# Different on purpose: both the README and keys must say so.
		my $row = $md{$mdsec{keys}}{$k};
		my $says = "defaults to $pd";
		push @bad, "$k: the scenario's default $sk->[1] is not ${p}'s $opt default $pd, and probelock keys does not say '$says'"
			unless $sk->[2] =~ /\Q$says\E/;
		push @bad, "$k: the scenario's default $sk->[1] is not ${p}'s $opt default $pd, and the README row does not say '$says'"
			unless $row && $row->[2] =~ /\Q$says\E/;
	}
}
print "$_\n" for @bad;
PERL

perl "$TMP/docs.pl" tables "$README" "$TMP/keys" "$TMP/tcpecho.help" "$TMP/echod.help" >"$TMP/tables" 2>&1
is "$(cat "$TMP/tables")" "" "scenarios/README.md's tables and probelock keys agree (key, type, default, meaning; expect words)"
perl "$TMP/docs.pl" defaults "$README" "$TMP/keys" "$TMP/tcpecho.help" "$TMP/echod.help" >"$TMP/defaults" 2>&1
is "$(cat "$TMP/defaults")" "" "the scenario's defaults are tcpecho's and echod's, or both docs say where not"
is "$(grep -c '^server.out_cap .* 64K .*echod run by hand defaults to 256K' "$TMP/keys"):$(grep -c '^| `server.out_cap` | size | `64K` | .*echod run by hand defaults to 256K' "$README")" "1:1" \
	"...server.out_cap: 64K in scenarios, echod's 256K by hand, said in keys and the README"

# The comparison can fail: a README with one default changed, one row gone,
# and out_cap's note removed is caught three times.
sed -e 's/^| `client.times` | integer | `1` |/| `client.times` | integer | `2` |/' \
	-e '/^| `capture.snaplen` |/d' \
	-e 's/ (echod run by hand defaults to 256K)//' "$README" >"$TMP/broken.md"
perl "$TMP/docs.pl" tables "$TMP/broken.md" "$TMP/keys" "$TMP/tcpecho.help" "$TMP/echod.help" >"$TMP/b1" 2>&1
grep -q "client.times: default '2' in the README, '1' in probelock keys" "$TMP/b1"
ok $? "a changed default in the README is found ($(head -1 "$TMP/b1"))"
grep -q "capture.snaplen: in probelock keys, not in the README" "$TMP/b1"
ok $? "a missing row is found"
perl "$TMP/docs.pl" defaults "$TMP/broken.md" "$TMP/keys" "$TMP/tcpecho.help" "$TMP/echod.help" >"$TMP/b2" 2>&1
grep -q "server.out_cap: .*the README row does not say 'defaults to 256K'" "$TMP/b2"
ok $? "an unexplained difference from echod's default is found ($(head -1 "$TMP/b2"))"
sed -e 's/^\(client.chunk  *size  *\)8192 /\14096 /' "$TMP/keys" >"$TMP/keys.broken"
perl "$TMP/docs.pl" defaults "$README" "$TMP/keys.broken" "$TMP/tcpecho.help" "$TMP/echod.help" >"$TMP/b3" 2>&1
grep -q "client.chunk: the scenario's default 4096 is not tcpecho's --chunk default 8192" "$TMP/b3"
ok $? "a scenario default that is not the program's is found ($(head -1 "$TMP/b3"))"
