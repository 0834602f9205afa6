/* Proves the memory scan's engine (shim/scan.h) on memory of its own:
 * every operator keeps exactly the candidates a slot-by-slot reference
 * keeps, for every width and kind, through the bitmaps and the list alike
 * and across the change from one to the other, with the values each pass
 * saw; candidates on pages unmapped since are dropped without reading
 * them; a tracker that says a page was not written makes the pass skip it
 * (its values taken as the old ones, the memory not read); the memory
 * bound refuses a start clearly and leaves no scan; bad values are
 * refused; and neither the passes nor the pointer scan take memory from
 * the heap (they run on the game's main thread, whose heap is the
 * game's). The engine is one global scan: cases run in order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../../shim/scan-ptr.h"
#include "../../shim/scan.h"
#include "unit.h"

/* Allocations counted: by ASan's hooks under ASan, else by taking
 * malloc, calloc and realloc over (the program's own definitions come
 * before libc's, for libc's own calls too). */
static volatile long allocs;

#ifdef __SANITIZE_ADDRESS__
int __sanitizer_install_malloc_and_free_hooks(
    void (*m)(const volatile void *, size_t),
    void (*f)(const volatile void *));

static void
on_malloc(const volatile void *p, size_t n)
{
	(void)p;
	(void)n;
	allocs++;
}

static void
on_free(const volatile void *p)
{
	(void)p;
}

static void
count_allocs(void)
{
	static int done;
	if (!done)
		__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
	done = 1;
}
#else
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t k);
void *__libc_realloc(void *p, size_t n);
void *malloc(size_t n);
void *calloc(size_t n, size_t k);
void *realloc(void *p, size_t n);

void *
malloc(size_t n)
{
	allocs++;
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t k)
{
	allocs++;
	return __libc_calloc(n, k);
}

void *
realloc(void *p, size_t n)
{
	allocs++;
	return __libc_realloc(p, n);
}

static void
count_allocs(void)
{
}
#endif

#define PAGE 4096

static uint64_t rng = 88172645463325252ULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint8_t *
region(size_t pages)
{
	void *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* The reference: every slot's liveness and last value. */
struct ref {
	int type, size;
	uint8_t *mem;
	size_t n;
	uint8_t *alive;
	uint64_t *old;
};

static uint64_t
raw(const struct ref *r, size_t i)
{
	uint64_t v = 0;
	memcpy(&v, r->mem + i * (size_t)r->size, (size_t)r->size);
	return v;
}

/* Exact for every 64-bit integer (x86-64's long double has 64 bits of
 * mantissa). */
static long double
num(int type, uint64_t v)
{
	switch (type) {
	case SCAN_I8: return (int8_t)v;
	case SCAN_U8: return (uint8_t)v;
	case SCAN_I16: return (int16_t)v;
	case SCAN_U16: return (uint16_t)v;
	case SCAN_I32: return (int32_t)v;
	case SCAN_U32: return (uint32_t)v;
	case SCAN_I64: return (long double)(int64_t)v;
	case SCAN_U64: return (long double)v;
	case SCAN_F32: { float f; uint32_t u = (uint32_t)v; memcpy(&f, &u, 4); return f; }
	default: { double d; memcpy(&d, &v, 8); return d; }
	}
}

static int
holds(int op, long double x, long double o, long double a, long double b)
{
	switch (op) {
	case SCAN_EQ: return x == a;
	case SCAN_NE: return x != a;
	case SCAN_LT: return x < a;
	case SCAN_GT: return x > a;
	case SCAN_RANGE: return x >= a && x <= b;
	case SCAN_CHANGED: return x != o;
	case SCAN_UNCHANGED: return x == o;
	case SCAN_INCREASED: return x > o;
	default: return x < o;
	}
}

struct cmp {
	const struct ref *r;
	size_t at;      /* next reference slot to look from */
	int bad;
	uint64_t seen;
};

static void
visit(uint64_t i, uintptr_t addr, uint64_t old, void *arg)
{
	struct cmp *c = arg;
	size_t slot = (addr - (uintptr_t)c->r->mem) / (size_t)c->r->size;
	while (c->at < c->r->n && !c->r->alive[c->at])
		c->at++;
	if (c->at != slot || old != c->r->old[slot] || i != c->seen) {
		if (!c->bad)
			FAIL("candidate %llu: slot %zu old %llx, the reference "
			    "has slot %zu old %llx", (unsigned long long)i, slot,
			    (unsigned long long)old, c->at,
			    (unsigned long long)(c->at < c->r->n ? c->r->old[c->at] :
			    0));
		c->bad = 1;
	}
	c->at = slot + 1;
	c->seen++;
}

/* The scan's candidates are the reference's live slots, with their values. */
static void
same_as_ref(const struct ref *r)
{
	uint64_t live = 0;
	for (size_t i = 0; i < r->n; i++)
		live += r->alive[i];
	CHECK_EQ_U64(scan_count(), live);
	struct cmp c = { r, 0, 0, 0 };
	scan_each(0, UINT64_MAX, visit, &c);
	CHECK(!c.bad);
	CHECK_EQ_U64(c.seen, live);
}

static void
fmt(int type, uint64_t v, char *buf)
{
	scan_format(type, v, buf, 64);
}

/* Change about one slot in K, to values near the old ones. */
static void
churn(struct ref *r, unsigned k)
{
	for (size_t i = 0; i < r->n; i++) {
		if (next() % k)
			continue;
		uint64_t v = raw(r, i);
		if (r->type == SCAN_F32) {
			float f;
			uint32_t u = (uint32_t)v;
			memcpy(&f, &u, 4);
			f += (float)((int)(next() % 5) - 2);
			memcpy(r->mem + i * 4, &f, 4);
		} else if (r->type == SCAN_F64) {
			double d;
			memcpy(&d, &v, 8);
			d += (double)((int)(next() % 5) - 2);
			memcpy(r->mem + i * 8, &d, 8);
		} else {
			v += next() % 5 - 2;
			memcpy(r->mem + i * (size_t)r->size, &v, (size_t)r->size);
		}
	}
}

static void
apply_ref(struct ref *r, int op, long double a, long double b)
{
	for (size_t i = 0; i < r->n; i++) {
		uint64_t v = raw(r, i);
		if (r->alive[i] && !holds(op, num(r->type, v), num(r->type,
		    r->old[i]), a, b))
			r->alive[i] = 0;
		if (r->alive[i])
			r->old[i] = v;
	}
}

/* Values 0..9 (floats: whole numbers), so that = keeps many. */
static void
fill(struct ref *r)
{
	for (size_t i = 0; i < r->n; i++) {
		uint64_t v = next() % 10;
		if (r->type == SCAN_F32) {
			float f = (float)v;
			memcpy(r->mem + i * 4, &f, 4);
		} else if (r->type == SCAN_F64) {
			double d = (double)v;
			memcpy(r->mem + i * 8, &d, 8);
		} else {
			memcpy(r->mem + i * (size_t)r->size, &v, (size_t)r->size);
		}
	}
}

static void
ops_match_the_reference(void)
{
	static const int ts[] = { SCAN_I8, SCAN_U8, SCAN_I16, SCAN_U16, SCAN_I32,
	    SCAN_U32, SCAN_I64, SCAN_U64, SCAN_F32, SCAN_F64 };
	const size_t pages = 64;
	char err[256], va[64], vb[64];
	struct scan_stats st;

	for (size_t t = 0; t < sizeof ts / sizeof ts[0]; t++) {
		struct ref r = { ts[t], scan_type_size(ts[t]), region(pages), 0,
		    NULL, NULL };
		if (!CHECK(r.mem != NULL))
			return;
		r.n = pages * PAGE / (size_t)r.size;
		r.alive = malloc(r.n);
		r.old = malloc(r.n * 8);
		fill(&r);
		struct scan_region reg = { (uintptr_t)r.mem,
		    (uintptr_t)r.mem + pages * PAGE };
		/* Unknown start: every slot. */
		if (!CHECK(scan_start(r.type, NULL, &reg, 1, &st, err,
		    sizeof err) == 0))
			return;
		memset(r.alive, 1, r.n);
		for (size_t i = 0; i < r.n; i++)
			r.old[i] = raw(&r, i);
		same_as_ref(&r);
		CHECK_EQ_STR(scan_mode(), "bitmap");
		/* The passes: relative ones while many, then by value. */
		static const int seq[] = { SCAN_UNCHANGED, SCAN_CHANGED,
		    SCAN_INCREASED, SCAN_DECREASED, SCAN_NE, SCAN_LT, SCAN_GT,
		    SCAN_RANGE, SCAN_EQ };
		for (size_t s = 0; s < sizeof seq / sizeof seq[0]; s++) {
			churn(&r, s < 2 ? 3 : 2);
			int op = seq[s];
			/* A value from a live slot, so that = keeps some. */
			uint64_t pick = 0;
			for (size_t i = 0; i < r.n; i++)
				if (r.alive[i]) {
					pick = raw(&r, i);
					break;
				}
			long double a = num(r.type, pick), b = a + 3;
			/* The bound must fit the type: 3 more, or a itself. */
			if (r.size < 8 && b >= (long double)(1u << (r.size * 8 - 1)) *
			    (r.type == SCAN_U8 || r.type == SCAN_U16 ||
			    r.type == SCAN_U32 ? 2 : 1))
				b = a;
			fmt(r.type, pick, va);
			snprintf(vb, sizeof vb, "%.0Lf", b);
			if (r.type == SCAN_F32 || r.type == SCAN_F64) {
				/* Whole numbers: "4" means 3.5 to 4.5. */
				if (op == SCAN_EQ || op == SCAN_NE || op == SCAN_RANGE)
					continue;
			}
			if (!CHECK(scan_narrow(op, va, vb, &reg, 1, &st, err,
			    sizeof err) == 0)) {
				FAIL("%s %s: %s", scan_type_dtype(r.type),
				    scan_op_name(op), err);
				return;
			}
			apply_ref(&r, op, a, b);
			same_as_ref(&r);
		}
		CHECK_EQ_STR(scan_mode(), "list");
		scan_stop();
		CHECK(!scan_active());
		munmap(r.mem, pages * PAGE);
		free(r.alive);
		free(r.old);
	}
}

/* A start with a value keeps one constant, and = then the list. */
static void
value_start_and_list(void)
{
	const size_t pages = 1024;
	uint8_t *m = region(pages);
	char err[256];
	struct scan_stats st;
	if (!CHECK(m != NULL))
		return;
	int32_t *v = (int32_t *)(void *)m;
	size_t n = pages * PAGE / 4;
	for (size_t i = 0; i < n; i++)
		v[i] = i % 7 == 0 ? 42 : (int32_t)(i % 1000) + 100;
	struct scan_region reg = { (uintptr_t)m, (uintptr_t)m + pages * PAGE };
	CHECK(scan_start(SCAN_I32, "42", &reg, 1, &st, err, sizeof err) == 0);
	CHECK_EQ_U64(st.candidates, (n + 6) / 7);
	CHECK_EQ_STR(scan_mode(), "bitmap");   /* 149,797: more than a list */
	/* Each seventh of those becomes 43. */
	size_t want = 0;
	for (size_t i = 0; i < n; i += 7)
		if ((i / 7) % 7 == 0) {
			v[i] = 43;
			want++;
		}
	CHECK(scan_narrow(SCAN_INCREASED, NULL, NULL, &reg, 1, &st, err,
	    sizeof err) == 0);
	CHECK_EQ_U64(scan_count(), want);
	CHECK_EQ_STR(scan_mode(), "list");
	CHECK(scan_memory() <= want * 16 + 128);
	scan_stop();
	munmap(m, pages * PAGE);
}

static void
unmapped_pages_are_dropped(void)
{
	const size_t pages = 32;
	uint8_t *m = region(pages);
	char err[256];
	struct scan_stats st;
	if (!CHECK(m != NULL))
		return;
	memset(m, 0, pages * PAGE);
	struct scan_region reg = { (uintptr_t)m, (uintptr_t)m + pages * PAGE };
	CHECK(scan_start(SCAN_U32, NULL, &reg, 1, &st, err, sizeof err) == 0);
	/* Pages 8-15 go: reading them would fault. */
	munmap(m + 8 * PAGE, 8 * PAGE);
	struct scan_region cur[2] = { { (uintptr_t)m, (uintptr_t)m + 8 * PAGE },
	    { (uintptr_t)m + 16 * PAGE, (uintptr_t)m + pages * PAGE } };
	CHECK(scan_narrow(SCAN_UNCHANGED, NULL, NULL, cur, 2, &st, err,
	    sizeof err) == 0);
	CHECK_EQ_U64(scan_count(), 24 * PAGE / 4);
	CHECK_EQ_U64(st.regions_gone, 1);
	/* Now the list: pages 16-23 go too. */
	CHECK(scan_narrow(SCAN_EQ, "0", NULL, cur, 2, &st, err, sizeof err) == 0);
	munmap(m + 16 * PAGE, 8 * PAGE);
	cur[1].lo = (uintptr_t)m + 24 * PAGE;
	CHECK(scan_narrow(SCAN_UNCHANGED, NULL, NULL, cur, 2, &st, err,
	    sizeof err) == 0);
	CHECK_EQ_U64(scan_count(), 16 * PAGE / 4);
	CHECK_EQ_STR(scan_mode(), "list");
	scan_stop();
	munmap(m, 8 * PAGE);
	munmap(m + 24 * PAGE, 8 * PAGE);
}

/* A tracker saying only page 0 was written. */
static uint64_t marks;

static uint64_t
fake_mark(int exact)
{
	(void)exact;
	return ++marks;
}

static uintptr_t fake_base;

static int
fake_written(uintptr_t lo, uintptr_t hi, uint64_t since, uint8_t *out)
{
	(void)since;
	for (uintptr_t p = lo; p < hi; p += PAGE)
		out[(p - lo) / PAGE] = p == fake_base;
	return 1;
}

static void
tracker_skips_unwritten_pages(void)
{
	static const struct scan_tracker tr = { fake_mark, fake_written };
	const size_t pages = 64;
	uint8_t *m = region(pages);
	char err[256];
	struct scan_stats st;
	if (!CHECK(m != NULL))
		return;
	fake_base = (uintptr_t)m;
	memset(m, 0, pages * PAGE);
	struct scan_region reg = { (uintptr_t)m, (uintptr_t)m + pages * PAGE };
	scan_set_tracker(&tr);
	uint64_t m0 = marks;
	CHECK(scan_start(SCAN_U32, "0", &reg, 1, &st, err, sizeof err) == 0);
	CHECK(marks > m0);
	/* Written "behind the tracker's back" on page 1: the pass does not
	 * read it, so its values count as the old ones (0). */
	memset(m + PAGE, 0xff, PAGE);
	m[0] = 1;   /* page 0 is read: this slot changed */
	CHECK(scan_narrow(SCAN_EQ, "0", NULL, &reg, 1, &st, err, sizeof err) == 0);
	CHECK_EQ_U64(st.pages_read, 1);
	CHECK_EQ_U64(st.pages_skipped, pages - 1);
	CHECK_EQ_U64(scan_count(), pages * PAGE / 4 - 1);
	/* With copies (an unknown start), unwritten pages are unchanged. */
	CHECK(scan_start(SCAN_U32, NULL, &reg, 1, &st, err, sizeof err) == 0);
	memset(m + 2 * PAGE, 0x11, PAGE);
	m[4] = 9;
	CHECK(scan_narrow(SCAN_CHANGED, NULL, NULL, &reg, 1, &st, err,
	    sizeof err) == 0);
	CHECK_EQ_U64(scan_count(), 1);
	CHECK_EQ_U64(st.pages_skipped, pages - 1);
	scan_set_tracker(NULL);
	scan_stop();
	munmap(m, pages * PAGE);
}

static void
memory_bound_refuses_clearly(void)
{
	/* The first case run: the arena is reserved with this bound. */
	const size_t pages = 4096;   /* 16 MiB */
	uint8_t *m = region(pages);
	char err[256];
	struct scan_stats st;
	if (!CHECK(m != NULL))
		return;
	scan_configure(8u << 20, NULL);
	CHECK_EQ_U64(scan_limit(), 8u << 20);
	struct scan_region reg = { (uintptr_t)m, (uintptr_t)m + pages * PAGE };
	CHECK(scan_start(SCAN_I32, NULL, &reg, 1, &st, err, sizeof err) == -1);
	CHECK(strstr(err, "HOOK_SCAN_MEMORY") != NULL);
	CHECK(!scan_active());
	/* A value: 512 KiB of bits. */
	CHECK(scan_start(SCAN_I32, "0", &reg, 1, &st, err, sizeof err) == 0);
	CHECK_EQ_U64(scan_count(), pages * PAGE / 4);
	CHECK(scan_memory() < (1u << 20));
	scan_stop();
	munmap(m, pages * PAGE);
}

static void
bad_values_are_refused(void)
{
	static const struct { int type; const char *v; } bad[] = {
		{ SCAN_I8, "300" }, { SCAN_I8, "-129" }, { SCAN_U8, "-1" },
		{ SCAN_U16, "65536" }, { SCAN_I32, "abc" }, { SCAN_I32, "" },
		{ SCAN_I32, "12x" }, { SCAN_F32, "nan" }, { SCAN_F64, "1e999" },
		{ SCAN_U64, "18446744073709551616" },
	};
	uint8_t *m = region(1);
	char err[256];
	struct scan_stats st;
	struct scan_region reg = { (uintptr_t)m, (uintptr_t)m + PAGE };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		CHECK(scan_start(bad[i].type, bad[i].v, &reg, 1, &st, err,
		    sizeof err) == -1);
		CHECK(err[0] != '\0');
	}
	CHECK(!scan_active());
	CHECK_EQ_INT(scan_type_parse("<i4"), SCAN_I32);
	CHECK_EQ_INT(scan_type_parse("|u1"), SCAN_U8);
	CHECK_EQ_INT(scan_type_parse("i33"), -1);
	CHECK_EQ_INT(scan_op_parse("!="), SCAN_NE);
	CHECK_EQ_INT(scan_op_parse("=>"), -1);
	/* A float's = holds within its last decimal. */
	float f = 2.54f;
	memcpy(m, &f, 4);
	f = 2.56f;
	memcpy(m + 4, &f, 4);
	CHECK(scan_start(SCAN_F32, "2.5", &reg, 1, &st, err, sizeof err) == 0);
	CHECK_EQ_U64(scan_count(), 1);
	CHECK(scan_narrow(SCAN_RANGE, "2", "1", &reg, 1, &st, err,
	    sizeof err) == -1);
	CHECK_EQ_U64(scan_count(), 1);
	scan_stop();
	munmap(m, PAGE);
}

static int
by_value(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* The control: the count sees an allocation, and one inside libc's qsort
 * of a few thousand ints (which the pointer scan used to call). */
static void
alloc_count_sees_the_heap(void)
{
	static int v[4000];
	count_allocs();
	long before = allocs;
	void *volatile p = malloc(100);
	CHECK_GT_INT(allocs, before);
	free(p);
	for (int i = 0; i < 4000; i++)
		v[i] = (int)(next() % 100000);
	before = allocs;
	qsort(v, 4000, sizeof v[0], by_value);
	CHECK_GT_INT(allocs, before);
}

static void
passes_and_pointer_scan_take_no_heap(void)
{
	const size_t pages = 64;
	uint8_t *m = region(pages), *d = region(4);
	char err[256], buf[64];
	struct scan_stats st;
	struct scanptr_chain ch;
	if (!CHECK(m != NULL && d != NULL))
		return;
	count_allocs();
	memset(m, 0, pages * PAGE);
	/* 2,000 pointers a little below a target: a level of the pointer
	 * scan that large, to be sorted. */
	uintptr_t target = (uintptr_t)m + 5 * PAGE + 8;
	for (int i = 0; i < 2000; i++)
		((uintptr_t *)(void *)d)[i] = target - (uintptr_t)(i % 64) * 8;
	struct scan_region reg[2] = { { (uintptr_t)m, (uintptr_t)m + pages * PAGE },
	    { (uintptr_t)d, (uintptr_t)d + 4 * PAGE } };
	if (reg[1].lo < reg[0].lo) {
		struct scan_region t = reg[0];
		reg[0] = reg[1];
		reg[1] = t;
	}
	long before = allocs;
	CHECK(scan_start(SCAN_I32, NULL, reg, 2, &st, err, sizeof err) == 0);
	m[0] = 7;
	CHECK(scan_narrow(SCAN_CHANGED, NULL, NULL, reg, 2, &st, err,
	    sizeof err) == 0);
	CHECK(scan_start(SCAN_F64, "0.5", reg, 2, &st, err, sizeof err) == 0);
	CHECK(scan_start(SCAN_I32, "0", reg, 2, &st, err, sizeof err) == 0);
	CHECK(scan_narrow(SCAN_INCREASED, NULL, NULL, reg, 2, &st, err,
	    sizeof err) == 0);
	scan_format(SCAN_F64, 0x400921fb54442d18ULL, buf, sizeof buf);
	CHECK(scanptr_find(target, reg, 2, 3, 4096, &ch, err, sizeof err) >= 0);
	CHECK(scanptr_static((uintptr_t)m, &ch) == 0);
	CHECK_EQ_INT(allocs - before, 0);
	scan_stop();
	munmap(m, pages * PAGE);
	munmap(d, 4 * PAGE);
}

int
main(int argc, char **argv)
{
	static const struct unit_case cases[] = {
		UNIT_CASE(memory_bound_refuses_clearly),
		UNIT_CASE(ops_match_the_reference),
		UNIT_CASE(value_start_and_list),
		UNIT_CASE(unmapped_pages_are_dropped),
		UNIT_CASE(tracker_skips_unwritten_pages),
		UNIT_CASE(bad_values_are_refused),
		UNIT_CASE(alloc_count_sees_the_heap),
		UNIT_CASE(passes_and_pointer_scan_take_no_heap),
	};
	return unit_main(argc, argv, cases, UNIT_NCASES(cases));
}
