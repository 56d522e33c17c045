/* capture: live capture with libpcap to a pcap file, on an interface of this
 * or another network namespace, started and stopped by the program. */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct capture {
	struct capture_cfg cfg;
	pthread_t thread;
	int stop_pipe[2];
	atomic_int stopping;      /* set by capture_stop: the loop leaves after its next read */
	pcap_t *p;
	pcap_dumper_t *dump;
	uint64_t written;
	/* start-up handshake with capture_start() */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int state;              /* 0 starting, 1 running, -1 failed */
	char err[512];
	char write_err[256];
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture *c = (struct capture *)user;

	pcap_dump((u_char *)c->dump, h, bytes);
	c->written++;
}

static void report(struct capture *c, int state)
{
	pthread_mutex_lock(&c->lock);
	c->state = state;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* Opens the handle; on failure fills c->err. */
static int open_handle(struct capture *c)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	const struct capture_cfg *cfg = &c->cfg;
	struct bpf_program prog;
	int rc;

	if (cfg->netns) {
		char path[300];
		int fd;

		/* setns() moves only this thread: the handle's socket is created
		 * in the namespace and stays bound to it. */
		snprintf(path, sizeof path, "/run/netns/%s", cfg->netns);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			snprintf(c->err, sizeof c->err, "network namespace %s: %s", cfg->netns, strerror(errno));
			return -1;
		}
		if (setns(fd, CLONE_NEWNET) < 0) {
			snprintf(c->err, sizeof c->err, "enter network namespace %s: %s%s", cfg->netns,
			         strerror(errno), errno == EPERM ? " (needs CAP_SYS_ADMIN: run as root)" : "");
			close(fd);
			return -1;
		}
		close(fd);
	}
	c->p = pcap_create(cfg->iface, perr);
	if (!c->p) {
		snprintf(c->err, sizeof c->err, "capture on %s: %s", cfg->iface, perr);
		return -1;
	}
	pcap_set_snaplen(c->p, cfg->snaplen > 0 ? cfg->snaplen : 262144);
	pcap_set_promisc(c->p, 0);
	pcap_set_immediate_mode(c->p, 1);
	pcap_set_buffer_size(c->p, (cfg->buffer_kib > 0 ? cfg->buffer_kib : 4096) * 1024);
	rc = pcap_activate(c->p);
	if (rc < 0) {
		if (rc == PCAP_ERROR_PERM_DENIED)
			snprintf(c->err, sizeof c->err,
			         "capture on %s: permission denied: capturing needs CAP_NET_RAW "
			         "(run as root, or setcap cap_net_raw+ep on the program)", cfg->iface);
		else if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
			snprintf(c->err, sizeof c->err, "capture on %s: no such interface%s%s", cfg->iface,
			         cfg->netns ? " in network namespace " : "", cfg->netns ? cfg->netns : "");
		else
			snprintf(c->err, sizeof c->err, "capture on %s: %s", cfg->iface, pcap_geterr(c->p));
		return -1;
	}
	if (cfg->filter && *cfg->filter) {
		if (pcap_compile(c->p, &prog, cfg->filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(c->err, sizeof c->err, "capture filter '%s': %s", cfg->filter, pcap_geterr(c->p));
			return -1;
		}
		rc = pcap_setfilter(c->p, &prog);
		pcap_freecode(&prog);
		if (rc < 0) {
			snprintf(c->err, sizeof c->err, "capture filter '%s': %s", cfg->filter, pcap_geterr(c->p));
			return -1;
		}
	}
	if (pcap_setnonblock(c->p, 1, perr) < 0) {
		snprintf(c->err, sizeof c->err, "capture on %s: %s", cfg->iface, perr);
		return -1;
	}
	c->dump = pcap_dump_open(c->p, cfg->path);
	if (!c->dump) {
		snprintf(c->err, sizeof c->err, "capture file %s: %s", cfg->path, pcap_geterr(c->p));
		return -1;
	}
	return 0;
}

static void *capture_main(void *arg)
{
	struct capture *c = arg;
	struct pollfd pf[2];

	if (open_handle(c) < 0) {
		report(c, -1);
		return NULL;
	}
	report(c, 1);
	pf[0].fd = pcap_get_selectable_fd(c->p);
	pf[0].events = POLLIN;
	pf[1].fd = c->stop_pipe[0];
	pf[1].events = POLLIN;
	for (;;) {
		int n = poll(pf, 2, 100);

		if (n < 0 && errno != EINTR)
			break;
		/* Read what is there even when asked to stop: nothing sent before
		 * the stop is lost. */
		while (pcap_dispatch(c->p, -1, on_packet, (u_char *)c) > 0)
			;
		if ((n > 0 && (pf[1].revents & POLLIN)) || atomic_load(&c->stopping))
			break;
	}
	return NULL;
}

/* Releases everything c holds; the thread must have ended. */
static void capture_free(struct capture *c)
{
	if (c->dump)
		pcap_dump_close(c->dump);
	if (c->p)
		pcap_close(c->p);
	close(c->stop_pipe[0]);
	close(c->stop_pipe[1]);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

struct capture *capture_start(const struct capture_cfg *cfg, char *err, size_t errlen)
{
	struct capture *c = calloc(1, sizeof *c);
	int rc;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->cfg = *cfg;
	atomic_init(&c->stopping, 0);
	if (pipe2(c->stop_pipe, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	rc = pthread_create(&c->thread, NULL, capture_main, c);
	if (rc != 0) {
		snprintf(err, errlen, "capture thread: %s", strerror(rc));
		goto fail;
	}
	pthread_mutex_lock(&c->lock);
	while (c->state == 0)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
	if (c->state < 0) {
		pthread_join(c->thread, NULL);
		snprintf(err, errlen, "%s", c->err);
		goto fail;
	}
	return c;
fail:
	capture_free(c);
	return NULL;
}

int capture_stop(struct capture *c, struct capture_stats *st, char *err, size_t errlen)
{
	struct pcap_stat ps;
	int rc = 0;

	atomic_store(&c->stopping, 1);
	if (write(c->stop_pipe[1], "x", 1) < 0) {
		/* The pipe cannot be full or closed here; were it, the thread still
		 * stops after its next 100 ms poll timeout (stopping is set). */
	}
	pthread_join(c->thread, NULL);
	memset(st, 0, sizeof *st);
	st->written = c->written;
	if (pcap_stats(c->p, &ps) == 0) {
		st->received = ps.ps_recv;
		st->dropped = ps.ps_drop;
		st->if_dropped = ps.ps_ifdrop;
	}
	if (pcap_dump_flush(c->dump) < 0 || ferror(pcap_dump_file(c->dump))) {
		snprintf(err, errlen, "capture file %s: write error", c->cfg.path);
		rc = -1;
	}
	capture_free(c);
	return rc;
}
