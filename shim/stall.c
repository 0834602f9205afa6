/* Whether every thread of the game is blocked (see stall.h), from the
 * kernel's view of each: its state in /proc/self/task/TID/stat and the
 * number of times it was given a CPU, the third number of its schedstat. */
#include <dirent.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "stall.h"
#include "sys.h"

/* Threads compared between the two looks; a game with more is judged by
 * the states alone past this many. */
#define STALL_MAX_THREADS 128

static _Atomic int xwaits;
static _Atomic int looking;     /* one thread looks at a time */

void
stall_xwait_begin(void)
{
	atomic_fetch_add_explicit(&xwaits, 1, memory_order_relaxed);
}

void
stall_xwait_end(void)
{
	atomic_fetch_sub_explicit(&xwaits, 1, memory_order_relaxed);
}

/* Read the small file PATH into BUF (NUL-terminated); its length or -1. */
static int
read_small(const char *path, char *buf, int size)
{
	int fd = (int)sys_call(SYS_openat, AT_FDCWD, path,
	    O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	long n = sys_call(SYS_read, fd, buf, size - 1);
	sys_call(SYS_close, fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

/* "/proc/self/task/TID/WHAT" into OUT. */
static void
task_path(char *out, size_t size, const char *tid, const char *what)
{
	size_t n = 0;
	const char *parts[] = { "/proc/self/task/", tid, "/", what };
	for (unsigned i = 0; i < 4; i++)
		for (const char *p = parts[i]; *p && n + 1 < size; p++)
			out[n++] = *p;
	out[n] = '\0';
}

/* One thread's state letter and CPU turns; 0 when it is gone. */
static int
task_look(const char *tid, char *state, uint64_t *turns)
{
	char path[64], buf[512];

	task_path(path, sizeof path, tid, "stat");
	if (read_small(path, buf, sizeof buf) <= 0)
		return 0;
	/* The name is in parentheses and may hold anything: the state
	 * follows the last ')'. */
	char *p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ')
		return 0;
	*state = p[2];
	*turns = 0;
	task_path(path, sizeof path, tid, "schedstat");
	if (read_small(path, buf, sizeof buf) > 0) {
		/* "cpu_ns wait_ns turns" */
		const char *q = buf;
		for (int field = 0; field < 2 && q != NULL; field++) {
			q = strchr(q, ' ');
			if (q != NULL)
				q++;
		}
		for (; q != NULL && *q >= '0' && *q <= '9'; q++)
			*turns = *turns * 10 + (uint64_t)(*q - '0');
	}
	return 1;
}

/* One look at every thread but SELF: 1 when all are asleep (S), recording
 * each one's CPU turns in TURNS (by position, up to STALL_MAX_THREADS) and
 * their number in *COUNT; 0 at the first one that is not. */
static int
look(long self, uint64_t *turns, int *count)
{
	char dbuf[4096];
	int n = 0, all = 1;
	int dfd = (int)sys_call(SYS_openat, AT_FDCWD, "/proc/self/task",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return 0;
	for (;;) {
		long got = sys_call(SYS_getdents64, dfd, dbuf, sizeof dbuf);
		if (got <= 0) {
			if (got < 0)
				all = 0;
			break;
		}
		for (long off = 0; off < got && all;) {
			struct dirent64 *d = (struct dirent64 *)(dbuf + off);
			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			long tid = 0;
			for (const char *c = d->d_name; *c; c++)
				tid = tid * 10 + (*c - '0');
			if (tid == self)
				continue;
			char st;
			uint64_t t;
			if (!task_look(d->d_name, &st, &t))
				continue;   /* gone meanwhile */
			if (st == 'Z' || st == 'X')
				continue;   /* exited */
			if (st != 'S') {
				all = 0;
				break;
			}
			if (n < STALL_MAX_THREADS)
				turns[n] = t;
			n++;
		}
		if (!all)
			break;
	}
	sys_call(SYS_close, dfd);
	*count = n;
	return all;
}

/* The two looks (see stall.h). */
static int
blocked(long self)
{
	uint64_t a[STALL_MAX_THREADS], b[STALL_MAX_THREADS];
	int na, nb;

	if (atomic_load(&xwaits) > 0 || !look(self, a, &na))
		return 0;
	struct timespec gap = { 0, STALL_LOOK_GAP_NS };
	sys_call(SYS_nanosleep, &gap, NULL);
	if (atomic_load(&xwaits) > 0 || !look(self, b, &nb) || na != nb)
		return 0;
	int m = na < STALL_MAX_THREADS ? na : STALL_MAX_THREADS;
	for (int i = 0; i < m; i++)
		if (a[i] != b[i])
			return 0;   /* it ran between the looks */
	return atomic_load(&xwaits) == 0;
}

int
stall_everyone_blocked(void)
{
	/* Two sleepers looking at once would each see the other running. */
	int expected = 0;
	if (!atomic_compare_exchange_strong(&looking, &expected, 1))
		return 0;
	int r = blocked(sys_call(SYS_gettid));
	atomic_store(&looking, 0);
	return r;
}

int
stall_thread_blocked(long tid, long gap_ns)
{
	char name[24], st;
	uint64_t t1, t2;
	int n = 0;
	long v = tid;

	/* The tid in decimal, for its /proc directory. */
	char rev[24];
	do
		rev[n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0 && n < (int)sizeof rev);
	for (int i = 0; i < n; i++)
		name[i] = rev[n - 1 - i];
	name[n] = '\0';
	if (!task_look(name, &st, &t1) || st == 'Z' || st == 'X')
		return 1;
	if (st != 'S')
		return 0;
	struct timespec gap = { 0, gap_ns };
	sys_call(SYS_nanosleep, &gap, NULL);
	if (!task_look(name, &st, &t2) || st == 'Z' || st == 'X')
		return 1;
	return st == 'S' && t1 == t2;
}
