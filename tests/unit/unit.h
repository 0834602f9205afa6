/* A tiny unit-test framework. A test binary lists its cases in a table and
 * hands it to unit_main, which runs them in order and prints one line per
 * case for tests/run.py:
 *
 *   ok <binary>/<case>
 *   FAIL <binary>/<case>: <file>:<line>: <message>
 *
 * The FAIL line carries the case's first failure; later ones go to stderr.
 * A case that executed no check fails ("asserted nothing"), and one that
 * runs past UNIT_TIMEOUT_SEC fails and ends the binary. The exit status is 0
 * only when every case passed.
 *
 * Every CHECK macro evaluates its operands once and returns 1 when the check
 * held, so a case can stop early: `if (!CHECK(p != NULL)) return;`. Checks
 * may be made from several threads. */
#ifndef GH_UNIT_H
#define GH_UNIT_H

#include <stddef.h>
#include <stdint.h>

#ifndef UNIT_TIMEOUT_SEC
#define UNIT_TIMEOUT_SEC 60
#endif

struct unit_case {
	const char *name;
	void (*fn)(void);
};

/* A table entry named after its function. */
#define UNIT_CASE(fn) { #fn, fn }
#define UNIT_NCASES(table) (sizeof (table) / sizeof (table)[0])

/* Run the cases named on the command line (all when none; `-l` lists them)
 * in table order. Returns the exit status: 0 when all passed, 1 when one
 * failed, 2 on a usage error. */
int unit_main(int argc, char **argv, const struct unit_case *cases,
    size_t ncases);

enum unit_op { UNIT_EQ, UNIT_NE, UNIT_LT, UNIT_LE, UNIT_GT, UNIT_GE };

/* The checks behind the macros; each returns whether it held. */
int unit_check(int ok, const char *file, int line, const char *what);
int unit_check_int(long long a, enum unit_op op, long long b, const char *as,
    const char *bs, const char *file, int line);
int unit_check_u64(unsigned long long a, enum unit_op op, unsigned long long b,
    const char *as, const char *bs, const char *file, int line);
int unit_check_str(const char *a, const char *b, const char *as,
    const char *bs, const char *file, int line);
int unit_check_mem(const void *a, const void *b, size_t n, const char *as,
    const char *bs, const char *file, int line);
int unit_check_ptr(const void *a, const void *b, const char *as,
    const char *bs, const char *file, int line);
/* Record a failure with a printf-style message (counts as a check). */
int unit_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define CHECK(cond) unit_check(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_EQ_INT(a, b) UNIT_INT_OP(a, UNIT_EQ, b, #a, #b)
#define CHECK_NE_INT(a, b) UNIT_INT_OP(a, UNIT_NE, b, #a, #b)
#define CHECK_LT_INT(a, b) UNIT_INT_OP(a, UNIT_LT, b, #a, #b)
#define CHECK_LE_INT(a, b) UNIT_INT_OP(a, UNIT_LE, b, #a, #b)
#define CHECK_GT_INT(a, b) UNIT_INT_OP(a, UNIT_GT, b, #a, #b)
#define CHECK_GE_INT(a, b) UNIT_INT_OP(a, UNIT_GE, b, #a, #b)
/* (The text of the operands is taken before their macros expand.) */
#define UNIT_INT_OP(a, op, b, as, bs) unit_check_int((long long)(a), op, \
	(long long)(b), as, bs, __FILE__, __LINE__)
#define CHECK_EQ_U64(a, b) unit_check_u64((unsigned long long)(a), UNIT_EQ, \
	(unsigned long long)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_EQ_STR(a, b) unit_check_str(a, b, #a, #b, __FILE__, __LINE__)
#define CHECK_EQ_MEM(a, b, n) unit_check_mem(a, b, n, #a, #b, __FILE__, \
	__LINE__)
#define CHECK_EQ_PTR(a, b) unit_check_ptr(a, b, #a, #b, __FILE__, __LINE__)
#define FAIL(...) unit_fail(__FILE__, __LINE__, __VA_ARGS__)

/* Real CLOCK_MONOTONIC in ns, and a real sleep, for timing checks. */
int64_t unit_real_ns(void);
void unit_sleep_ns(int64_t ns);

#endif
