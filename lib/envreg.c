/* envreg: the registry of what a run creates (NETENV_REGISTRY/<tag>.state: its owner, its
 * namespaces, its programs), so that `probelock env down` can tell what a killed run left from
 * what a run still going holds, and remove the former. The format is in envreg.h. */
#include "envreg.h"
#include "netns.h"
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char reg_path[300]; /* this run's state file, "" when it has none */
static char reg_head[200]; /* its first two lines */

/* Start time of a process (field 22 of /proc/PID/stat, clock ticks after
 * boot). -1 when there is no such process or it has ended (a zombie). */
static int proc_start(pid_t pid, unsigned long long *start)
{
	char p[64], buf[1024], *s, *tok, *save = NULL;
	size_t n;
	FILE *f;
	int field = 3;

	snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
	f = fopen(p, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	s = strrchr(buf, ')'); /* the command name may hold spaces and ')' */
	if (!s)
		return -1;
	for (tok = strtok_r(s + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save), field++) {
		if (field == 3 && (tok[0] == 'Z' || tok[0] == 'X'))
			return -1;
		if (field == 22) {
			*start = strtoull(tok, NULL, 10);
			return 0;
		}
	}
	return -1;
}

static int owner_alive(const struct envreg_owner *o)
{
	unsigned long long s;

	return o->pid > 0 && proc_start(o->pid, &s) == 0 && (!o->start || s == o->start);
}

static void set_err(char *err, size_t errlen, const char *what, int e)
{
	if (err && errlen)
		snprintf(err, errlen, "run registry %s: %s", what, strerror(e));
}

/* Writes head to a file of our own and links it to path: the state file
 * exists whole or not at all, and link() fails with EEXIST when another run
 * holds the name. 1 claimed, 0 taken, -1 error (errno). */
static int claim_state(const char *path, const char *head)
{
	char tmp[320];
	size_t len = strlen(head);
	int fd, rc, e;

	snprintf(tmp, sizeof tmp, "%s/.new-%d", NETENV_REGISTRY, (int)getpid());
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (write(fd, head, len) != (ssize_t)len || fsync(fd) < 0) {
		e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	close(fd);
	rc = link(tmp, path) == 0 ? 1 : errno == EEXIST ? 0 : -1;
	e = errno;
	unlink(tmp);
	errno = e;
	return rc;
}

/* A namespace plk-TAG-* exists (left by a run whose registry is lost). */
static int tag_has_netns(const char *tag)
{
	DIR *d = opendir("/run/netns");
	struct dirent *de;
	char prefix[32];
	int found = 0;

	snprintf(prefix, sizeof prefix, "plk-%s-", tag);
	while (d && !found && (de = readdir(d)))
		found = !strncmp(de->d_name, prefix, strlen(prefix));
	if (d)
		closedir(d);
	return found;
}

int envreg_begin(char *tag, size_t len, char *err, size_t errlen)
{
	unsigned seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	unsigned long long start = 0;
	char cand[16], path[300], head[sizeof reg_head];

	reg_path[0] = 0;
	snprintf(tag, len, "%06x", seed & 0xffffff);
	if (mkdir(NETENV_REGISTRY, 0755) < 0 && errno != EEXIST) {
		set_err(err, errlen, "mkdir " NETENV_REGISTRY, errno);
		return -1;
	}
	proc_start(getpid(), &start);
	for (unsigned i = 0; i < 100; i++) {
		unsigned v = seed;
		int rc;

		if (i && getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v)
			v = seed + i * 0x9e3779b1u;
		snprintf(cand, sizeof cand, "%06x", v & 0xffffff);
		if (tag_has_netns(cand))
			continue;
		snprintf(path, sizeof path, "%s/%s.state", NETENV_REGISTRY, cand);
		snprintf(head, sizeof head, "run %s\nowner %d %llu %lld\n", cand, (int)getpid(), start,
		         (long long)time(NULL));
		rc = claim_state(path, head);
		if (rc < 0) {
			set_err(err, errlen, path, errno);
			return -1;
		}
		if (rc == 1) {
			snprintf(reg_path, sizeof reg_path, "%s", path);
			snprintf(reg_head, sizeof reg_head, "%s", head);
			snprintf(tag, len, "%s", cand);
			return 0;
		}
	}
	if (err && errlen)
		snprintf(err, errlen, "run registry " NETENV_REGISTRY ": no free tag in 100 tries");
	return -1;
}

static void reg_write(const char *text)
{
	size_t len = strlen(text);
	int fd;

	if (!reg_path[0])
		return;
	fd = open(reg_path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* Removed under us (env down --force): the run goes on, so its
		 * registry does too, whole; unless another run took the tag since. */
		if (claim_state(reg_path, reg_head) != 1) {
			reg_path[0] = 0;
			return;
		}
		fd = open(reg_path, O_WRONLY | O_APPEND | O_CLOEXEC);
	}
	if (fd < 0)
		return; /* the registry helps env down; a run does not fail for it */
	(void)!write(fd, text, len);
	fsync(fd);
	close(fd);
}

void envreg_add(const char *kind, const char *value)
{
	char line[1200];
	int n = snprintf(line, sizeof line, "%s %s\n", kind, value);
	unsigned long long start;
	int pid;

	/* A program's start time beside its PID: env down stops only that process. */
	if (!strcmp(kind, "pid") && sscanf(value, "%d", &pid) == 1 && pid > 1 && proc_start(pid, &start) == 0 &&
	    n > 0 && (size_t)n < sizeof line)
		snprintf(line + n, sizeof line - n, "pidstart %d %llu\n", pid, start);
	reg_write(line);
}

void envreg_drop(const char *kind, const char *value)
{
	char line[1200];

	snprintf(line, sizeof line, "-%s %s\n", kind, value);
	reg_write(line);
}

void envreg_end(void)
{
	if (reg_path[0])
		unlink(reg_path);
	reg_path[0] = 0;
}

/* One registry as read back: the owner and what the run holds now (what it
 * recorded and did not drop). */
struct reg_proc {
	pid_t pid;
	unsigned long long start; /* 0: not recorded */
	char exe[512];
};

struct reg {
	char tag[16];
	char path[600];
	struct envreg_owner owner;
	char **netns;
	size_t nnetns;
	struct reg_proc *procs;
	size_t nprocs;
};

static void reg_free(struct reg *g)
{
	for (size_t i = 0; i < g->nnetns; i++)
		free(g->netns[i]);
	free(g->netns);
	free(g->procs);
	memset(g, 0, sizeof *g);
}

/* "TAG.state" -> TAG; 0 when the name is not a state file's. */
static int state_tag(const char *name, char *tag, size_t len)
{
	size_t n = strlen(name);

	if (n <= 6 || n - 6 >= len || strcmp(name + n - 6, ".state") != 0 || name[0] == '.')
		return 0;
	memcpy(tag, name, n - 6);
	tag[n - 6] = 0;
	return 1;
}

/* Reads NETENV_REGISTRY/TAG.state. -1 when it is gone (its run ended). */
static int reg_load(struct reg *g, const char *tag)
{
	char line[1200];
	FILE *f;

	memset(g, 0, sizeof *g);
	snprintf(g->tag, sizeof g->tag, "%s", tag);
	snprintf(g->path, sizeof g->path, "%s/%s.state", NETENV_REGISTRY, tag);
	f = fopen(g->path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		char *val = strchr(line, ' '), *kind = line;
		int drop = line[0] == '-';

		if (!val)
			continue;
		*val++ = 0;
		val[strcspn(val, "\n")] = 0;
		kind += drop;
		if (!strcmp(kind, "owner") && !drop) {
			int pid = 0;

			sscanf(val, "%d %llu %lld", &pid, &g->owner.start, &g->owner.started);
			g->owner.pid = pid;
		} else if (!strcmp(kind, "netns") && !drop) {
			char **nn = realloc(g->netns, (g->nnetns + 1) * sizeof *nn);

			if (!nn)
				break;
			g->netns = nn;
			if (!(nn[g->nnetns] = strdup(val)))
				break;
			g->nnetns++;
		} else if (!strcmp(kind, "netns")) {
			for (size_t i = g->nnetns; i-- > 0;)
				if (!strcmp(g->netns[i], val)) {
					free(g->netns[i]);
					g->netns[i] = g->netns[--g->nnetns];
					break;
				}
		} else if (!strcmp(kind, "pid")) {
			struct reg_proc p = { 0 };
			int pid = 0;

			if (sscanf(val, "%d %511s", &pid, p.exe) != 2 || pid <= 1)
				continue;
			p.pid = pid;
			if (drop) {
				for (size_t i = g->nprocs; i-- > 0;)
					if (g->procs[i].pid == p.pid && !strcmp(g->procs[i].exe, p.exe)) {
						g->procs[i] = g->procs[--g->nprocs];
						break;
					}
			} else {
				struct reg_proc *np = realloc(g->procs, (g->nprocs + 1) * sizeof *np);

				if (!np)
					break;
				g->procs = np;
				np[g->nprocs++] = p;
			}
		} else if (!strcmp(kind, "pidstart") && !drop) {
			unsigned long long start = 0;
			int pid = 0;

			if (sscanf(val, "%d %llu", &pid, &start) == 2)
				for (size_t i = g->nprocs; i-- > 0;)
					if (g->procs[i].pid == pid && !g->procs[i].start) {
						g->procs[i].start = start;
						break;
					}
		}
	}
	fclose(f);
	g->owner.alive = owner_alive(&g->owner);
	return 0;
}

/* A recorded program still runs: same PID, same executable, and (when
 * recorded) same start time: PIDs are reused. */
static int proc_still_runs(const struct reg_proc *p)
{
	char path[64], link[512];
	unsigned long long start;
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%d/exe", (int)p->pid);
	n = readlink(path, link, sizeof link - 1);
	if (n <= 0)
		return 0;
	link[n] = 0;
	if (strcmp(link, p->exe) != 0)
		return 0;
	return proc_start(p->pid, &start) == 0 && (!p->start || start == p->start);
}

static void report_item(envreg_report_fn report, void *arg, enum envreg_what what, enum envreg_state state,
                        const struct reg *g, const char *name, pid_t pid, const char *why)
{
	struct envreg_item it = {
		.what = what,
		.state = state,
		.tag = g ? g->tag : "",
		.owner = g ? &g->owner : NULL,
		.name = name,
		.pid = pid,
		.why = why,
	};

	if (report)
		report(&it, arg);
}

/* "plk-TAG-x" -> TAG; 0 when the name has no tag. */
static int netns_tag(const char *name, char *tag, size_t len)
{
	const char *t = name + 4, *dash = strrchr(name, '-');

	if (strncmp(name, "plk-", 4) != 0 || dash < t || (size_t)(dash - t) >= len || dash == t)
		return 0;
	memcpy(tag, t, dash - t);
	tag[dash - t] = 0;
	return 1;
}

struct names {
	char **v;
	size_t n;
};

static void names_add(struct names *s, const char *name)
{
	char **nv = realloc(s->v, (s->n + 1) * sizeof *nv);

	if (!nv)
		return;
	s->v = nv;
	if ((nv[s->n] = strdup(name)))
		s->n++;
}

static int names_has(const struct names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], name))
			return 1;
	return 0;
}

static void names_free(struct names *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

/* What env down tallies as it goes. */
struct down {
	int force;
	envreg_report_fn report;
	void *arg;
	struct names handled, live; /* namespaces a registry names; tags of runs still going */
	int removed, fails;
};

/* A registry whose owner is gone (or every one, forced): its programs first (a namespace
 * goes only when nothing runs in it), then its namespaces, then the registry itself unless
 * something could not be removed (it stays recorded for the next env down). */
static void down_registry(struct down *x, struct reg *g)
{
	char err[600];
	int kept = 0;

	report_item(x->report, x->arg, ENVREG_RUN, ENVREG_EXISTS, g, g->path, g->owner.pid, NULL);
	for (size_t i = 0; i < g->nprocs; i++) {
		if (!proc_still_runs(&g->procs[i]))
			continue;
		if (kill(g->procs[i].pid, SIGKILL) == 0) {
			report_item(x->report, x->arg, ENVREG_PROCESS, ENVREG_REMOVED, g, g->procs[i].exe, g->procs[i].pid, NULL);
			x->removed++;
		} else {
			snprintf(err, sizeof err, "kill: %s", strerror(errno));
			report_item(x->report, x->arg, ENVREG_PROCESS, ENVREG_FAILED, g, g->procs[i].exe, g->procs[i].pid, err);
			x->fails++;
			kept = 1;
		}
	}
	for (size_t i = 0; i < g->nnetns; i++) {
		names_add(&x->handled, g->netns[i]);
		if (!netns_exists(g->netns[i]))
			continue;
		if (netns_delete(g->netns[i], err, sizeof err) == 0) {
			report_item(x->report, x->arg, ENVREG_NETNS, ENVREG_REMOVED, g, g->netns[i], 0, NULL);
			x->removed++;
		} else {
			report_item(x->report, x->arg, ENVREG_NETNS, ENVREG_FAILED, g, g->netns[i], 0, err);
			x->fails++;
			kept = 1;
		}
	}
	if (kept) {
		report_item(x->report, x->arg, ENVREG_REGISTRY, ENVREG_LEFT_ALONE, g, g->path, 0, NULL);
	} else if (unlink(g->path) == 0 || errno == ENOENT) {
		report_item(x->report, x->arg, ENVREG_REGISTRY, ENVREG_REMOVED, g, g->path, 0, NULL);
	} else {
		snprintf(err, sizeof err, "unlink: %s", strerror(errno));
		report_item(x->report, x->arg, ENVREG_REGISTRY, ENVREG_FAILED, g, g->path, 0, err);
		x->fails++;
	}
}

/* plk-* namespaces no registry names (a registry lost, or removed by hand). The registry of
 * their tag is read again now: a run that began since the pass over the registries wrote it
 * before creating any namespace. */
static void down_orphans(struct down *x)
{
	DIR *d = opendir("/run/netns");
	struct dirent *de;
	char err[600];

	while (d && (de = readdir(d))) {
		char tag[16] = "";
		struct reg g;
		int have = 0;

		if (strncmp(de->d_name, "plk-", 4) != 0 || names_has(&x->handled, de->d_name))
			continue;
		if (netns_tag(de->d_name, tag, sizeof tag))
			have = reg_load(&g, tag) == 0;
		if (!x->force && (names_has(&x->live, tag) || (have && g.owner.alive))) {
			/* a live run's, reported with its run unless it began since */
			if (!names_has(&x->live, tag))
				report_item(x->report, x->arg, ENVREG_NETNS, ENVREG_LEFT_ALONE, have ? &g : NULL, de->d_name, 0,
				            NULL);
		} else if (netns_delete(de->d_name, err, sizeof err) == 0) {
			report_item(x->report, x->arg, ENVREG_NETNS, ENVREG_REMOVED, have ? &g : NULL, de->d_name, 0, NULL);
			x->removed++;
		} else {
			report_item(x->report, x->arg, ENVREG_NETNS, ENVREG_FAILED, have ? &g : NULL, de->d_name, 0, err);
			x->fails++;
		}
		if (have)
			reg_free(&g);
	}
	if (d)
		closedir(d);
}

int envreg_down(int force, envreg_report_fn report, void *arg, int *failed)
{
	DIR *d = opendir(NETENV_REGISTRY);
	struct down x = { .force = force, .report = report, .arg = arg };
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char tag[16];
		struct reg g;

		if (!state_tag(de->d_name, tag, sizeof tag) || reg_load(&g, tag) < 0)
			continue;
		if (g.owner.alive && !force) {
			names_add(&x.live, tag);
			report_item(report, arg, ENVREG_RUN, ENVREG_LEFT_ALONE, &g, g.path, g.owner.pid, NULL);
		} else {
			down_registry(&x, &g);
		}
		reg_free(&g);
	}
	if (d)
		closedir(d);
	down_orphans(&x);
	names_free(&x.handled);
	names_free(&x.live);
	if (failed)
		*failed = x.fails;
	return x.removed;
}

int envreg_status(envreg_report_fn report, void *arg)
{
	DIR *d = opendir(NETENV_REGISTRY);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d))) {
		char tag[16];
		struct reg g;

		if (!state_tag(de->d_name, tag, sizeof tag) || reg_load(&g, tag) < 0)
			continue;
		report_item(report, arg, ENVREG_RUN, ENVREG_EXISTS, &g, g.path, g.owner.pid, NULL);
		n++;
		for (size_t i = 0; i < g.nprocs; i++)
			if (proc_still_runs(&g.procs[i])) {
				report_item(report, arg, ENVREG_PROCESS, ENVREG_EXISTS, &g, g.procs[i].exe, g.procs[i].pid, NULL);
				n++;
			}
		reg_free(&g);
	}
	if (d)
		closedir(d);
	d = opendir("/run/netns");
	while (d && (de = readdir(d))) {
		char tag[16] = "";
		struct reg g;
		int have = 0;

		if (strncmp(de->d_name, "plk-", 4) != 0)
			continue;
		if (netns_tag(de->d_name, tag, sizeof tag))
			have = reg_load(&g, tag) == 0;
		report_item(report, arg, ENVREG_NETNS, ENVREG_EXISTS, have ? &g : NULL, de->d_name, 0, NULL);
		n++;
		if (have)
			reg_free(&g);
	}
	if (d)
		closedir(d);
	return n;
}
