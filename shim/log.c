/* The shim's log file (see log.h). */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"
#include "log.h"
#include "shim.h"

static int log_fd = -1;

int
log_open(const char *path)
{
	log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	return log_fd < 0 ? -1 : 0;
}

void
log_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
}

void
hlog(const char *fmt, ...)
{
	char buf[1024];
	struct timespec ts;
	va_list ap;
	int n, m;

	if (log_fd < 0)
		return;
	/* Real wall time, straight from the kernel: never the game's clock. */
	sys_call(SYS_clock_gettime, CLOCK_REALTIME, &ts);
	n = snprintf(buf, sizeof buf, "%lld.%03ld gamehook[%d]: ",
	    (long long)ts.tv_sec, ts.tv_nsec / 1000000, (int)shim_getpid());
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	(void)!write(log_fd, buf, (size_t)n);
}
