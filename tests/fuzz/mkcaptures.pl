#!/usr/bin/env perl
# mkcaptures.pl DIR: writes the malformed capture corpus into DIR, one file
# per case (the capture fuzz target's seeds too). tests/proc/16-malformed.t
# says what `probelock analyze` must make of each. The addresses
# (198.18.0.1:40000 -> 198.18.0.2:7) only fill headers; nothing is sent.
use strict;
use warnings;

my $dir = shift or die "usage: mkcaptures.pl DIR\n";
mkdir $dir;

sub csum { my $s = 0; $s += $_ for unpack('n*', $_[0] . (length($_[0]) % 2 ? "\0" : '')); $s = ($s & 0xffff) + ($s >> 16) while $s >> 16; ~$s & 0xffff }
sub tcp { my ($seq, $ack, $flags, $len) = @_; pack('nnNNCCnnn', 40000, 7, $seq, $ack, 5 << 4, $flags, 65535, 0, 0) . ("\0" x $len) }
sub ip4 { my ($proto, $payload, %o) = @_;
	my $opts = $o{opts} // ''; my $ihl = 5 + length($opts) / 4;
	my $h = pack('CCnnnCCnNN', 0x40 | $ihl, 0, 20 + length($opts) + length($payload), 1, $o{frag} // 0x4000, 64, $proto, 0, 0xc6120001, 0xc6120002) . $opts;
	substr($h, 10, 2) = pack('n', csum($h));
	$h . $payload }
sub ip6 { my ($next, $payload) = @_;
	pack('NnCC', 6 << 28, length($payload), $next, 64) . pack('n8', 0x2001, 0xdb8, 0, 0, 0, 0, 0, 1) . pack('n8', 0x2001, 0xdb8, 0, 0, 0, 0, 0, 2) . $payload }
sub eth { my ($type, $payload) = @_; pack('H12H12n', '020000000002', '020000000001', $type) . $payload }
sub rec { my ($t, $data, %o) = @_; my $cap = $o{caplen} // length $data; pack('LLLL', int($t), int(($t - int $t) * 1e6), $cap, $o{len} // length $data) . $data }
sub ghdr { my ($snap, $dlt) = @_; pack('LSSlLLL', 0xa1b2c3d4, 2, 4, 0, 0, $snap // 65535, $dlt // 1) }
sub put { my ($name, $bytes) = @_; open my $f, '>:raw', "$dir/$name" or die "$dir/$name: $!"; print $f $bytes; close $f }

my $syn = eth(0x0800, ip4(6, tcp(1000, 0, 0x02, 0)));
my $data = eth(0x0800, ip4(6, tcp(1001, 5001, 0x18, 100)));
my $good = ghdr() . rec(1.0, $syn) . rec(1.001, $data);

put('bad-magic.pcap', pack('L', 0xdeadbeef) . substr($good, 4));
put('cut-header.pcap', substr($good, 0, 10));
put('cut-record.pcap', ghdr() . rec(1.0, $syn) . substr(rec(1.001, $data), 0, 30));
# caplen beyond the file's snaplen (128): the record holds 200 bytes.
my $big = eth(0x0800, ip4(6, tcp(1001, 5001, 0x18, 146)));
put('caplen-over-snaplen.pcap', ghdr(128) . rec(1.0, $big));
# A record of length 0 between two good ones.
put('zero-length.pcap', ghdr() . rec(1.0, $syn) . rec(1.0005, '') . rec(1.001, $data));
# IPv6: hop-by-hop, destination options and routing headers before TCP.
my $ext = pack('CCa6', 60, 0, "\x01\x04\0\0\0\0") . pack('CCa6', 43, 0, "\x01\x04\0\0\0\0") . pack('CCCCN', 6, 0, 0, 0, 0);
put('ipv6-ext-headers.pcap', ghdr() . rec(1.0, eth(0x86dd, ip6(0, $ext . tcp(1000, 0, 0x02, 0)))) .
	rec(1.001, eth(0x86dd, ip6(0, $ext . tcp(1001, 5001, 0x18, 100)))));
# IPv4 with 12 bytes of options (NOP, NOP, timestamp-like padding).
put('ipv4-options.pcap', ghdr() . rec(1.0, eth(0x0800, ip4(6, tcp(1000, 0, 0x02, 0), opts => "\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00"))) .
	rec(1.001, eth(0x0800, ip4(6, tcp(1001, 5001, 0x18, 100), opts => "\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00"))));
# Fragments: IPv4 first (MF) and second (offset) fragment, an IPv6 fragment header (offset 0, M=1).
put('fragments.pcap', ghdr() . rec(1.0, $syn) .
	rec(1.001, eth(0x0800, ip4(6, tcp(1001, 5001, 0x18, 40), frag => 0x2000))) .
	rec(1.002, eth(0x0800, ip4(6, "\0" x 40, frag => 0x0007))) .
	rec(1.003, eth(0x86dd, ip6(44, pack('CCnN', 6, 0, 0x0001, 7) . tcp(1001, 5001, 0x18, 40)))));
# Not TCP: UDP, ICMP, ARP.
put('non-tcp.pcap', ghdr() . rec(1.0, eth(0x0800, ip4(17, pack('nnnn', 5353, 5353, 12, 0) . "abcd"))) .
	rec(1.001, eth(0x0800, ip4(1, pack('CCnnn', 8, 0, 0, 1, 1)))) .
	rec(1.002, eth(0x0806, pack('nnCCn', 1, 0x0800, 6, 4, 1) . ("\0" x 20))) . rec(1.003, $syn));

# pcapng: a section, interfaces, enhanced packet blocks.
sub blk { my ($type, $body) = @_; $body .= "\0" x ((4 - length($body) % 4) % 4); my $l = 12 + length $body; pack('LL', $type, $l) . $body . pack('L', $l) }
sub shb { blk(0x0A0D0D0A, pack('LSSq', 0x1A2B3C4D, 1, 0, -1)) }
sub idb { my ($dlt, $snap) = @_; blk(1, pack('SSL', $dlt, 0, $snap)) }
sub epb { my ($if, $t, $d) = @_; my $us = int($t * 1e6); blk(6, pack('LLLLL', $if, $us >> 32, $us & 0xffffffff, length $d, length $d) . $d) }
# Two interfaces of one link type and snaplen (libpcap reads these), then
# interfaces that differ in snaplen or link type (libpcap refuses those).
put('pcapng-two-interfaces.pcapng', shb() . idb(1, 65535) . idb(1, 65535) . epb(0, 1.0, $syn) . epb(1, 1.001, $data));
put('pcapng-two-snaplens.pcapng', shb() . idb(1, 65535) . idb(1, 128) . epb(0, 1.0, $syn) . epb(1, 1.001, $data));
put('pcapng-two-link-types.pcapng', shb() . idb(1, 65535) . idb(101, 65535) . epb(0, 1.0, $syn) .
	epb(1, 1.001, ip4(6, tcp(1001, 5001, 0x18, 100))));
