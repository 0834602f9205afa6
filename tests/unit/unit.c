/* The unit-test framework: runs a binary's cases and prints the ok/FAIL
 * lines tests/run.py reads (see unit.h). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"

#define MSG_MAX 1024
#define VAL_MAX 200

static struct {
	pthread_mutex_t lock;
	const char *binary;
	const char *current;
	long checks;
	long failures;
	char first[MSG_MAX];     /* "file:line: message" of the first failure */
	char timeout_line[MSG_MAX];
	size_t timeout_len;
} u = { .lock = PTHREAD_MUTEX_INITIALIZER };

static const char *const op_text[] = {
	[UNIT_EQ] = "==", [UNIT_NE] = "!=", [UNIT_LT] = "<",
	[UNIT_LE] = "<=", [UNIT_GT] = ">", [UNIT_GE] = ">=",
};

/* Record one check; a failure's message is FMT. Returns OK. */
static int
record(int ok, const char *file, int line, const char *fmt, va_list ap)
{
	char msg[MSG_MAX];

	if (!ok) {
		int n = snprintf(msg, sizeof msg, "%s:%d: ", file, line);
		if (n < 0 || (size_t)n >= sizeof msg)
			n = 0;
		vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
		/* The protocol is one line per case. */
		for (char *p = msg; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
	}
	pthread_mutex_lock(&u.lock);
	u.checks++;
	if (!ok) {
		if (u.failures++ == 0)
			snprintf(u.first, sizeof u.first, "%s", msg);
		else
			fprintf(stderr, "  also %s/%s: %s\n", u.binary,
			    u.current != NULL ? u.current : "?", msg);
	}
	pthread_mutex_unlock(&u.lock);
	return ok;
}

__attribute__((format(printf, 4, 5)))
static int
recordf(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ok = record(ok, file, line, fmt, ap);
	va_end(ap);
	return ok;
}

int
unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(0, file, line, fmt, ap);
	va_end(ap);
	return 0;
}

int
unit_check(int ok, const char *file, int line, const char *what)
{
	return recordf(ok, file, line, "check failed: %s", what);
}

static int
compare(int c, enum unit_op op)
{
	switch (op) {
	case UNIT_EQ: return c == 0;
	case UNIT_NE: return c != 0;
	case UNIT_LT: return c < 0;
	case UNIT_LE: return c <= 0;
	case UNIT_GT: return c > 0;
	case UNIT_GE: return c >= 0;
	}
	return 0;
}

int
unit_check_int(long long a, enum unit_op op, long long b, const char *as,
    const char *bs, const char *file, int line)
{
	int ok = compare((a > b) - (a < b), op);
	return recordf(ok, file, line, "expected %s %s %s, got %lld vs %lld",
	    as, op_text[op], bs, a, b);
}

int
unit_check_u64(unsigned long long a, enum unit_op op, unsigned long long b,
    const char *as, const char *bs, const char *file, int line)
{
	int ok = compare((a > b) - (a < b), op);
	return recordf(ok, file, line, "expected %s %s %s, got %llu vs %llu",
	    as, op_text[op], bs, a, b);
}

/* S (N bytes) as a C string literal, truncated to fit CAP. */
static void
quote(char *dst, size_t cap, const char *s, size_t n)
{
	size_t o = 0;

	if (s == NULL) {
		snprintf(dst, cap, "NULL");
		return;
	}
	dst[o++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof esc, "\\%c", c);
		else if (c == '\n')
			snprintf(esc, sizeof esc, "\\n");
		else if (c == '\t')
			snprintf(esc, sizeof esc, "\\t");
		else if (c < 0x20 || c >= 0x7f)
			snprintf(esc, sizeof esc, "\\x%02x", c);
		else
			snprintf(esc, sizeof esc, "%c", c);
		size_t len = strlen(esc);
		if (o + len + 5 > cap) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(dst + o, esc, len);
		o += len;
	}
	dst[o++] = '"';
	dst[o] = '\0';
}

int
unit_check_str(const char *a, const char *b, const char *as, const char *bs,
    const char *file, int line)
{
	char qa[VAL_MAX], qb[VAL_MAX];
	int ok = (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;

	if (ok)
		return recordf(1, file, line, "-");
	quote(qa, sizeof qa, a, a != NULL ? strlen(a) : 0);
	quote(qb, sizeof qb, b, b != NULL ? strlen(b) : 0);
	return recordf(0, file, line, "expected %s == %s, got %s vs %s",
	    as, bs, qa, qb);
}

int
unit_check_mem(const void *a, const void *b, size_t n, const char *as,
    const char *bs, const char *file, int line)
{
	char qa[VAL_MAX], qb[VAL_MAX];

	if (memcmp(a, b, n) == 0)
		return recordf(1, file, line, "-");
	quote(qa, sizeof qa, a, n);
	quote(qb, sizeof qb, b, n);
	return recordf(0, file, line, "expected %s == %s (%zu bytes), got %s "
	    "vs %s", as, bs, n, qa, qb);
}

int
unit_check_ptr(const void *a, const void *b, const char *as, const char *bs,
    const char *file, int line)
{
	return recordf(a == b, file, line, "expected %s == %s, got %p vs %p",
	    as, bs, a, b);
}

int64_t
unit_real_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

void
unit_sleep_ns(int64_t ns)
{
	struct timespec t = { .tv_sec = (time_t)(ns / 1000000000LL),
	    .tv_nsec = (long)(ns % 1000000000LL) };

	while (nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

/* A case ran too long: report it and end the binary (the case may hold
 * locks or threads, so nothing after it can be trusted). */
static void
on_alarm(int sig)
{
	ssize_t r = write(STDOUT_FILENO, u.timeout_line, u.timeout_len);
	(void)r;
	_exit(1);
}

static int
selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int
unit_main(int argc, char **argv, const struct unit_case *cases, size_t ncases)
{
	const char *slash = strrchr(argv[0], '/');
	int failed = 0;

	u.binary = slash != NULL ? slash + 1 : argv[0];
	if (argc == 2 && strcmp(argv[1], "-l") == 0) {
		for (size_t i = 0; i < ncases; i++)
			printf("%s\n", cases[i].name);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		size_t k = 0;
		while (k < ncases && strcmp(cases[k].name, argv[i]) != 0)
			k++;
		if (k == ncases) {
			fprintf(stderr, "%s: no case named '%s' (-l lists them)\n",
			    u.binary, argv[i]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	for (size_t i = 0; i < ncases; i++) {
		if (!selected(cases[i].name, argc, argv))
			continue;
		pthread_mutex_lock(&u.lock);
		u.current = cases[i].name;
		u.checks = 0;
		u.failures = 0;
		u.first[0] = '\0';
		int n = snprintf(u.timeout_line, sizeof u.timeout_line,
		    "FAIL %s/%s: timed out after %d s\n", u.binary,
		    cases[i].name, UNIT_TIMEOUT_SEC);
		u.timeout_len = n > 0 && (size_t)n < sizeof u.timeout_line ?
		    (size_t)n : 0;
		pthread_mutex_unlock(&u.lock);

		fflush(stdout);
		alarm(UNIT_TIMEOUT_SEC);
		cases[i].fn();
		alarm(0);

		pthread_mutex_lock(&u.lock);
		if (u.failures > 0) {
			printf("FAIL %s/%s: %s\n", u.binary, cases[i].name, u.first);
			failed++;
		} else if (u.checks == 0) {
			printf("FAIL %s/%s: asserted nothing\n", u.binary,
			    cases[i].name);
			failed++;
		} else {
			printf("ok %s/%s\n", u.binary, cases[i].name);
		}
		u.current = NULL;
		pthread_mutex_unlock(&u.lock);
	}
	fflush(stdout);
	return failed ? 1 : 0;
}
