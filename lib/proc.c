/* proc: child processes of the orchestrator: started (optionally inside a
 * network namespace), waited for with a deadline, stopped by PID. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

long long proc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

pid_t proc_spawn(char *const argv[], const char *netns, int out_fd, int err_fd, char *err,
                 size_t errlen)
{
	int nsfd = -1, pipefd[2];
	char path[300], msg[256];
	pid_t pid;
	ssize_t n;

	if (netns) {
		snprintf(path, sizeof path, "/run/netns/%s", netns);
		nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0) {
			snprintf(err, errlen, "network namespace %s: %s", netns, strerror(errno));
			return -1;
		}
	}
	/* The child reports a failed exec through this pipe (closed on exec). */
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		if (nsfd >= 0)
			close(nsfd);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		if (nsfd >= 0)
			close(nsfd);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		setpgid(0, 0);
		if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0) {
			snprintf(msg, sizeof msg, "enter network namespace %s: %s", netns, strerror(errno));
			(void)!write(pipefd[1], msg, strlen(msg));
			_exit(127);
		}
		dup2(null, 0);
		dup2(out_fd >= 0 ? out_fd : null, 1);
		dup2(err_fd >= 0 ? err_fd : null, 2);
		execvp(argv[0], argv);
		snprintf(msg, sizeof msg, "%s: %s", argv[0], strerror(errno));
		(void)!write(pipefd[1], msg, strlen(msg));
		_exit(127);
	}
	close(pipefd[1]);
	if (nsfd >= 0)
		close(nsfd);
	n = read(pipefd[0], msg, sizeof msg - 1);
	close(pipefd[0]);
	if (n > 0) {
		msg[n] = 0;
		snprintf(err, errlen, "%s", msg);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

int proc_wait(pid_t pid, int *status, long long deadline_ms, volatile int *stop)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR) {
			*status = 0;
			return 1; /* not our child any more: nothing to wait for */
		}
		if ((stop && *stop) || (deadline_ms && proc_now_ms() >= deadline_ms))
			return 0;
		usleep(20000);
	}
}

int proc_stop(pid_t pid, int grace_ms)
{
	int status = 0;

	if (pid <= 0)
		return 0;
	kill(pid, SIGTERM);
	if (proc_wait(pid, &status, proc_now_ms() + grace_ms, NULL))
		return status;
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

int proc_run(char *const argv[], const char *netns, const char *what, char *err, size_t errlen)
{
	char tmpl[] = "/tmp/probelock-cmd.XXXXXX", buf[300];
	int fd = mkstemp(tmpl), status;
	pid_t pid;
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errlen, "%s: mkstemp: %s", what, strerror(errno));
		return -1;
	}
	unlink(tmpl);
	pid = proc_spawn(argv, netns, -1, fd, buf, sizeof buf);
	if (pid < 0) {
		snprintf(err, errlen, "%s: %s", what, buf);
		close(fd);
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		close(fd);
		return 0;
	}
	n = pread(fd, buf, sizeof buf - 1, 0);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	snprintf(err, errlen, "%s: %s", what, n > 0 ? buf : "failed");
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
