/* test_sock: socket helpers, option read-back and the TCP state sampler, on loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "sock.h"
#include "sockopt.h"
#include "tcpstat.h"

static int listen_any(struct sock_addr *bound, int backlog)
{
	struct sock_addr a;
	char err[256];
	int fd;

	assert_int_equal(sock_resolve("127.0.0.1", 0, 1, &a, err, sizeof err), 0);
	fd = sock_listen(&a, backlog, 0, NULL, NULL, bound, err, sizeof err);
	if (fd < 0)
		fail_msg("listen: %s", err);
	return fd;
}

static void test_listen_port0_and_connect(void **st)
{
	struct sock_addr bound;
	char err[256], s[80];
	int lfd, cfd, afd;

	(void)st;
	lfd = listen_any(&bound, 16);
	assert_true(sock_addr_port(&bound) != 0);
	assert_non_null(strstr(sock_addr_str(&bound, s, sizeof s), "127.0.0.1:"));
	cfd = sock_connect(&bound, 1000, NULL, NULL, err, sizeof err);
	assert_true(cfd >= 0);
	afd = accept(lfd, NULL, NULL);
	assert_true(afd >= 0);
	close(afd);
	close(cfd);
	close(lfd);
}

static void test_connect_refused_names_the_address(void **st)
{
	struct sock_addr bound;
	char err[256], want[128], as[80];
	int lfd;

	(void)st;
	/* A port that was just free: bind, note, close. */
	lfd = listen_any(&bound, 1);
	close(lfd);
	assert_int_equal(sock_connect(&bound, 1000, NULL, NULL, err, sizeof err), -1);
	assert_int_equal(errno, ECONNREFUSED);
	snprintf(want, sizeof want, "connect %s: Connection refused", sock_addr_str(&bound, as, sizeof as));
	assert_string_equal(err, want);
}

static void test_connect_timeout(void **st)
{
	struct sock_addr bound;
	char err[256];
	int lfd, fds[8], n = 0, timed_out = 0;

	(void)st;
	/* A listener that never accepts: once its queue is full, SYNs are
	 * dropped and connect() can only time out. */
	lfd = listen_any(&bound, 0);
	for (int i = 0; i < 8 && !timed_out; i++) {
		int fd = sock_connect(&bound, 300, NULL, NULL, err, sizeof err);

		if (fd >= 0)
			fds[n++] = fd;
		else if (errno == ETIMEDOUT)
			timed_out = 1;
	}
	assert_true(timed_out);
	assert_non_null(strstr(err, "Connection timed out"));
	while (n)
		close(fds[--n]);
	close(lfd);
}

static int apply(int fd, void *arg, char *err, size_t errlen)
{
	return sockopt_apply(fd, arg, err, errlen);
}

static void test_sockopt_apply_and_read_back(void **st)
{
	struct sock_addr bound;
	struct sockopt_req r;
	struct sockopt_eff e;
	char err[256];
	int lfd, fd;

	(void)st;
	lfd = listen_any(&bound, 4);
	sockopt_req_init(&r);
	r.sndbuf = 16384;
	r.rcvbuf = 16384;
	r.nodelay = 1;
	r.user_timeout_ms = 30000;
	assert_int_equal(sockopt_parse_keepalive("5s,1s,3", &r, err, sizeof err), 0);
	fd = sock_connect(&bound, 1000, apply, &r, err, sizeof err);
	if (fd < 0)
		fail_msg("%s", err);
	assert_int_equal(sockopt_read(fd, &e, err, sizeof err), 0);
	/* Linux doubles socket buffer requests. */
	assert_int_equal(e.sndbuf, 32768);
	assert_int_equal(e.rcvbuf, 32768);
	assert_int_equal(e.nodelay, 1);
	assert_int_equal(e.user_timeout_ms, 30000);
	assert_int_equal(e.keepalive, 1);
	assert_int_equal(e.ka_idle_s, 5);
	assert_int_equal(e.ka_intvl_s, 1);
	assert_int_equal(e.ka_cnt, 3);
	close(fd);
	close(lfd);
}

static void test_sockopt_errors(void **st)
{
	struct sockopt_req r;
	char err[256];

	(void)st;
	sockopt_req_init(&r);
	r.sndbuf = 4096;
	assert_int_equal(sockopt_apply(-1, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "setsockopt SO_SNDBUF 4096: Bad file descriptor"));
	assert_int_equal(sockopt_parse_keepalive("5s,1s,3,9", &r, err, sizeof err), -1);
	assert_int_equal(sockopt_parse_keepalive("1500ms", &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "whole seconds"));
	assert_int_equal(sockopt_parse_keepalive("5,1,0", &r, err, sizeof err), -1);
	/* Empty fields are errors, not skipped: "5,,3" is not "5,3". */
	assert_int_equal(sockopt_parse_keepalive("5,,3", &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "empty field"));
	assert_int_equal(sockopt_parse_keepalive(",5", &r, err, sizeof err), -1);
	assert_int_equal(sockopt_parse_keepalive("", &r, err, sizeof err), -1);
}

static void test_tcpstat_sees_queues(void **st)
{
	struct sock_addr bound;
	struct tcpstat t;
	char err[256], buf[1000];
	int lfd, cfd, afd;

	(void)st;
	memset(buf, 'x', sizeof buf);
	lfd = listen_any(&bound, 4);
	cfd = sock_connect(&bound, 1000, NULL, NULL, err, sizeof err);
	afd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0 && afd >= 0);
	assert_int_equal(send(cfd, buf, sizeof buf, 0), (ssize_t)sizeof buf);
	usleep(50000);
	assert_int_equal(tcpstat_sample(afd, &t), 0);
	assert_string_equal(tcpstat_state_name(t.state), "ESTABLISHED");
	assert_int_equal(t.inq, 1000);
	assert_true(t.have & TCPSTAT_HAVE_BYTES);
	assert_int_equal(t.bytes_received, 1000);
	assert_int_equal(tcpstat_sample(cfd, &t), 0);
	/* The active opener's count includes its SYN on current kernels. */
	assert_in_range(t.bytes_acked, 1000, 1001);
	assert_int_equal(t.outq, 0);
	assert_true(t.have & TCPSTAT_HAVE_SND_WND);
	assert_true(t.snd_wnd > 0);
	assert_int_equal(tcpstat_sample(-1, &t), -1);
	close(afd);
	close(cfd);
	close(lfd);
}

static void test_io_result_type(void **st)
{
	int sv[2];
	char b[4];
	size_t n;

	(void)st;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(sock_read(sv[0], b, sizeof b, &n), SOCK_IO_RETRY);
	assert_int_equal(sock_write(sv[1], "ab", 2, &n), SOCK_IO_OK);
	assert_int_equal(n, 2);
	assert_int_equal(sock_read(sv[0], b, sizeof b, &n), SOCK_IO_OK);
	assert_int_equal(n, 2);
	close(sv[1]);
	assert_int_equal(sock_read(sv[0], b, sizeof b, &n), SOCK_IO_EOF);
	assert_int_equal(sock_write(sv[0], "ab", 2, &n), SOCK_IO_ERROR);
	assert_int_equal(errno, EPIPE);
	close(sv[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen_port0_and_connect),
		cmocka_unit_test(test_connect_refused_names_the_address),
		cmocka_unit_test(test_connect_timeout),
		cmocka_unit_test(test_sockopt_apply_and_read_back),
		cmocka_unit_test(test_sockopt_errors),
		cmocka_unit_test(test_tcpstat_sees_queues),
		cmocka_unit_test(test_io_result_type),
	};

	return cmocka_run_group_tests_name("sock", tests, NULL, NULL);
}
