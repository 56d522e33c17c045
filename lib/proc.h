/* proc: child processes of the orchestrator: started (optionally inside a
 * network namespace), waited for with a deadline, stopped by PID. */
#ifndef PROBELOCK_PROC_H
#define PROBELOCK_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* Starts argv with stdin from /dev/null, stdout to out_fd and stderr to
 * err_fd (-1: /dev/null), in network namespace netns (NULL: ours). Returns
 * the PID, or -1 with err. The child is in its own process group. */
pid_t proc_spawn(char *const argv[], const char *netns, int out_fd, int err_fd, char *err,
                 size_t errlen);

/* Waits for pid until deadline_ms (monotonic, 0: none) or until *stop
 * becomes non-zero (checked every 20 ms). Returns 1 with *status filled when
 * it ended, 0 on timeout or stop. */
int proc_wait(pid_t pid, int *status, long long deadline_ms, volatile int *stop);

/* SIGTERM, up to grace_ms to end, then SIGKILL; reaps it. Returns its status. */
int proc_stop(pid_t pid, int grace_ms);

/* Runs argv to completion (netns as above) and returns its exit status, or
 * -1; its stderr (last bytes) goes into err, prefixed by what. */
int proc_run(char *const argv[], const char *netns, const char *what, char *err, size_t errlen);

long long proc_now_ms(void);

#endif
