/* Proves the socket-path helpers shared by the shim and hookctl: pids are
 * read only from "<pid>.sock" names, HOST:PORT specs split with IPv6
 * brackets and a default host, and logs sit next to their sockets. */
#include <string.h>

#include "sockpath.h"
#include "unit.h"

static void
pid_of_takes_only_pid_sock_names(void)
{
	CHECK_EQ_INT(sockpath_pid_of("4242.sock"), 4242);
	CHECK_EQ_INT(sockpath_pid_of("4242.log"), -1);
	CHECK_EQ_INT(sockpath_pid_of(".sock"), -1);
	CHECK_EQ_INT(sockpath_pid_of("0.sock"), -1);
	CHECK_EQ_INT(sockpath_pid_of("-3.sock"), -1);
	CHECK_EQ_INT(sockpath_pid_of("12.sock~"), -1);
	CHECK_EQ_INT(sockpath_pid_of("abc.sock"), -1);
}

static void
hostport_splits_with_defaults_and_brackets(void)
{
	char a[] = "10.0.0.1:7000", b[] = ":7001", c[] = "[::1]:7002";
	char d[] = "nohost", e[] = "host:";
	char *h, *p;

	CHECK_EQ_INT(sockpath_hostport(a, "127.0.0.1", &h, &p), 0);
	CHECK_EQ_STR(h, "10.0.0.1");
	CHECK_EQ_STR(p, "7000");
	CHECK_EQ_INT(sockpath_hostport(b, "127.0.0.1", &h, &p), 0);
	CHECK_EQ_STR(h, "127.0.0.1");
	CHECK_EQ_STR(p, "7001");
	CHECK_EQ_INT(sockpath_hostport(c, "127.0.0.1", &h, &p), 0);
	CHECK_EQ_STR(h, "::1");
	CHECK_EQ_STR(p, "7002");
	CHECK_EQ_INT(sockpath_hostport(d, "x", &h, &p), -1);
	CHECK_EQ_INT(sockpath_hostport(e, "x", &h, &p), -1);
}

static void
log_sits_next_to_the_socket(void)
{
	char buf[64];

	CHECK_EQ_INT(sockpath_log("/run/g/42.sock", buf, sizeof buf), 0);
	CHECK_EQ_STR(buf, "/run/g/42.log");
	CHECK_EQ_INT(sockpath_log("/tmp/control", buf, sizeof buf), 0);
	CHECK_EQ_STR(buf, "/tmp/control.log");
	CHECK_EQ_INT(sockpath_log("/a/very/long/path.sock", buf, 8), -1);
}

static const struct unit_case cases[] = {
	UNIT_CASE(pid_of_takes_only_pid_sock_names),
	UNIT_CASE(hostport_splits_with_defaults_and_brackets),
	UNIT_CASE(log_sits_next_to_the_socket),
};

int
main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, UNIT_NCASES(cases));
}
