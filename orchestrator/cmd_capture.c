/* cmd_capture: probelock capture IFACE FILE: capture until a signal or a duration. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "capture.h"
#include "commands.h"
#include "optlimits.h"
#include "optutil.h"

static const char help[] =
"usage: probelock capture IFACE FILE [--filter BPF] [--snaplen N] [--netns NAME] [--duration D]\n"
"\n"
"Captures IFACE (of network namespace NAME if given) into the pcap FILE until\n"
"SIGINT/SIGTERM or the duration ends. Prints 'capturing on IFACE' once packets\n"
"are being captured, and at the end the packets written and dropped by the kernel.\n"
"Needs CAP_NET_RAW (root).\n"
"\n"
"  --filter BPF     capture filter, e.g. 'tcp port 7' (default: everything)\n"
"  --snaplen N      bytes kept per packet (default 262144; 128 keeps the headers)\n"
"  --netns NAME     open the interface inside /run/netns/NAME\n"
"  --duration D     stop after D (default: at a signal)\n";

enum { OPT_FILTER = 256, OPT_SNAPLEN, OPT_NETNS, OPT_DURATION };

static const struct option opts[] = {
	{ "filter", required_argument, NULL, OPT_FILTER },
	{ "snaplen", required_argument, NULL, OPT_SNAPLEN },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_capture(int argc, char **argv)
{
	struct capture_cfg cfg = { 0 };
	struct capture_stats st;
	struct capture *cap;
	struct timespec ts;
	sigset_t set;
	uint64_t v, duration_us = 0;
	char err[1024];
	int c, sig = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_FILTER:
			cfg.filter = optarg;
			break;
		case OPT_SNAPLEN:
			if (optutil_uint("--snaplen", optarg, OPTLIM_SNAPLEN_MIN, OPTLIM_SNAPLEN_MAX, &v, err, sizeof err) < 0)
				goto usage;
			cfg.snaplen = (int)v;
			break;
		case OPT_NETNS:
			cfg.netns = optarg;
			break;
		case OPT_DURATION:
			if (optutil_duration("--duration", optarg, 1000000, 1000, 86400000000ull, &duration_us,
			                     err, sizeof err) < 0)
				goto usage;
			break;
		case 'h':
			fputs(help, stdout);
			return 0;
		default:
			optutil_getopt_error(c, opts, argv, err, sizeof err);
			goto usage;
		}
	}
	if (argc - optind != 2) {
		snprintf(err, sizeof err, "give IFACE and FILE");
		goto usage;
	}
	cfg.iface = argv[optind];
	cfg.path = argv[optind + 1];
	/* Signals are taken synchronously: block them before any thread starts. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	cap = capture_start(&cfg, err, sizeof err);
	if (!cap) {
		fprintf(stderr, "probelock capture: %s\n", err);
		return 1;
	}
	printf("capturing on %s\n", cfg.iface);
	fflush(stdout);
	if (duration_us) {
		ts.tv_sec = (time_t)(duration_us / 1000000);
		ts.tv_nsec = (long)(duration_us % 1000000) * 1000;
		sig = sigtimedwait(&set, NULL, &ts);
	} else {
		sigwait(&set, &sig);
	}
	if (capture_stop(cap, &st, err, sizeof err) < 0) {
		fprintf(stderr, "probelock capture: %s\n", err);
		return 1;
	}
	printf("%llu packets written to %s, %llu dropped by the kernel, %llu by the interface\n",
	       (unsigned long long)st.written, cfg.path, (unsigned long long)st.dropped,
	       (unsigned long long)st.if_dropped);
	return 0;
usage:
	fprintf(stderr, "probelock capture: %s\nTry 'probelock capture --help'.\n", err);
	return 2;
}
