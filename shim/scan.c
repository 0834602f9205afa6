/* The memory scan's candidates and passes (see scan.h).
 *
 * Storage: while candidates are many, a bitmap per region (one bit per
 * aligned slot: 1 GiB of int32 is 32 MiB of bits) with their old values
 * either one constant (after `start TYPE VALUE` or `=`) or a copy of the
 * region; once a sorted list of (address, value), 16 bytes each, is no
 * larger than the bitmaps, the list. Everything is in one arena mapped on
 * the first scan (MAP_NORESERVE: only what is used is memory), reset
 * between scans (in the shim, from its own reserved address range: kept
 * out of snapshots and write tracking, mapped before the game runs); its
 * size is the bound, reported clearly when reached. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "scan.h"

#define PAGE 4096u
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23   /* Linux 5.14 */
#endif
/* Internal: outside [a, b] (a float's != with its tolerance). */
#define SCAN_OUTSIDE SCAN_OPS

struct sreg {
	uintptr_t lo, hi;
	uint64_t *bits;     /* one bit a slot */
	uint8_t *old;       /* the values at the last pass; NULL: konst */
};

static struct {
	size_t limit;
	void *(*reserve)(size_t);
	const struct scan_tracker *tracker;
	uint8_t *arena;     /* reserved: limit bytes */
	size_t used, touched;

	int active, type, size;
	int list;           /* 1: addr/val lists; 0: regions' bitmaps */
	int konst_valid;    /* every old value is konst */
	uint64_t konst;
	struct sreg *reg;
	int nreg;
	uintptr_t *addr;
	uint64_t *val;
	uint64_t count;
	uint64_t mark, passes;
} S = { .limit = (size_t)2 << 30 };

static const struct {
	const char *name, *dtype, *alias1, *alias2;
	int size;
} types[SCAN_TYPES] = {
	[SCAN_I8] = { "i8", "|i1", "<i1", "int8", 1 },
	[SCAN_U8] = { "u8", "|u1", "<u1", "uint8", 1 },
	[SCAN_I16] = { "i16", "<i2", "=i2", "int16", 2 },
	[SCAN_U16] = { "u16", "<u2", "=u2", "uint16", 2 },
	[SCAN_I32] = { "i32", "<i4", "=i4", "int32", 4 },
	[SCAN_U32] = { "u32", "<u4", "=u4", "uint32", 4 },
	[SCAN_I64] = { "i64", "<i8", "=i8", "int64", 8 },
	[SCAN_U64] = { "u64", "<u8", "=u8", "uint64", 8 },
	[SCAN_F32] = { "f32", "<f4", "=f4", "float", 4 },
	[SCAN_F64] = { "f64", "<f8", "=f8", "double", 8 },
};

static const struct {
	const char *sym, *word;
	int nargs;
} ops[SCAN_OPS] = {
	[SCAN_EQ] = { "=", "eq", 1 },
	[SCAN_NE] = { "!=", "ne", 1 },
	[SCAN_LT] = { "<", "lt", 1 },
	[SCAN_GT] = { ">", "gt", 1 },
	[SCAN_RANGE] = { "range", "between", 2 },
	[SCAN_CHANGED] = { "changed", "ch", 0 },
	[SCAN_UNCHANGED] = { "unchanged", "un", 0 },
	[SCAN_INCREASED] = { "increased", "inc", 0 },
	[SCAN_DECREASED] = { "decreased", "dec", 0 },
};

int
scan_type_parse(const char *name)
{
	for (int i = 0; i < SCAN_TYPES; i++)
		if (strcmp(name, types[i].name) == 0 ||
		    strcmp(name, types[i].dtype) == 0 ||
		    strcmp(name, types[i].alias1) == 0 ||
		    strcmp(name, types[i].alias2) == 0)
			return i;
	return -1;
}

const char *
scan_type_dtype(int type)
{
	return types[type].dtype;
}

int
scan_type_size(int type)
{
	return types[type].size;
}

int
scan_op_parse(const char *name)
{
	if (strcmp(name, "==") == 0)
		return SCAN_EQ;
	for (int i = 0; i < SCAN_OPS; i++)
		if (strcmp(name, ops[i].sym) == 0 || strcmp(name, ops[i].word) == 0)
			return i;
	return -1;
}

const char *
scan_op_name(int op)
{
	return ops[op].sym;
}

int
scan_op_args(int op)
{
	return ops[op].nargs;
}

void
scan_configure(size_t limit, void *(*reserve)(size_t len))
{
	if (S.arena == NULL && limit > 0)
		S.limit = (limit + PAGE - 1) & ~(size_t)(PAGE - 1);
	S.reserve = reserve;
}

void
scan_set_tracker(const struct scan_tracker *t)
{
	S.tracker = t;
}

/* --- the arena --------------------------------------------------------- */

static int
arena_reserve(char *err, size_t errlen)
{
	if (S.arena != NULL)
		return 0;
	void *p;
	if (S.reserve != NULL) {
		p = S.reserve(S.limit);
	} else {
		p = mmap(NULL, S.limit, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			p = NULL;
	}
	if (p == NULL) {
		snprintf(err, errlen, "cannot reserve %zu MiB for the scan: %s",
		    S.limit >> 20, strerror(errno));
		return -1;
	}
	S.arena = p;
	return 0;
}

/* LEN bytes from the arena, 64-aligned; NULL when over the limit. Pages
 * used for the first time are populated in one call: faulting them in one
 * by one costs 5-20x more on a virtual machine (measured here: 16 MiB in
 * 8 ms against 160 ms), and every byte handed out is written. */
static void *
arena_alloc(size_t len)
{
	size_t at = (S.used + 63) & ~(size_t)63;
	if (at > S.limit || len > S.limit - at)
		return NULL;
	S.used = at + len;
	if (S.used > S.touched) {
		size_t from = S.touched & ~(size_t)(PAGE - 1);
		size_t to = (S.used + PAGE - 1) & ~(size_t)(PAGE - 1);
		/* Older kernels say EINVAL: the pages then fault as usual. */
		madvise(S.arena + from, to - from, MADV_POPULATE_WRITE);
		S.touched = S.used;
	}
	return S.arena + at;
}

/* Give back what lies past the first KEEP bytes. */
static void
arena_trim(size_t keep)
{
	keep = (keep + PAGE - 1) & ~(size_t)(PAGE - 1);
	if (S.touched > keep)
		madvise(S.arena + keep, S.touched - keep, MADV_DONTNEED);
	S.touched = keep;
	if (S.used > keep)
		S.used = keep;
}

/* --- values ------------------------------------------------------------- */

static int
is_float(int type)
{
	return type == SCAN_F32 || type == SCAN_F64;
}

static int
is_signed(int type)
{
	return type == SCAN_I8 || type == SCAN_I16 || type == SCAN_I32 ||
	    type == SCAN_I64;
}

/* Parse TEXT as a value of TYPE into raw bits *OUT; for a float, the
 * tolerance its decimals imply into *EPS. Returns 0, or -1 with ERR. */
static int
parse_value(int type, const char *text, uint64_t *out, double *eps,
    char *err, size_t errlen)
{
	char *end;
	int sz = types[type].size;

	errno = 0;
	*eps = 0.0;
	if (is_float(type)) {
		double d = strtod(text, &end);
		if (errno || end == text || *end || !isfinite(d))
			goto bad;
		const char *dot = strchr(text, '.');
		if (dot != NULL && strpbrk(text, "eE") == NULL) {
			size_t dec = strspn(dot + 1, "0123456789");
			*eps = 0.5 * pow(10.0, -(double)dec);
		} else if (strpbrk(text, "eE") == NULL) {
			*eps = 0.5;
		}
		if (type == SCAN_F32) {
			float f = (float)d;
			uint32_t u;
			memcpy(&u, &f, 4);
			*out = u;
		} else {
			memcpy(out, &d, 8);
		}
		return 0;
	}
	if (is_signed(type)) {
		long long v = strtoll(text, &end, 0);
		if (errno || end == text || *end)
			goto bad;
		long long lo = sz == 8 ? INT64_MIN : -(1LL << (sz * 8 - 1));
		long long hi = sz == 8 ? INT64_MAX : (1LL << (sz * 8 - 1)) - 1;
		if (v < lo || v > hi) {
			snprintf(err, errlen, "%s is out of range for %s (%lld to "
			    "%lld)", text, types[type].name, lo, hi);
			return -1;
		}
		uint64_t u = (uint64_t)v;
		*out = sz == 8 ? u : u & ((1ULL << (sz * 8)) - 1);
		return 0;
	}
	if (text[0] == '-')
		goto bad;
	unsigned long long v = strtoull(text, &end, 0);
	if (errno || end == text || *end)
		goto bad;
	if (sz < 8 && v >> (sz * 8)) {
		snprintf(err, errlen, "%s is out of range for %s (0 to %llu)",
		    text, types[type].name, (1ULL << (sz * 8)) - 1);
		return -1;
	}
	*out = v;
	return 0;
bad:
	snprintf(err, errlen, "'%s' is not a%s %s value", text,
	    is_float(type) ? "" : "n", types[type].name);
	return -1;
}

uint64_t
scan_read(int type, uintptr_t addr)
{
	uint64_t v = 0;
	memcpy(&v, (const void *)addr, (size_t)types[type].size);
	return v;
}

void
scan_format(int type, uint64_t v, char *buf, size_t len)
{
	switch (type) {
	case SCAN_I8: snprintf(buf, len, "%d", (int)(int8_t)v); break;
	case SCAN_U8: snprintf(buf, len, "%u", (unsigned)(uint8_t)v); break;
	case SCAN_I16: snprintf(buf, len, "%d", (int)(int16_t)v); break;
	case SCAN_U16: snprintf(buf, len, "%u", (unsigned)(uint16_t)v); break;
	case SCAN_I32: snprintf(buf, len, "%d", (int)(int32_t)v); break;
	case SCAN_U32: snprintf(buf, len, "%u", (unsigned)(uint32_t)v); break;
	case SCAN_I64: snprintf(buf, len, "%lld", (long long)v); break;
	case SCAN_U64: snprintf(buf, len, "%llu", (unsigned long long)v); break;
	case SCAN_F32: case SCAN_F64: {
		double d;
		if (type == SCAN_F32) {
			float f;
			uint32_t u = (uint32_t)v;
			memcpy(&f, &u, 4);
			d = f;
		} else {
			memcpy(&d, &v, 8);
		}
		if (isfinite(d))
			snprintf(buf, len, type == SCAN_F32 ? "%.9g" : "%.17g", d);
		else
			snprintf(buf, len, "null");
		break;
	}
	}
}

/* --- passes, one body per type ------------------------------------------ */

/* 64 bytes of 0 or 1 as the bits of a word, the first byte lowest. */
static inline uint64_t
pack64(const uint8_t *b)
{
	uint64_t w = 0;
	for (int i = 0; i < 8; i++) {
		uint64_t v;
		memcpy(&v, b + i * 8, 8);
		/* Each byte's bit to the top byte, in order. */
		w |= ((v * 0x0102040810204080ULL) >> 56) << (i * 8);
	}
	return w;
}

/* The arguments of one pass. */
struct pass {
	int op;
	uint64_t a, b;      /* raw bits */
	int kc;             /* old values: konst */
	uint64_t konst;
};

#define COND_EQ        (x == a)
#define COND_NE        (x != a)
#define COND_LT        (x < a)
#define COND_GT        (x > a)
#define COND_RANGE     (x >= a && x <= b)
#define COND_OUTSIDE   (!(x >= a && x <= b))
#define COND_CHANGED   (x != o)
#define COND_UNCHANGED (x == o)
#define COND_INCREASED (x > o)
#define COND_DECREASED (x < o)

/* One word of 64 slots: X the value now, O the one before (a copy, or
 * the constant K). The conditions go to bytes first, which the compiler
 * can do many at a time, then to the word's bits. */
#define WORD_LOOP(COND) \
	if (oldp != NULL) { \
		for (int t = 0; t < 64; t++) { \
			elem_t x = src[base + t], o = oldp[base + t]; \
			(void)o; \
			hit[t] = (COND); \
		} \
	} else { \
		for (int t = 0; t < 64; t++) { \
			elem_t x = src[base + t], o = k; \
			(void)o; \
			hit[t] = (COND); \
		} \
	} \
	break

#define LIST_LOOP(COND) \
	{ elem_t x = now, o = was; (void)o; ok = (COND); } \
	break

#define DEFINE_PASSES(SUF, T) \
static T \
as_##SUF(uint64_t v) \
{ \
	T t; \
	memcpy(&t, &v, sizeof t); \
	return t; \
} \
/* Whether OP holds between NOW and WAS (raw bits). */ \
static int \
test_##SUF(const struct pass *p, uint64_t nowv, uint64_t wasv) \
{ \
	const T a = as_##SUF(p->a), b = as_##SUF(p->b); \
	const T now = as_##SUF(nowv), was = as_##SUF(wasv); \
	typedef T elem_t; \
	int ok = 0; \
	(void)b; \
	switch (p->op) { \
	case SCAN_EQ: LIST_LOOP(COND_EQ); \
	case SCAN_NE: LIST_LOOP(COND_NE); \
	case SCAN_LT: LIST_LOOP(COND_LT); \
	case SCAN_GT: LIST_LOOP(COND_GT); \
	case SCAN_RANGE: LIST_LOOP(COND_RANGE); \
	case SCAN_OUTSIDE: LIST_LOOP(COND_OUTSIDE); \
	case SCAN_CHANGED: LIST_LOOP(COND_CHANGED); \
	case SCAN_UNCHANGED: LIST_LOOP(COND_UNCHANGED); \
	case SCAN_INCREASED: LIST_LOOP(COND_INCREASED); \
	case SCAN_DECREASED: LIST_LOOP(COND_DECREASED); \
	} \
	return ok; \
} \
/* Narrow region R's bitmap; WR: pages maybe written (NULL: all). */ \
static uint64_t \
bitmap_##SUF(struct sreg *r, const struct pass *p, const uint8_t *wr, \
    struct scan_stats *st) \
{ \
	const size_t per_page = PAGE / sizeof(T), wpp = per_page / 64; \
	const size_t npages = (r->hi - r->lo) / PAGE; \
	const T a = as_##SUF(p->a), b = as_##SUF(p->b), k = as_##SUF(p->konst); \
	const T *oldp = p->kc ? NULL : (const T *)r->old; \
	typedef T elem_t; \
	uint64_t count = 0; \
	(void)b; \
	for (size_t pg = 0; pg < npages; pg++) { \
		uint64_t *w = r->bits + pg * wpp; \
		size_t j; \
		for (j = 0; j < wpp && w[j] == 0; j++) \
			; \
		if (j == wpp) \
			continue; \
		const T *src = (const T *)r->lo; \
		if (wr != NULL && !wr[pg]) { \
			/* Not written since: its values are the old ones. */ \
			st->pages_skipped++; \
			if (p->op == SCAN_CHANGED || p->op == SCAN_INCREASED || \
			    p->op == SCAN_DECREASED) { \
				memset(w, 0, wpp * 8); \
				continue; \
			} \
			if (oldp == NULL || p->op == SCAN_UNCHANGED) { \
				if (!test_##SUF(p, p->konst, p->konst)) { \
					memset(w, 0, wpp * 8); \
					continue; \
				} \
				for (j = 0; j < wpp; j++) \
					count += (uint64_t)__builtin_popcountll(w[j]); \
				continue; \
			} \
			src = oldp; \
		} else { \
			st->pages_read++; \
		} \
		uint64_t kept = 0; \
		for (j = 0; j < wpp; j++) { \
			uint64_t m = w[j], keep; \
			uint8_t hit[64]; \
			if (m == 0) \
				continue; \
			size_t base = pg * per_page + j * 64; \
			switch (p->op) { \
			case SCAN_EQ: WORD_LOOP(COND_EQ); \
			case SCAN_NE: WORD_LOOP(COND_NE); \
			case SCAN_LT: WORD_LOOP(COND_LT); \
			case SCAN_GT: WORD_LOOP(COND_GT); \
			case SCAN_RANGE: WORD_LOOP(COND_RANGE); \
			case SCAN_OUTSIDE: WORD_LOOP(COND_OUTSIDE); \
			case SCAN_CHANGED: WORD_LOOP(COND_CHANGED); \
			case SCAN_UNCHANGED: WORD_LOOP(COND_UNCHANGED); \
			case SCAN_INCREASED: WORD_LOOP(COND_INCREASED); \
			case SCAN_DECREASED: WORD_LOOP(COND_DECREASED); \
			} \
			keep = pack64(hit); \
			w[j] = m & keep; \
			kept |= w[j]; \
			count += (uint64_t)__builtin_popcountll(w[j]); \
		} \
		/* The values this pass saw, for the next one. */ \
		if (kept && oldp != NULL && src != oldp) \
			memcpy((uint8_t *)r->old + pg * PAGE, \
			    (const uint8_t *)r->lo + pg * PAGE, PAGE); \
	} \
	return count; \
}

DEFINE_PASSES(i8, int8_t)
DEFINE_PASSES(u8, uint8_t)
DEFINE_PASSES(i16, int16_t)
DEFINE_PASSES(u16, uint16_t)
DEFINE_PASSES(i32, int32_t)
DEFINE_PASSES(u32, uint32_t)
DEFINE_PASSES(i64, int64_t)
DEFINE_PASSES(u64, uint64_t)
DEFINE_PASSES(f32, float)
DEFINE_PASSES(f64, double)

static uint64_t
bitmap_pass(struct sreg *r, const struct pass *p, const uint8_t *wr,
    struct scan_stats *st)
{
	switch (S.type) {
	case SCAN_I8: return bitmap_i8(r, p, wr, st);
	case SCAN_U8: return bitmap_u8(r, p, wr, st);
	case SCAN_I16: return bitmap_i16(r, p, wr, st);
	case SCAN_U16: return bitmap_u16(r, p, wr, st);
	case SCAN_I32: return bitmap_i32(r, p, wr, st);
	case SCAN_U32: return bitmap_u32(r, p, wr, st);
	case SCAN_I64: return bitmap_i64(r, p, wr, st);
	case SCAN_U64: return bitmap_u64(r, p, wr, st);
	case SCAN_F32: return bitmap_f32(r, p, wr, st);
	default: return bitmap_f64(r, p, wr, st);
	}
}

static int
test_one(const struct pass *p, uint64_t now, uint64_t was)
{
	switch (S.type) {
	case SCAN_I8: return test_i8(p, now, was);
	case SCAN_U8: return test_u8(p, now, was);
	case SCAN_I16: return test_i16(p, now, was);
	case SCAN_U16: return test_u16(p, now, was);
	case SCAN_I32: return test_i32(p, now, was);
	case SCAN_U32: return test_u32(p, now, was);
	case SCAN_I64: return test_i64(p, now, was);
	case SCAN_U64: return test_u64(p, now, was);
	case SCAN_F32: return test_f32(p, now, was);
	default: return test_f64(p, now, was);
	}
}

/* --- the pages a pass reads ------------------------------------------- */

/* Pages of R maybe written since the last pass, into the arena's scratch
 * (one byte a page); NULL when every page counts as written. */
static uint8_t *
written_pages(uintptr_t lo, uintptr_t hi)
{
	if (S.tracker == NULL || S.tracker->written == NULL)
		return NULL;
	size_t save = S.used;
	uint8_t *out = arena_alloc((hi - lo) / PAGE);
	if (out == NULL)
		return NULL;
	if (!S.tracker->written(lo, hi, S.mark, out)) {
		S.used = save;
		return NULL;
	}
	return out;
}

/* A mark of now, taken before a pass reads: what is written after it is
 * what the next pass must read. (With write tracking, taking it brings
 * the tracker's knowledge up to date, so the pass that takes it may ask
 * about the mark before.) */
static uint64_t
take_mark(int exact)
{
	if (S.tracker != NULL && S.tracker->mark != NULL)
		return S.tracker->mark(exact);
	return 0;
}

/* --- storage -------------------------------------------------------------- */

/* Forget the scan; its arena's pages stay for the next one. */
static void
scan_reset(void)
{
	S.used = 0;
	S.active = 0;
	S.reg = NULL;
	S.nreg = 0;
	S.addr = NULL;
	S.val = NULL;
	S.count = 0;
	S.list = 0;
	S.konst_valid = 0;
	S.passes = 0;
}

void
scan_stop(void)
{
	if (S.arena != NULL)
		arena_trim(0);
	scan_reset();
}

static size_t
bitmap_bytes(uintptr_t lo, uintptr_t hi)
{
	return (hi - lo) / (size_t)S.size / 8;
}

/* Bitmaps to a list of (address, value now), moved to the arena's start.
 * Returns 0, or -1 when there is no room (the bitmaps stay). */
static int
to_list(void)
{
	size_t save = S.used;
	uintptr_t *addr = arena_alloc(S.count * sizeof *addr + 1);
	uint64_t *val = arena_alloc(S.count * sizeof *val + 1);
	if (addr == NULL || val == NULL) {
		S.used = save;
		return -1;
	}
	uint64_t n = 0;
	for (int i = 0; i < S.nreg; i++) {
		const struct sreg *r = &S.reg[i];
		size_t words = bitmap_bytes(r->lo, r->hi) / 8;
		for (size_t j = 0; j < words; j++) {
			uint64_t m = r->bits[j];
			while (m) {
				int t = __builtin_ctzll(m);
				m &= m - 1;
				uintptr_t a = r->lo + (j * 64 + (size_t)t) *
				    (size_t)S.size;
				addr[n] = a;
				val[n] = scan_read(S.type, a);
				n++;
			}
		}
	}
	/* Down to the start: the lists lie past everything they replace. */
	uintptr_t *na = (uintptr_t *)(void *)S.arena;
	uint64_t *nv = (uint64_t *)(void *)(S.arena +
	    ((n * sizeof *na + 63) & ~(size_t)63));
	memmove(na, addr, n * sizeof *na);
	memmove(nv, val, n * sizeof *nv);
	S.addr = na;
	S.val = nv;
	S.count = n;
	S.list = 1;
	S.reg = NULL;
	S.nreg = 0;
	S.konst_valid = 0;
	/* The pages past it stay the scan's until `scan stop`: giving them
	 * back costs as much as the pass (a 256 MiB copy: 50-90 ms here),
	 * and the next start writes them again. */
	S.used = (size_t)((uint8_t *)(nv + n) - S.arena);
	return 0;
}

/* After a pass over the bitmaps: keep the candidates' values as a list
 * when that is no larger, else as one constant (KONST_OK) or copies of
 * the regions. Returns 0, or -1 with ERR (the scan is ended). */
static int
settle(int konst_ok, uint64_t konst, char *err, size_t errlen)
{
	if (S.list)
		return 0;
	size_t bits = 0;
	for (int i = 0; i < S.nreg; i++)
		bits += bitmap_bytes(S.reg[i].lo, S.reg[i].hi);
	if ((S.count <= 65536 || S.count * 16 <= bits) && to_list() == 0)
		return 0;
	if (konst_ok) {
		S.konst_valid = 1;
		S.konst = konst;
		for (int i = 0; i < S.nreg; i++)
			S.reg[i].old = NULL;
		return 0;
	}
	for (int i = 0; i < S.nreg; i++) {
		struct sreg *r = &S.reg[i];
		size_t n = r->hi - r->lo;
		if (r->old == NULL) {
			r->old = arena_alloc(n);
			if (r->old == NULL) {
				unsigned long long c = (unsigned long long)S.count;
				scan_stop();
				snprintf(err, errlen, "%llu candidates, and no room for "
				    "their values within the scan's %zu MiB "
				    "(HOOK_SCAN_MEMORY): the scan is ended; start "
				    "again with a value, or raise it", c,
				    S.limit >> 20);
				return -1;
			}
			/* The pages holding candidates (the others may be
			 * unmapped by now). */
			size_t wpp = PAGE / (size_t)S.size / 64;
			for (size_t pg = 0; pg < n / PAGE; pg++) {
				const uint64_t *w = r->bits + pg * wpp;
				size_t j;
				for (j = 0; j < wpp && w[j] == 0; j++)
					;
				if (j < wpp)
					memcpy(r->old + pg * PAGE,
					    (const void *)(r->lo + pg * PAGE), PAGE);
			}
		}
		/* A region with copies had them brought up to date by the
		 * pass, page by page. */
	}
	S.konst_valid = 0;
	return 0;
}

/* --- start and narrow ------------------------------------------------- */

/* A value of the scan's type for OP: A (and B) parsed into P; a float's
 * = and != hold within the tolerance its decimals give. */
static int
make_pass(int op, const char *a, const char *b, struct pass *p, char *err,
    size_t errlen)
{
	double ea = 0, eb = 0;

	memset(p, 0, sizeof *p);
	p->op = op;
	if (ops[op].nargs >= 1 && parse_value(S.type, a, &p->a, &ea, err,
	    errlen) != 0)
		return -1;
	if (ops[op].nargs >= 2 && parse_value(S.type, b, &p->b, &eb, err,
	    errlen) != 0)
		return -1;
	if (!is_float(S.type)) {
		if (op == SCAN_RANGE && test_one(&(struct pass){ .op = SCAN_GT,
		    .a = p->b }, p->a, 0)) {
			snprintf(err, errlen, "range %s %s: the first is the "
			    "lower bound", a, b);
			return -1;
		}
		return 0;
	}
	if (op != SCAN_EQ && op != SCAN_NE && op != SCAN_RANGE)
		return 0;
	double lo, hi;
	if (S.type == SCAN_F32) {
		float fa, fb;
		uint32_t ua = (uint32_t)p->a, ub = (uint32_t)p->b;
		memcpy(&fa, &ua, 4);
		memcpy(&fb, &ub, 4);
		if (op == SCAN_RANGE && fa > fb)
			goto backwards;
		lo = fa - ea;
		hi = (op == SCAN_RANGE ? fb + eb : fa + ea);
	} else {
		double da, db;
		memcpy(&da, &p->a, 8);
		memcpy(&db, &p->b, 8);
		if (op == SCAN_RANGE && da > db)
			goto backwards;
		lo = da - ea;
		hi = (op == SCAN_RANGE ? db + eb : da + ea);
	}
	p->op = op == SCAN_NE ? SCAN_OUTSIDE : SCAN_RANGE;
	if (S.type == SCAN_F32) {
		float fl = (float)lo, fh = (float)hi;
		uint32_t ul, uh;
		memcpy(&ul, &fl, 4);
		memcpy(&uh, &fh, 4);
		p->a = ul;
		p->b = uh;
	} else {
		memcpy(&p->a, &lo, 8);
		memcpy(&p->b, &hi, 8);
	}
	return 0;
backwards:
	snprintf(err, errlen, "range %s %s: the first is the lower bound", a, b);
	return -1;
}

int
scan_start(int type, const char *value, const struct scan_region *r,
    int nr, struct scan_stats *st, char *err, size_t errlen)
{
	struct pass p;
	int old_type = S.type;

	memset(st, 0, sizeof *st);
	S.type = type;
	S.size = types[type].size;
	if (value != NULL && make_pass(SCAN_EQ, value, NULL, &p, err,
	    errlen) != 0) {
		S.type = old_type;
		S.size = types[old_type].size;
		return -1;
	}
	size_t need = (size_t)nr * (sizeof(struct sreg) + 64) + 64, bytes = 0;
	for (int i = 0; i < nr; i++) {
		need += bitmap_bytes(r[i].lo, r[i].hi) + 64;
		bytes += r[i].hi - r[i].lo;
	}
	if (value == NULL)
		need += bytes;
	if (need > S.limit) {
		snprintf(err, errlen, "scanning %zu MiB%s needs %zu MiB, over the "
		    "scan's %zu MiB (HOOK_SCAN_MEMORY)%s", bytes >> 20,
		    value == NULL ? " without a value" : "", need >> 20,
		    S.limit >> 20, value == NULL ? ": start with a value, or "
		    "raise it" : ": raise it");
		S.type = old_type;
		S.size = types[old_type].size;
		return -1;
	}
	if (arena_reserve(err, errlen) != 0)
		return -1;
	scan_reset();
	S.type = type;
	S.size = types[type].size;
	S.reg = arena_alloc((size_t)nr * sizeof(struct sreg));
	S.nreg = nr;
	for (int i = 0; i < nr; i++) {
		S.reg[i].lo = r[i].lo;
		S.reg[i].hi = r[i].hi;
		S.reg[i].bits = arena_alloc(bitmap_bytes(r[i].lo, r[i].hi));
		memset(S.reg[i].bits, 0xff, bitmap_bytes(r[i].lo, r[i].hi));
		S.reg[i].old = NULL;
	}
	S.active = 1;
	S.count = 0;
	S.passes = 1;
	S.mark = take_mark(1);
	if (value == NULL) {
		/* Every slot, its value kept. */
		for (int i = 0; i < nr; i++) {
			size_t n = r[i].hi - r[i].lo;
			S.reg[i].old = arena_alloc(n);
			memcpy(S.reg[i].old, (const void *)r[i].lo, n);
			S.count += n / (size_t)S.size;
			st->pages_read += n / PAGE;
		}
		st->candidates = S.count;
		return 0;
	}
	p.kc = 1;
	p.konst = p.a;
	for (int i = 0; i < nr; i++)
		S.count += bitmap_pass(&S.reg[i], &p, NULL, st);
	if (settle(!is_float(type), p.a, err, errlen) != 0)
		return -1;
	st->candidates = S.count;
	return 0;
}

/* Drop region R's candidates on pages no longer mapped (CUR: sorted). */
static void
drop_unmapped(struct sreg *r, const struct scan_region *cur, int ncur,
    struct scan_stats *st)
{
	size_t wpp = PAGE / (size_t)S.size / 64;
	int j = 0, gone = 0;

	for (uintptr_t pg = r->lo; pg < r->hi; pg += PAGE) {
		while (j < ncur && cur[j].hi <= pg)
			j++;
		if (j < ncur && cur[j].lo <= pg)
			continue;
		memset(r->bits + (pg - r->lo) / PAGE * wpp, 0, wpp * 8);
		gone = 1;
	}
	st->regions_gone += (uint64_t)gone;
}

static void
list_pass(const struct pass *p, const struct scan_region *cur, int ncur,
    struct scan_stats *st)
{
	uint64_t w = 0;
	uintptr_t last = 1;
	int j = 0, fresh = 1;
	size_t sz = (size_t)S.size;

	for (uint64_t i = 0; i < S.count; i++) {
		uintptr_t a = S.addr[i], pg = a & ~(uintptr_t)(PAGE - 1);
		while (j < ncur && cur[j].hi <= a)
			j++;
		if (j == ncur || cur[j].lo > a || a + sz > cur[j].hi) {
			if (pg != last)
				st->regions_gone++;
			last = pg;
			continue;
		}
		if (pg != last) {
			uint8_t b = 1;
			last = pg;
			fresh = 1;
			if (S.tracker != NULL && S.tracker->written != NULL &&
			    S.tracker->written(pg, pg + PAGE, S.mark, &b))
				fresh = b;
			if (fresh)
				st->pages_read++;
			else
				st->pages_skipped++;
		}
		uint64_t now = fresh ? scan_read(S.type, a) : S.val[i];
		if (test_one(p, now, S.val[i])) {
			S.addr[w] = a;
			S.val[w] = now;
			w++;
		}
	}
	S.count = w;
}

int
scan_narrow(int op, const char *a, const char *b,
    const struct scan_region *cur, int ncur, struct scan_stats *st,
    char *err, size_t errlen)
{
	struct pass p;

	memset(st, 0, sizeof *st);
	if (!S.active) {
		snprintf(err, errlen, "no scan: start one (scan start TYPE "
		    "[VALUE])");
		return -1;
	}
	if (make_pass(op, a, b, &p, err, errlen) != 0)
		return -1;
	uint64_t now = take_mark(0);
	if (S.list) {
		list_pass(&p, cur, ncur, st);
	} else {
		uint64_t count = 0;
		p.kc = S.konst_valid;
		p.konst = S.konst;
		for (int i = 0; i < S.nreg; i++) {
			struct sreg *r = &S.reg[i];
			drop_unmapped(r, cur, ncur, st);
			size_t save = S.used;
			uint8_t *wr = written_pages(r->lo, r->hi);
			count += bitmap_pass(r, &p, wr, st);
			S.used = save;
		}
		S.count = count;
	}
	S.passes++;
	S.mark = now;
	/* After = (an integer) every value is that one; after unchanged a
	 * constant stays one. */
	int eq = op == SCAN_EQ && !is_float(S.type);
	int konst_ok = eq || (S.konst_valid && op == SCAN_UNCHANGED);
	if (settle(konst_ok, eq ? p.a : S.konst, err, errlen) != 0)
		return -1;
	st->candidates = S.count;
	return 0;
}

/* --- reading ------------------------------------------------------------ */

int
scan_active(void)
{
	return S.active;
}

int
scan_current_type(void)
{
	return S.type;
}

uint64_t
scan_count(void)
{
	return S.count;
}

size_t
scan_memory(void)
{
	return S.active ? S.used : 0;
}

size_t
scan_held(void)
{
	return S.touched;
}

size_t
scan_limit(void)
{
	return S.limit;
}

const char *
scan_mode(void)
{
	if (!S.active)
		return "off";
	return S.list ? "list" : "bitmap";
}

uint64_t
scan_passes(void)
{
	return S.passes;
}

uint64_t
scan_each(uint64_t from, uint64_t n,
    void (*fn)(uint64_t i, uintptr_t addr, uint64_t old, void *arg),
    void *arg)
{
	uint64_t done = 0, idx = 0;

	if (!S.active || from >= S.count)
		return 0;
	if (S.list) {
		for (uint64_t i = from; i < S.count && done < n; i++, done++)
			fn(i, S.addr[i], S.val[i], arg);
		return done;
	}
	for (int i = 0; i < S.nreg && done < n; i++) {
		const struct sreg *r = &S.reg[i];
		size_t words = bitmap_bytes(r->lo, r->hi) / 8;
		for (size_t j = 0; j < words && done < n; j++) {
			uint64_t m = r->bits[j];
			uint64_t c = (uint64_t)__builtin_popcountll(m);
			if (idx + c <= from) {
				idx += c;
				continue;
			}
			while (m && done < n) {
				int t = __builtin_ctzll(m);
				m &= m - 1;
				if (idx++ < from)
					continue;
				size_t slot = j * 64 + (size_t)t;
				uintptr_t a = r->lo + slot * (size_t)S.size;
				uint64_t old = 0;
				if (S.konst_valid || r->old == NULL)
					old = S.konst;
				else
					memcpy(&old, r->old + slot * (size_t)S.size,
					    (size_t)S.size);
				fn(idx - 1, a, old, arg);
				done++;
			}
		}
	}
	return done;
}
