/* Proves, by seeded and so repeatable fuzzing, that the parsers of untrusted
 * input never crash, never read or write out of bounds, never leak (ASan,
 * UBSan and LSan watch every run under `make test`), and either accept
 * their input or reject it with a message:
 *
 *  - layout_parse, on ~5,000 mutations of demo-game/demo-game.layout.json
 *    (byte flips, deletions, inserted JSON punctuation, numbers swapped for
 *    huge and negative values, duplicated keys and lines, 10,000-deep
 *    nesting, 10,000-character names, NUL bytes): a rejected layout leaves
 *    an error starting "layout "; an accepted one keeps every field and
 *    leaf inside its blob, renders valid JSON for the whole state and every
 *    leaf (zeroed and random blobs), names every blob offset (a sample
 *    past 4 KiB), places the indexed name of every leaf back at that
 *    leaf, and encodes any value or says why not;
 *  - the trace reader (trace_open/trace_next over rec.c), on ~2,000
 *    mutations of a small valid trace (bit flips, truncation, inserted
 *    bytes, duplicated, dropped and swapped records, huge length fields,
 *    re-sealed records with mutated or malicious protobuf, bad zstd frames,
 *    forged headers): it ends in TEV_END or TEV_ERROR within a bounded
 *    number of events, every message is non-empty, every frame whose state
 *    it vouches for has state_size bytes, and, where nothing was forged
 *    with a good checksum, that state is exactly the one written;
 *  - layout_json, layout_place and layout_check_path, on random path
 *    strings against the demo layout (names, '.', '[', ']', digits, huge
 *    and negative indexes, long names): a path fails with a non-empty
 *    message or leads to output that is NUL-terminated, valid JSON, and a
 *    place inside its field.
 *
 * Two cases reproduce bugs found while writing it, each in a child process
 * so that its crash is reported rather than ending the binary: a named
 * struct with itself as its only member recurses without end, and a delta
 * frame numbered INT64_MIN overflows `frame - 1` (undefined behaviour,
 * seen under UBSan only). The fuzzing cases leave both inputs out. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include "layout.h"
#include "rec.h"
#include "trace.h"
#include "trace.pb-c.h"
#include "unit.h"

/* Under UBSan, undefined behaviour ends this binary (reported by
 * tests/run.py through the exit status) instead of scrolling by. */
const char *__ubsan_default_options(void);
const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

/* Per-case budgets: iterations, and a wall-clock bound that sanitizers
 * make matter. */
#define LAYOUT_ITERS 5000
#define TRACE_ITERS 2000
#define PATH_ITERS 20000
#define LAYOUT_BUDGET_NS (8 * 1000000000LL)
#define TRACE_BUDGET_NS (5 * 1000000000LL)
#define PATH_BUDGET_NS (3 * 1000000000LL)
#define EVENTS_MAX 100000
/* Failures reported per case before it stops. */
#define FAILS_MAX 20
/* Blobs up to this size are rendered whole; bigger ones only sampled. */
#define RENDER_BLOB_MAX (256u << 10)
#define LEAVES_MAX 300

/* --- a seeded PRNG --------------------------------------------------------- */

static uint64_t rng = 1;

static void
seed(uint64_t s)
{
	rng = s * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull;
}

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Uniform in [0, N). */
static size_t
rn(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

/* --- failures ---------------------------------------------------------------- */

static int nfails;
static char ctx[512];           /* what the current iteration did */

/* Count a failed property, with the iteration's context; returns COND. */
#define EXPECT(cond, ...) expect_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

static int __attribute__((format(printf, 4, 5)))
expect_(int ok, const char *file, int line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	if (ok)
		return 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	nfails++;
	unit_fail(file, line, "%s [%s]", msg, ctx);
	return 0;
}

static int
too_many_fails(void)
{
	return nfails >= FAILS_MAX;
}

/* Print (escaped, shortened) input that failed, for a reproducer. */
static void
dump_input(const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "  %s (%zu bytes): \"", what, n);
	for (size_t i = 0; i < n && i < 3000; i++) {
		if (p[i] == '"' || p[i] == '\\')
			fprintf(stderr, "\\%c", p[i]);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			fputc(p[i], stderr);
		else
			fprintf(stderr, "\\x%02x", p[i]);
	}
	fprintf(stderr, "%s\"\n", n > 3000 ? "..." : "");
}

/* --- byte buffers -------------------------------------------------------------- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void
b_reserve(struct buf *b, size_t n)
{
	if (b->len + n + 1 <= b->cap)
		return;
	b->cap = (b->len + n + 1) * 2;
	b->p = realloc(b->p, b->cap);
	if (b->p == NULL)
		abort();
}

/* Insert N bytes of S (which may point into B) at AT. */
static void
b_insert(struct buf *b, size_t at, const void *s, size_t n)
{
	uint8_t *tmp = malloc(n ? n : 1);
	if (tmp == NULL)
		abort();
	memcpy(tmp, s, n);
	if (at > b->len)
		at = b->len;
	b_reserve(b, n);
	memmove(b->p + at + n, b->p + at, b->len - at);
	memcpy(b->p + at, tmp, n);
	b->len += n;
	b->p[b->len] = 0;
	free(tmp);
}

static void
b_delete(struct buf *b, size_t at, size_t n)
{
	if (at > b->len)
		at = b->len;
	if (n > b->len - at)
		n = b->len - at;
	memmove(b->p + at, b->p + at + n, b->len - at - n);
	b->len -= n;
	if (b->p != NULL)
		b->p[b->len] = 0;
}

static void
b_set(struct buf *b, const void *s, size_t n)
{
	b->len = 0;
	b_insert(b, 0, s, n);
}

static void
b_append(struct buf *b, const void *s, size_t n)
{
	b_insert(b, b->len, s, n);
}

static void
b_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

/* Append to the context line. */
static void __attribute__((format(printf, 1, 2)))
note(const char *fmt, ...)
{
	size_t n = strlen(ctx);
	va_list ap;

	if (n + 2 >= sizeof ctx)
		return;
	va_start(ap, fmt);
	vsnprintf(ctx + n, sizeof ctx - n, fmt, ap);
	va_end(ap);
}

/* --- the demo layout -------------------------------------------------------------- */

/* demo-game/demo-game.layout.json as of this test's writing: used only when
 * the file cannot be found. */
static const char demo_embedded[] =
	"{\n"
	"  \"gamehook_layout\": 1,\n"
	"  \"types\": {\n"
	"    \"Hero\": {\n"
	"      \"size\": 40,\n"
	"      \"members\": {\n"
	"        \"x\":        { \"offset\": 0,  \"type\": \"<i4\" },\n"
	"        \"hp\":       { \"offset\": 4,  \"type\": \"<i4\" },\n"
	"        \"max_hp\":   { \"offset\": 8,  \"type\": \"<i4\" },\n"
	"        \"gold\":     { \"offset\": 12, \"type\": \"<i4\" },\n"
	"        \"level\":    { \"offset\": 16, \"type\": \"<i4\" },\n"
	"        \"xp\":       { \"offset\": 20, \"type\": \"<i4\" },\n"
	"        \"xp_next\":  { \"offset\": 24, \"type\": \"<i4\" },\n"
	"        \"score\":    { \"offset\": 28, \"type\": \"<i4\" },\n"
	"        \"attack\":   { \"offset\": 32, \"type\": \"<i4\" },\n"
	"        \"cooldown\": { \"offset\": 36, \"type\": \"<i4\" }\n"
	"      }\n"
	"    },\n"
	"    \"Entity\": {\n"
	"      \"size\": 36,\n"
	"      \"members\": {\n"
	"        \"kind\":       { \"offset\": 0,  \"type\": \"<i4\" },\n"
	"        \"x\":          { \"offset\": 4,  \"type\": \"<i4\" },\n"
	"        \"hp\":         { \"offset\": 8,  \"type\": \"<i4\" },\n"
	"        \"max_hp\":     { \"offset\": 12, \"type\": \"<i4\" },\n"
	"        \"alive\":      { \"offset\": 16, \"type\": \"<i4\" },\n"
	"        \"cooldown\":   { \"offset\": 20, \"type\": \"<i4\" },\n"
	"        \"damage\":     { \"offset\": 24, \"type\": \"<i4\" },\n"
	"        \"move_timer\": { \"offset\": 28, \"type\": \"<i4\" },\n"
	"        \"flash\":      { \"offset\": 32, \"type\": \"<i4\" }\n"
	"      }\n"
	"    },\n"
	"    \"Game\": {\n"
	"      \"size\": 72,\n"
	"      \"members\": {\n"
	"        \"tick\":        { \"offset\": 0,  \"type\": \"<u4\" },\n"
	"        \"state\":       { \"offset\": 4,  \"type\": \"<i4\" },\n"
	"        \"stage\":       { \"offset\": 8,  \"type\": \"<i4\" },\n"
	"        \"wave\":        { \"offset\": 12, \"type\": \"<i4\" },\n"
	"        \"spawn_left\":  { \"offset\": 16, \"type\": \"<i4\" },\n"
	"        \"spawn_timer\": { \"offset\": 20, \"type\": \"<i4\" },\n"
	"        \"wave_timer\":  { \"offset\": 24, \"type\": \"<i4\" },\n"
	"        \"towers_left\": { \"offset\": 28, \"type\": \"<i4\" },\n"
	"        \"kills\":       { \"offset\": 32, \"type\": \"<i4\" },\n"
	"        \"upgrades\":    { \"offset\": 36, \"type\": \"<i4\" },\n"
	"        \"hit_x\":       { \"offset\": 40, \"type\": \"<i4\" },\n"
	"        \"hit_amount\":  { \"offset\": 44, \"type\": \"<i4\" },\n"
	"        \"hit_timer\":   { \"offset\": 48, \"type\": \"<i4\" },\n"
	"        \"hit_crit\":    { \"offset\": 52, \"type\": \"<i4\" },\n"
	"        \"seed\":        { \"offset\": 56, \"type\": \"<u4\" },\n"
	"        \"rng_draws\":   { \"offset\": 60, \"type\": \"<u4\" },\n"
	"        \"regen_seen\":  { \"offset\": 64, \"type\": \"<u8\" }\n"
	"      }\n"
	"    },\n"
	"    \"Msg\": {\n"
	"      \"size\": 80,\n"
	"      \"members\": {\n"
	"        \"next\": { \"offset\": 0,  \"type\": \"<u8\" },\n"
	"        \"tick\": { \"offset\": 8,  \"type\": \"<u4\" },\n"
	"        \"kind\": { \"offset\": 12, \"type\": \"<i4\" },\n"
	"        \"ttl\":  { \"offset\": 16, \"type\": \"<i4\" },\n"
	"        \"text\": { \"offset\": 20, \"type\": \"|S56\" }\n"
	"      }\n"
	"    }\n"
	"  },\n"
	"  \"fields\": {\n"
	"    \"hero\":           { \"symbol\": \"hero\", \"type\": \"Hero\" },\n"
	"    \"entity_count\":   { \"symbol\": \"entity_count\", \"type\": \"<i4\" },\n"
	"    \"entities\":       { \"symbol\": \"entities\", \"type\": \"Entity\",\n"
	"                        \"count\": \"entity_count\", \"max\": 64 },\n"
	"    \"game\":           { \"symbol\": \"game\", \"type\": \"Game\" },\n"
	"    \"regen_ticks\":    { \"symbol\": \"regen_ticks\", \"type\": \"<u8\" },\n"
	"    \"first_message\":  { \"symbol\": \"messages\", \"pointers\": [0], \"type\": \"Msg\" },\n"
	"    \"second_message\": { \"symbol\": \"messages\", \"pointers\": [0, 0], \"type\": \"Msg\" }\n"
	"  }\n"
	"}\n";

#define DEMO_REL "demo-game/demo-game.layout.json"

static int
read_file(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return -1;
	out->len = 0;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		b_append(out, chunk, n);
	fclose(f);
	return out->len > 0 ? 0 : -1;
}

/* The demo layout's text: from the repository (tests run from its root;
 * else found upwards from this binary, build/[san/]tests/), else the
 * embedded copy. Says on stderr which. */
static void
demo_text(struct buf *out)
{
	static int told;
	char exe[PATH_MAX], path[PATH_MAX + 64];
	const char *from = NULL;

	if (read_file(DEMO_REL, out) == 0)
		from = DEMO_REL;
	ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[k > 0 ? k : 0] = '\0';
	for (int up = 0; from == NULL && up < 5; up++) {
		char *slash = strrchr(exe, '/');
		if (slash == NULL)
			break;
		*slash = '\0';
		snprintf(path, sizeof path, "%s/%s", exe, DEMO_REL);
		if (read_file(path, out) == 0)
			from = path;
	}
	if (from == NULL) {
		b_set(out, demo_embedded, sizeof demo_embedded - 1);
		from = "the embedded copy";
	}
	if (!told++)
		fprintf(stderr, "test-fuzz: demo layout from %s\n", from);
}

/* The demo layout, parsed; fails the case when it does not parse. */
static struct layout *
demo_layout(void)
{
	struct buf b = { 0 };
	char err[1024] = "";

	demo_text(&b);
	struct layout *l = layout_parse((const char *)b.p, b.len, "demo.json",
	    err, sizeof err);
	if (!CHECK(l != NULL))
		FAIL("the demo layout does not parse: %s", err);
	b_free(&b);
	return l;
}

/* --- layout mutations ------------------------------------------------------------- */

/* Where the I-th token matching the predicate starts and ends. */
struct span {
	size_t at, len;
};

/* Every number (digits, with a '-' before them) in B; returns how many,
 * filling at most MAX. */
static size_t
numbers(const struct buf *b, struct span *s, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < b->len; i++) {
		if (b->p[i] < '0' || b->p[i] > '9')
			continue;
		size_t a = i > 0 && b->p[i - 1] == '-' ? i - 1 : i;
		while (i < b->len && b->p[i] >= '0' && b->p[i] <= '9')
			i++;
		if (n < max)
			s[n] = (struct span){ a, i - a };
		n++;
	}
	return n < max ? n : max;
}

/* Every string's body (between its quotes) in B. */
static size_t
strings(const struct buf *b, struct span *s, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < b->len; i++) {
		if (b->p[i] != '"')
			continue;
		size_t a = ++i;
		while (i < b->len && b->p[i] != '"')
			i += b->p[i] == '\\' ? 2 : 1;
		if (i > b->len)
			i = b->len;
		if (n < max)
			s[n] = (struct span){ a, i - a };
		n++;
	}
	return n < max ? n : max;
}

/* Replace every "S" (a whole string) by "WITH". */
static void
replace_string_everywhere(struct buf *b, const uint8_t *s, size_t n,
    const char *with, size_t wn)
{
	uint8_t *pat = malloc(n + 2);
	if (pat == NULL)
		abort();
	pat[0] = '"';
	memcpy(pat + 1, s, n);
	pat[n + 1] = '"';
	for (size_t i = 0; i + n + 2 <= b->len;) {
		if (memcmp(b->p + i, pat, n + 2) == 0) {
			b_delete(b, i + 1, n);
			b_insert(b, i + 1, with, wn);
			i += wn + 2;
		} else {
			i++;
		}
	}
	free(pat);
}

static const char *const huge_numbers[] = {
	"-1", "0", "1", "-0", "7", "8", "255", "256", "4095", "65536",
	"16777215", "16777216", "16777217", "268435455", "268435456",
	"268435457", "2147483647", "2147483648", "4294967295", "4294967296",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808",
	"-9223372036854775809", "18446744073709551615", "18446744073709551616",
	"99999999999999999999999999999", "1e300", "1e400", "-1e400", "1.5",
	"0.0", "1E3", "-2147483649", "0x10", "00", "01",
};
#define NHUGE (sizeof huge_numbers / sizeof huge_numbers[0])

static const char *const values[] = {
	"null", "true", "false", "\"\"", "\"x\"", "{}", "[]", "[0]", "[[]]",
	"{\"a\":1}", "\"<i4\"", "\"Hero\"", "\"Msg\"", "\"entity_count\"",
	"\"game.wave\"", "\"hero.hp\"", "[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]",
	"{\"size\": 4, \"members\": {\"v\": {\"offset\": 0, \"type\": \"<u4\"}}}",
	"\"48 8b 05 ?? ?? ?? ??\"", "\"?? ?? ?? ?? 00\"", "\"48 8b 05 11 22\"",
};
#define NVALUES (sizeof values / sizeof values[0])

static const char *const dtypes[] = {
	"<i4", ">i4", "|i1", "<i1", "=i8", "|u8", "<u2", ">u8", "<f4", ">f8",
	"<f2", "|b1", "<b2", "|S1", "|S16", "|S0", "|S16777216", "|S16777217",
	"|V3", "|V0", "|V-1", "<V9", "<i3", "<x4", "i4", "<i", "<i4 ", "< i4",
	"<i+4", "<i04", "Hero", "Entity", "Game", "Msg", "hero", "", "?", "<",
};
#define NDTYPES (sizeof dtypes / sizeof dtypes[0])

static const char *const keys_extra[] = {
	"gamehook_layout", "build_id", "types", "fields", "size", "members",
	"offset", "type", "count", "max", "symbol", "module", "pointers",
	"signature", "rip", "rip_end", "ofset", "",
};
#define NKEYS (sizeof keys_extra / sizeof keys_extra[0])

/* One mutation of layout text B, noted in ctx; SEMANTIC: one that tends
 * to keep the JSON valid (so that more mutants get past jansson). */
static void
mutate_layout(struct buf *b, int semantic)
{
	static const int sem[] = { 3, 5, 7, 10, 11, 13, 14, 16, 16, 16, 16 };
	struct span sp[1024];
	size_t n, at;
	char tmp[256];

	switch (semantic ? sem[rn(sizeof sem / sizeof sem[0])] : (int)rn(16)) {
	case 0: {   /* flip bytes */
		int k = 1 + (int)rn(4);
		note(" flip%d", k);
		for (int i = 0; i < k && b->len; i++) {
			at = rn(b->len);
			b->p[at] ^= rn(3) ? (uint8_t)(1u << rn(8)) : (uint8_t)(1 + rn(255));
		}
		break;
	}
	case 1: {   /* delete a span */
		size_t k = 1 + rn(rn(4) ? 8 : 200);
		at = rn(b->len + 1);
		note(" del@%zu+%zu", at, k);
		b_delete(b, at, k);
		break;
	}
	case 2: {   /* insert JSON punctuation */
		static const char punct[] = "{}[]\":,\\-.0e ";
		int k = 1 + (int)rn(4);
		at = rn(b->len + 1);
		for (int i = 0; i < k; i++)
			tmp[i] = punct[rn(sizeof punct - 1)];
		note(" punct@%zu:%.*s", at, k, tmp);
		b_insert(b, at, tmp, (size_t)k);
		break;
	}
	case 3:
	case 4: {   /* a number for a huge, negative or odd one */
		n = numbers(b, sp, 1024);
		if (n == 0)
			break;
		const struct span *s = &sp[rn(n)];
		const char *v = huge_numbers[rn(NHUGE)];
		note(" num@%zu=%s", s->at, v);
		b_delete(b, s->at, s->len);
		b_insert(b, s->at, v, strlen(v));
		break;
	}
	case 5: {   /* duplicate a line, in place or elsewhere */
		size_t starts[512], ns = 0;
		for (size_t i = 0; i < b->len && ns < 512; i++)
			if (i == 0 || b->p[i - 1] == '\n')
				starts[ns++] = i;
		if (ns == 0)
			break;
		size_t l = rn(ns);
		size_t end = l + 1 < ns ? starts[l + 1] : b->len;
		size_t to = rn(2) ? end : starts[rn(ns)];
		note(" dupline%zu@%zu", l, to);
		b_insert(b, to, b->p + starts[l], end - starts[l]);
		break;
	}
	case 6: {   /* deep nesting */
		static const size_t depths[] = { 8, 9, 64, 2047, 2048, 2049, 10000 };
		size_t d = depths[rn(sizeof depths / sizeof depths[0])];
		int how = (int)rn(4);
		note(" nest%d:%zu", how, d);
		struct buf nest = { 0 };
		if (how == 0) {            /* unbalanced '[' anywhere */
			for (size_t i = 0; i < d; i++)
				b_append(&nest, "[", 1);
			b_insert(b, rn(b->len + 1), nest.p, nest.len);
		} else if (how == 3) {     /* the whole document, wrapped */
			for (size_t i = 0; i < d; i++)
				b_append(&nest, "[", 1);
			b_insert(b, 0, nest.p, nest.len);
			memset(nest.p, ']', nest.len);
			b_append(b, nest.p, nest.len);
		} else {                   /* a number becomes a deep value */
			n = numbers(b, sp, 1024);
			if (n == 0)
				break;
			const struct span *s = &sp[rn(n)];
			for (size_t i = 0; i < d; i++)
				b_append(&nest, how == 1 ? "[" : "{\"a\":", how == 1 ? 1 : 5);
			b_append(&nest, "0", 1);
			for (size_t i = 0; i < d; i++)
				b_append(&nest, how == 1 ? "]" : "}", 1);
			b_delete(b, s->at, s->len);
			b_insert(b, s->at, nest.p, nest.len);
		}
		b_free(&nest);
		break;
	}
	case 7: {   /* a long name, once or everywhere it is used */
		static const size_t lens[] = { 99, 100, 101, 255, 511, 512, 10000 };
		n = strings(b, sp, 1024);
		if (n == 0)
			break;
		const struct span s = sp[rn(n)];
		size_t k = lens[rn(sizeof lens / sizeof lens[0])];
		char *name = malloc(k + 1);
		if (name == NULL)
			abort();
		for (size_t i = 0; i < k; i++)
			name[i] = rn(4) ? 'a' + (char)rn(26) : '_';
		if (rn(4) == 0)
			name[rn(k)] = (char)(0x20 + rn(0x5f));
		note(" long%zu@%zu%s", k, s.at, rn(2) ? "" : "*");
		if (ctx[strlen(ctx) - 1] == '*') {
			uint8_t *old = malloc(s.len + 1);
			if (old == NULL)
				abort();
			memcpy(old, b->p + s.at, s.len);
			replace_string_everywhere(b, old, s.len, name, k);
			free(old);
		} else {
			b_delete(b, s.at, s.len);
			b_insert(b, s.at, name, k);
		}
		free(name);
		break;
	}
	case 8: {   /* NUL bytes: raw, or escaped in a string */
		at = rn(b->len + 1);
		if (rn(2)) {
			note(" nul@%zu", at);
			b_insert(b, at, "", 1);
		} else {
			n = strings(b, sp, 1024);
			if (n == 0)
				break;
			at = sp[rn(n)].at;
			note(" u0000@%zu", at);
			b_insert(b, at, "\\u0000", 6);
		}
		break;
	}
	case 9: {   /* splice a chunk elsewhere */
		if (b->len == 0)
			break;
		size_t from = rn(b->len), k = 1 + rn(rn(2) ? 16 : 400);
		if (k > b->len - from)
			k = b->len - from;
		at = rn(b->len + 1);
		note(" splice%zu+%zu@%zu", from, k, at);
		b_insert(b, at, b->p + from, k);
		break;
	}
	case 10: {  /* a number for a value of another kind */
		n = numbers(b, sp, 1024);
		if (n == 0)
			break;
		const struct span *s = &sp[rn(n)];
		const char *v = values[rn(NVALUES)];
		note(" val@%zu=%s", s->at, v);
		b_delete(b, s->at, s->len);
		b_insert(b, s->at, v, strlen(v));
		break;
	}
	case 11:
	case 12: {  /* a string for a dtype, type name or field path */
		n = strings(b, sp, 1024);
		if (n == 0)
			break;
		const struct span *s = &sp[rn(n)];
		const char *v = dtypes[rn(NDTYPES)];
		note(" str@%zu=%s", s->at, v);
		b_delete(b, s->at, s->len);
		b_insert(b, s->at, v, strlen(v));
		break;
	}
	case 13: {  /* a key for another (duplicates, unknown keys) */
		n = strings(b, sp, 1024);
		if (n == 0)
			break;
		const struct span *s = &sp[rn(n)];
		const char *v = keys_extra[rn(NKEYS)];
		if (rn(2) && n > 1) {      /* a copy of another string */
			const struct span *o = &sp[rn(n)];
			size_t k = o->len < sizeof tmp - 1 ? o->len : sizeof tmp - 1;
			memcpy(tmp, b->p + o->at, k);
			tmp[k] = '\0';
			v = tmp;
		}
		note(" key@%zu=%.40s", s->at, v);
		size_t vl = strlen(v);
		char *copy = strdup(v);
		if (copy == NULL)
			abort();
		b_delete(b, s->at, s->len);
		b_insert(b, s->at, copy, vl);
		free(copy);
		break;
	}
	case 14: {  /* a member or field with a new key inserted */
		static const char *const adds[] = {
			"\"count\": 3, ", "\"count\": \"entity_count\", \"max\": 5, ",
			"\"count\": \"hero.hp\", \"max\": 70000, ", "\"max\": 3, ",
			"\"pointers\": [0, 8, -8], ", "\"pointers\": [], ",
			"\"module\": \"libc\", ", "\"module\": \"\", ",
			"\"signature\": \"48 8b 05 ?? ?? ?? ??\", \"rip\": 3, ",
			"\"signature\": \"48 8b 05 ?? ?? ?? ?? 00\", \"rip\": 3, "
			    "\"rip_end\": 8, ",
			"\"rip\": 1, ", "\"rip_end\": 9, ", "\"offset\": -4, ",
			"\"offset\": 4294967296, ", "\"symbol\": \"\", ",
			"\"hp\": { \"offset\": 1, \"type\": \"<i4\" }, ",
			"\"pad\": { \"offset\": 39, \"type\": \"|u1\", \"count\": 2 }, ",
			"\"me\": { \"offset\": 0, \"type\": { \"size\": 4, \"members\": "
			    "{ \"a\": { \"offset\": 0, \"type\": \"|V4\" } } } }, ",
		};
		size_t opens[256], no = 0;
		for (size_t i = 0; i < b->len && no < 256; i++)
			if (b->p[i] == '{')
				opens[no++] = i + 1;
		if (no == 0)
			break;
		const char *v = adds[rn(sizeof adds / sizeof adds[0])];
		at = opens[rn(no)];
		note(" add@%zu:%.24s", at, v);
		b_insert(b, at, v, strlen(v));
		break;
	}
	case 16: {  /* a number nudged, or made small */
		n = numbers(b, sp, 1024);
		if (n == 0)
			break;
		const struct span *s = &sp[rn(n)];
		long long v = strtoll((const char *)b->p + s->at, NULL, 10);
		v = rn(2) ? v + (long long)rn(9) - 4 : (long long)rn(100);
		int k = snprintf(tmp, sizeof tmp, "%lld", v);
		note(" nudge@%zu=%s", s->at, tmp);
		b_delete(b, s->at, s->len);
		b_insert(b, s->at, tmp, (size_t)k);
		break;
	}
	default: {  /* truncate */
		at = rn(b->len + 1);
		note(" trunc@%zu", at);
		b_delete(b, at, b->len);
		break;
	}
	}
}

/* --- checking a parsed layout ------------------------------------------------------ */

static int
nul_within(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

/* Render PATH (NULL: the whole state) and check the output: the length
 * needed is the same whatever the capacity, truncation to CAP (0: room
 * for all of it) keeps a NUL, and a whole rendering is valid JSON. Returns
 * the rendering's length, or -1 when PATH was refused (with a message). */
static long
check_render(const struct layout *l, const uint8_t *blob,
    const uint8_t *unreadable, const char *path, size_t cap)
{
	const char *what = path ? path : "(whole)";
	char err[512];
	memset(err, 0x55, sizeof err);
	err[0] = '\0';
	long n = layout_json(l, blob, unreadable, path, NULL, 0, err, sizeof err);
	if (n < 0) {
		EXPECT(n == -1, "layout_json returned %ld", n);
		EXPECT(path != NULL, "layout_json refused the whole state: %s", err);
		EXPECT(err[0] != '\0' && nul_within(err, sizeof err),
		    "layout_json refused '%.200s' without a message", what);
		return -1;
	}
	if (cap == 0)
		cap = (size_t)n + 1;
	/* Exactly CAP bytes: ASan sees a write past them. */
	char *out = malloc(cap);
	if (out == NULL)
		abort();
	memset(out, 0x55, cap);
	long n2 = layout_json(l, blob, unreadable, path, out, cap, err, sizeof err);
	EXPECT(n2 == n, "layout_json of '%.100s' needs %ld bytes, then %ld",
	    what, n, n2);
	size_t want = (size_t)n < cap ? (size_t)n : cap - 1;
	if (EXPECT(nul_within(out, cap), "output of '%.100s' not "
	    "NUL-terminated", what))
		EXPECT(strlen(out) == want, "output of '%.100s': %zu bytes, want "
		    "%zu", what, strlen(out), want);
	if (cap > (size_t)n) {
		json_error_t je;
		json_t *j = json_loadb(out, (size_t)n, JSON_DECODE_INT_AS_REAL |
		    JSON_DECODE_ANY, &je);
		if (!EXPECT(j != NULL, "layout_json of '%.100s' is not JSON: %s "
		    "at %d", what, je.text, je.position))
			dump_input("output", (const uint8_t *)out, (size_t)n);
		json_decref(j);
	}
	free(out);
	return n;
}

static const char *const set_values[] = {
	"0", "-1", "1e300", "x", "", "1", "true", "false", "0x7f", "0x", "-0x1",
	"\"hi\"", "\"", "18446744073709551615", "18446744073709551616",
	"-9223372036854775808", "-9223372036854775809", "3.4028235e38",
	"3.5e38", "nan", "inf", "-inf", " 1", "1 ", "+1", "0e", "00ff",
	"zz", "0102030405060708",
};
#define NSETV (sizeof set_values / sizeof set_values[0])

/* Encode every test value into a scalar of T, in a buffer of exactly its
 * size (ASan sees a byte past it). */
static void
check_encode(const struct lt_type *t)
{
	char err[512], longv[600];
	uint8_t *out = malloc(t->size);
	if (out == NULL)
		abort();
	for (size_t i = 0; i <= NSETV + 1; i++) {
		const char *v;
		if (i < NSETV) {
			v = set_values[i];
		} else if (i == NSETV) {   /* the right number of hex digits */
			size_t k = 2 * t->size < sizeof longv - 1 ? 2 * t->size :
			    sizeof longv - 1;
			for (size_t j = 0; j < k; j++)
				longv[j] = "0123456789abcdef"[rn(16)];
			longv[k] = '\0';
			v = longv;
		} else {                   /* long text */
			memset(longv, 'a', sizeof longv - 1);
			longv[sizeof longv - 1] = '\0';
			v = longv;
		}
		memset(err, 0x55, sizeof err);
		err[0] = '\0';
		int r = layout_encode(t, v, out, err, sizeof err);
		if (r != 0)
			EXPECT(r == -1 && err[0] != '\0' && nul_within(err, sizeof err),
			    "layout_encode('%.40s') into %s: %d without a message",
			    v, t->dtype, r);
	}
	free(out);
}

/* Everything a reader does with an accepted layout. */
static void
exercise_layout(const struct layout *l)
{
	char err[512];
	size_t bs = l->blob_size;

	if (!EXPECT(l->nfields > 0 && bs <= ((size_t)1 << 31),
	    "%d fields, blob of %zu bytes", l->nfields, bs))
		return;
	/* Fields and leaves lie inside the blob. */
	for (int i = 0; i < l->nfields; i++) {
		const struct lt_field *f = &l->fields[i];
		uint32_t n = f->count ? f->count : f->max ? f->max : 1;
		EXPECT(f->name != NULL && f->type != NULL, "field %d", i);
		EXPECT(f->blob_off % 8 == 0 && f->blob_off + f->extent <= bs &&
		    f->extent == f->type->size * n, "field %s at %zu+%zu in %zu",
		    f->name, f->blob_off, f->extent, bs);
		if (f->count_path != NULL)
			EXPECT(f->count_type != NULL &&
			    f->count_off + f->count_type->size <= bs,
			    "field %s's count at %zu", f->name, f->count_off);
	}
	for (int i = 0; i < l->nleaves; i++) {
		const struct lt_leaf *lf = &l->leaves[i];
		if (!EXPECT(lf->path != NULL && lf->type != NULL &&
		    lf->type->kind != LT_STRUCT && lf->field >= 0 &&
		    lf->field < l->nfields && lf->ndim >= 0 &&
		    lf->ndim <= LT_MAXDIM, "leaf %d", i))
			return;
		const struct lt_field *f = &l->fields[lf->field];
		size_t last = lf->off;
		for (int d = 0; d < lf->ndim; d++)
			last += (size_t)(lf->dims[d] - 1) * lf->strides[d];
		EXPECT(lf->off >= f->blob_off && last + lf->type->size <=
		    f->blob_off + f->extent, "leaf %s: %zu..%zu outside %s's "
		    "%zu+%zu", lf->path, lf->off, last + lf->type->size,
		    f->name, f->blob_off, f->extent);
	}

	uint8_t *zero = NULL, *random = NULL, *unr = NULL;
	int render = bs <= RENDER_BLOB_MAX;
	if (render) {
		zero = calloc(1, bs ? bs : 1);
		random = malloc(bs ? bs : 1);
		unr = malloc((size_t)l->nfields);
		if (zero == NULL || random == NULL || unr == NULL)
			abort();
		for (size_t i = 0; i < bs; i++)
			random[i] = (uint8_t)(rn(3) ? rnd() : rn(4));
		for (int i = 0; i < l->nfields; i++)
			unr[i] = rn(4) == 0;
		check_render(l, zero, NULL, NULL, 1 + rn(64));
		check_render(l, zero, NULL, NULL, 0);
		check_render(l, random, unr, NULL, 0);
		check_render(l, random, NULL, NULL, 0);
	}

	/* Every offset (or a sample) has a name. */
	size_t namecap = 2048;
	char *name = malloc(namecap), *small = malloc(9);
	if (name == NULL || small == NULL)
		abort();
	size_t samples = bs <= 4096 ? bs + 3 : 1024;
	for (size_t i = 0; i < samples; i++) {
		size_t off = bs <= 4096 ? i : i < 4 ?
		    (size_t[]){ 0, bs - 1, bs, SIZE_MAX }[i] : rn(bs);
		memset(name, 0x55, namecap);
		layout_name_at(l, off, name, namecap);
		EXPECT(nul_within(name, namecap) && name[0] != '\0',
		    "layout_name_at(%zu)", off);
		memset(small, 0x55, 9);
		layout_name_at(l, off, small, 9);
		EXPECT(nul_within(small, 9), "layout_name_at(%zu) in 9 bytes", off);
	}

	/* Every leaf: rendered, placed by its indexed name, encoded. */
	for (int i = 0; i < l->nleaves && i < LEAVES_MAX; i++) {
		const struct lt_leaf *lf = &l->leaves[i];
		struct lt_place p;
		if (render) {
			check_render(l, zero, NULL, lf->path, 1 + rn(300));
			check_render(l, random, unr, lf->path, 0);
		}
		memset(err, 0x55, sizeof err);
		err[0] = '\0';
		if (layout_place(l, lf->path, zero, &p, err, sizeof err) != 0)
			EXPECT(err[0] != '\0' && nul_within(err, sizeof err),
			    "layout_place(%.100s) failed without a message", lf->path);
		layout_name_at(l, lf->off, name, namecap);
		memset(err, 0x55, sizeof err);
		err[0] = '\0';
		int r = layout_place(l, name, NULL, &p, err, sizeof err);
		if (EXPECT(r == 0, "leaf %s at %zu is named '%.200s', which "
		    "layout_place refuses: %.200s", lf->path, lf->off, name, err)) {
			EXPECT(p.field == lf->field && p.type == lf->type &&
			    l->fields[p.field].blob_off + p.off == lf->off,
			    "'%.200s' is placed at field %d +%zu, not leaf %s",
			    name, p.field, p.off, lf->path);
			EXPECT(layout_check_path(l, name, err, sizeof err) == 0,
			    "layout_check_path(%.200s): %s", name, err);
		}
		check_encode(lf->type);
	}
	free(name);
	free(small);
	free(zero);
	free(random);
	free(unr);
}

static void
check_rejected(const char *err, size_t errlen, const char *what)
{
	if (!EXPECT(nul_within(err, errlen), "%s: error not NUL-terminated",
	    what))
		return;
	size_t want = errlen - 1 < 7 ? errlen - 1 : 7;
	EXPECT(strlen(err) >= want && strncmp(err, "layout ", want) == 0,
	    "%s: rejected with '%.300s', which is not 'layout ...'", what, err);
}

static void
layout_mutations_are_accepted_or_rejected_cleanly(void)
{
	struct buf demo = { 0 }, cur = { 0 }, last_ok = { 0 };
	int64_t deadline = unit_real_ns() + LAYOUT_BUDGET_NS;
	int accepted = 0, rejected = 0, iters = 0;
	char err[1024];

	nfails = 0;
	demo_text(&demo);
	struct layout *l0 = layout_parse((const char *)demo.p, demo.len,
	    "demo.json", err, sizeof err);
	if (!CHECK(l0 != NULL)) {
		FAIL("the demo layout does not parse: %s", err);
		b_free(&demo);
		return;
	}
	exercise_layout(l0);
	layout_free(l0);
	/* The embedded copy parses too. */
	l0 = layout_parse(demo_embedded, sizeof demo_embedded - 1, "embedded",
	    err, sizeof err);
	CHECK(l0 != NULL);
	layout_free(l0);
	b_set(&last_ok, demo.p, demo.len);

	seed(1);
	for (; iters < LAYOUT_ITERS && !too_many_fails(); iters++) {
		if (iters % 64 == 0 && unit_real_ns() > deadline)
			break;
		snprintf(ctx, sizeof ctx, "layout iteration %d:", iters);
		/* From the demo, or on from the last mutant accepted. */
		if (rn(4) == 0) {
			b_set(&cur, last_ok.p, last_ok.len);
			note(" (from last accepted)");
		} else {
			b_set(&cur, demo.p, demo.len);
		}
		int semantic = rn(2), k = semantic ? 1 : 1 + (int)rn(3);
		for (int m = 0; m < k; m++)
			mutate_layout(&cur, semantic);
		/* An error buffer sometimes too small for the message. */
		size_t errlen = rn(8) == 0 ? 1 + rn(40) : sizeof err;
		char *e = malloc(errlen);
		if (e == NULL)
			abort();
		memset(e, 0x55, errlen);
		e[0] = '\0';
		int before = nfails;
		struct layout *l = layout_parse((const char *)cur.p, cur.len,
		    "fuzz.json", e, errlen);
		if (l != NULL) {
			accepted++;
			exercise_layout(l);
			layout_free(l);
			if (cur.len < 64 << 10)
				b_set(&last_ok, cur.p, cur.len);
		} else {
			rejected++;
			check_rejected(e, errlen, "layout_parse");
		}
		if (nfails > before)
			dump_input("layout", cur.p, cur.len);
		free(e);
	}
	fprintf(stderr, "test-fuzz: layouts: %d iterations, %d accepted, %d "
	    "rejected\n", iters, accepted, rejected);
	CHECK_GT_INT(iters, 500);
	CHECK_GT_INT(accepted, 50);
	CHECK_GT_INT(rejected, 500);
	b_free(&demo);
	b_free(&cur);
	b_free(&last_ok);
}

/* --- traces ---------------------------------------------------------------------------- */

#define TR_FRAMES 50
#define TR_KF 10
#define TR_START 1000

static const char trace_layout[] =
	"{\n"
	"  \"gamehook_layout\": 1,\n"
	"  \"fields\": {\n"
	"    \"a\": { \"symbol\": \"a\", \"type\": \"<i4\" },\n"
	"    \"n\": { \"symbol\": \"n\", \"type\": \"|u1\" },\n"
	"    \"b\": { \"offset\": 64, \"type\": \"|S12\", \"count\": 3 },\n"
	"    \"c\": { \"symbol\": \"c\", \"type\": { \"size\": 8, \"members\": {\n"
	"        \"x\": { \"offset\": 0, \"type\": \"<f4\" },\n"
	"        \"y\": { \"offset\": 4, \"type\": \">u2\" } } },\n"
	"      \"count\": \"n\", \"max\": 5 },\n"
	"    \"d\": { \"symbol\": \"d\", \"pointers\": [0], \"type\": \"|V40\" }\n"
	"  }\n"
	"}\n";

/* A valid trace: the header and frames as separate records. */
struct trace_src {
	struct buf rec[1 + TR_FRAMES];  /* [0]: the header */
	size_t size;                    /* of the state */
	uint8_t *states;                /* TR_FRAMES of them */
	int nfields;
	struct rec_packer packer;
	ZSTD_CCtx *nocheck;             /* zstd without a checksum / size */
};

static uint8_t *
state_of(struct trace_src *s, int64_t frame)
{
	if (frame < TR_START || frame >= TR_START + TR_FRAMES)
		return NULL;
	return s->states + s->size * (size_t)(frame - TR_START);
}

static int
build_trace(struct trace_src *s)
{
	char err[512];
	struct trace_packer p;
	struct trace_run runs[64];
	struct trace_input in[3];

	memset(s, 0, sizeof *s);
	struct layout *l = layout_parse(trace_layout, strlen(trace_layout),
	    "trace.json", err, sizeof err);
	if (!CHECK(l != NULL)) {
		FAIL("%s", err);
		return -1;
	}
	s->size = l->blob_size;
	s->nfields = l->nfields;
	layout_free(l);
	s->states = calloc(TR_FRAMES, s->size);
	if (s->states == NULL || trace_packer_init(&p, s->size) != 0 ||
	    rec_packer_init(&s->packer, 1) != 0)
		abort();
	size_t cap = trace_record_bound(&p) + sizeof trace_layout + 4096;
	uint8_t *rec = malloc(cap);
	if (rec == NULL)
		abort();
	struct trace_header_info h = {
		.exe = "/usr/games/fuzz", .build_id = "beef",
		.layout_json = trace_layout, .layout_source = "trace.json",
		.version = "0.0.1", .keyframe_interval = TR_KF,
		.state_size = (uint32_t)s->size, .seeded = 1, .seed = 7,
		.clock_rate = 1.0, .start_frame = TR_START,
		.start_vtime_ns = 0, .start_unix_ns = 1, .pid = 1,
	};
	size_t n = trace_pack_header(&p, &h, rec, cap);
	if (!CHECK_GT_INT(n, 0))
		abort();
	b_set(&s->rec[0], rec, n);
	for (int i = 0; i < TR_FRAMES; i++) {
		uint8_t *st = s->states + s->size * (size_t)i;
		if (i == 0) {
			for (size_t k = 0; k < s->size; k++)
				st[k] = (uint8_t)rnd();
		} else {
			memcpy(st, st - s->size, s->size);
			for (size_t k = rn(6); k > 0; k--)
				st[rn(s->size)] = (uint8_t)rnd();
		}
		st[4] = (uint8_t)rn(7);    /* n: the count of c, at times over max */
		int key = i % TR_KF == 0;
		long nr = 0;
		if (!key) {
			nr = trace_diff(st - s->size, st, s->size, runs, 64);
			if (nr < 0)
				abort();
		}
		int ni = (int)rn(4);
		for (int k = 0; k < ni; k++) {
			memset(&in[k], 0, sizeof in[k]);
			in[k].kind = 1 + (int)rn(5);
			in[k].code = in[k].kind <= TI_KEYUP ? (int)rn(300) : 0;
			snprintf(in[k].name, sizeof in[k].name, "k%d", (int)rn(100));
			snprintf(in[k].value, sizeof in[k].value, "%d", (int)rn(9));
			in[k].seqlen = (uint8_t)rn(4);
			memset(in[k].seq, 'q', in[k].seqlen);
		}
		uint32_t unr[2] = { (uint32_t)rn(5), (uint32_t)rn(9) };
		struct trace_frame_info fi = {
			.frame = TR_START + i, .vtime_ns = i * 1000, .keyframe = key,
			.state = st, .runs = runs, .nruns = nr, .unreadable = unr,
			.nunreadable = (int)rn(3), .inputs = in, .ninputs = ni,
		};
		n = trace_pack_frame(&p, &fi, rec, cap);
		if (!CHECK_GT_INT(n, 0))
			abort();
		b_set(&s->rec[1 + i], rec, n);
	}
	trace_packer_free(&p);
	free(rec);
	s->nocheck = ZSTD_createCCtx();
	if (s->nocheck == NULL)
		abort();
	return 0;
}

static void
free_trace(struct trace_src *s)
{
	for (int i = 0; i <= TR_FRAMES; i++)
		b_free(&s->rec[i]);
	free(s->states);
	rec_packer_free(&s->packer);
	ZSTD_freeCCtx(s->nocheck);
}

/* The protobuf inside record R (whole, envelope first). */
static int
unwrap(const struct buf *r, struct buf *proto)
{
	if (r->len < REC_ENVELOPE)
		return -1;
	const uint8_t *z = r->p + REC_ENVELOPE;
	size_t zl = r->len - REC_ENVELOPE;
	unsigned long long n = ZSTD_getFrameContentSize(z, zl);
	if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN ||
	    n > (1u << 24))
		return -1;
	proto->len = 0;
	b_reserve(proto, (size_t)n + 1);
	size_t got = ZSTD_decompress(proto->p, (size_t)n + 1, z, zl);
	if (ZSTD_isError(got))
		return -1;
	proto->len = got;
	return 0;
}

/* A good record (checksums right) of KIND holding PROTO into OUT. */
static void
wrap(struct trace_src *s, int kind, int flags, int64_t frame,
    const uint8_t *proto, size_t len, struct buf *out)
{
	size_t cap = rec_bound(len);
	out->len = 0;
	b_reserve(out, cap);
	size_t n = rec_pack(&s->packer, kind, flags, frame, proto, len, out->p,
	    cap);
	if (n == 0)
		abort();
	out->len = n;
}

static const int64_t odd_frames[] = {
	0, -1, 1, TR_START - 1, TR_START + TR_FRAMES, INT64_MAX, INT64_MAX - 1,
	INT64_MIN + 1, (int64_t)1 << 62,
	/* INT64_MIN: see delta_frame_int64_min_is_not_undefined */
};

/* A malicious Frame record, packed by protobuf-c, resealed. */
static void
forge_frame(struct trace_src *s, int idx, struct buf *out)
{
	Gamehook__Trace__Frame f;
	uint32_t gaps[8], lens[8], unr[4];
	uint8_t data[256];
	Gamehook__Trace__Input in, *inp[1] = { &in };
	char longname[3000];

	gamehook__trace__frame__init(&f);
	int64_t frame = TR_START + idx;
	if (rn(4) == 0)
		frame = odd_frames[rn(sizeof odd_frames / sizeof odd_frames[0])];
	f.has_frame = rn(8) != 0;
	f.frame = frame;
	f.has_vtime_ns = 1;
	f.vtime_ns = (int64_t)rnd();
	f.has_keyframe = 1;
	f.keyframe = rn(2);
	const uint8_t *st = state_of(s, frame);
	size_t fl = s->size;
	switch (rn(4)) {
	case 0: fl = s->size + 1; break;
	case 1: fl = s->size - 1; break;
	case 2: fl = rn(2 * s->size); break;
	}
	uint8_t *full = malloc(fl + 1);
	if (full == NULL)
		abort();
	for (size_t k = 0; k < fl; k++)
		full[k] = st && k < s->size ? st[k] : (uint8_t)rnd();
	f.has_full = rn(4) != 0;
	f.full.data = full;
	f.full.len = fl;
	size_t nd = rn(9);
	static const uint32_t big[] = { 0, 1, 7, 255, 256, 0x7fffffff,
		0x80000000u, 0xfffffffeu, 0xffffffffu };
	for (size_t k = 0; k < nd; k++) {
		gaps[k] = rn(3) ? (uint32_t)rn(s->size + 2) :
		    big[rn(sizeof big / sizeof big[0])];
		lens[k] = rn(3) ? (uint32_t)rn(20) :
		    big[rn(sizeof big / sizeof big[0])];
	}
	f.n_delta_gaps = nd;
	f.delta_gaps = gaps;
	f.n_delta_lengths = rn(5) ? nd : rn(9);
	f.delta_lengths = lens;
	if (f.n_delta_lengths > nd)
		for (size_t k = nd; k < f.n_delta_lengths; k++)
			lens[k] = (uint32_t)rn(10);
	size_t dl = rn(sizeof data);
	for (size_t k = 0; k < dl; k++)
		data[k] = (uint8_t)rnd();
	f.has_delta_data = rn(4) != 0;
	f.delta_data.data = data;
	f.delta_data.len = dl;
	f.has_state_hash = rn(2);
	f.state_hash = rnd();
	size_t nu = rn(5);
	for (size_t k = 0; k < nu; k++)
		unr[k] = rn(2) ? (uint32_t)rn(8) : big[rn(9)];
	f.n_unreadable = nu;
	f.unreadable = unr;
	if (rn(2)) {
		gamehook__trace__input__init(&in);
		in.has_kind = rn(2);
		in.kind = (Gamehook__Trace__Input__Kind)(rn(2) ? 1 + rn(5) : rnd());
		in.has_code = 1;
		in.code = (int32_t)rnd();
		size_t ln = rn(sizeof longname);
		memset(longname, 'n', sizeof longname);
		longname[ln] = '\0';
		in.name = rn(4) ? longname : NULL;
		in.value = rn(2) ? longname : NULL;
		in.has_seq = 1;
		in.seq.data = (uint8_t *)longname;
		in.seq.len = rn(200);
		f.n_inputs = 1;
		f.inputs = inp;
	}
	size_t len = gamehook__trace__frame__get_packed_size(&f);
	uint8_t *proto = malloc(len + 1);
	if (proto == NULL)
		abort();
	gamehook__trace__frame__pack(&f, proto);
	wrap(s, REC_FRAME, f.keyframe ? REC_KEYFRAME : 0, frame, proto, len, out);
	note(" forge-frame%d(fr=%lld,key=%d,full=%d/%zu,gaps=%zu/%zu,hash=%d)",
	    idx, (long long)frame, (int)f.keyframe, (int)f.has_full, fl, nd,
	    f.n_delta_lengths, (int)f.has_state_hash);
	free(proto);
	free(full);
}

/* A header record with a mutated layout or state size. */
static void
forge_header(struct trace_src *s, struct buf *out)
{
	struct buf proto = { 0 }, text = { 0 };
	if (unwrap(&s->rec[0], &proto) != 0)
		abort();
	Gamehook__Trace__Header *h = gamehook__trace__header__unpack(NULL,
	    proto.len, proto.p);
	if (h == NULL)
		abort();
	char *saved_layout = h->layout_json;
	uint32_t saved_size = h->state_size;
	switch (rn(4)) {
	case 0:
		h->state_size = rn(2) ? (uint32_t)rnd() : saved_size + 8;
		note(" forge-header(size=%u)", h->state_size);
		break;
	case 1:
		h->layout_json = NULL;
		note(" forge-header(no layout)");
		break;
	case 2:
		h->has_state_size = 0;
		note(" forge-header(no size)");
		break;
	default:
		b_set(&text, saved_layout, strlen(saved_layout));
		mutate_layout(&text, (int)rn(2));
		b_append(&text, "", 1);    /* a C string (to its first NUL) */
		h->layout_json = (char *)text.p;
		note(" forge-header(layout)");
		break;
	}
	size_t len = gamehook__trace__header__get_packed_size(h);
	uint8_t *p = malloc(len + 1);
	if (p == NULL)
		abort();
	gamehook__trace__header__pack(h, p);
	wrap(s, REC_HEADER, 0, TR_START, p, len, out);
	free(p);
	h->layout_json = saved_layout;
	gamehook__trace__header__free_unpacked(h, NULL);
	b_free(&proto);
	b_free(&text);
}

/* Record R's protobuf with random byte damage, resealed good. */
static void
forge_bytes(struct trace_src *s, const struct buf *r, struct buf *out)
{
	struct buf proto = { 0 };
	if (unwrap(r, &proto) != 0)
		abort();
	int k = 1 + (int)rn(4);
	for (int i = 0; i < k; i++) {
		switch (rn(4)) {
		case 0:
			if (proto.len)
				proto.p[rn(proto.len)] ^= (uint8_t)(1 + rn(255));
			break;
		case 1:
			b_delete(&proto, rn(proto.len + 1), 1 + rn(16));
			break;
		case 2: {
			uint8_t junk[12];
			size_t n = 1 + rn(sizeof junk);
			for (size_t j = 0; j < n; j++)
				junk[j] = rn(2) ? 0xff : (uint8_t)rnd();
			b_insert(&proto, rn(proto.len + 1), junk, n);
			break;
		}
		default:
			proto.len = rn(proto.len + 1);
			break;
		}
	}
	note(" forge-bytes%d", k);
	wrap(s, r->p[4], r->p[5], TR_START, proto.p, proto.len, out);
	b_free(&proto);
}

/* A record whose envelope checks out but whose payload is no good zstd
 * frame for a record. */
static void
forge_zstd(struct trace_src *s, const struct buf *r, struct buf *out)
{
	struct buf proto = { 0 };
	if (unwrap(r, &proto) != 0)
		abort();
	out->len = 0;
	b_reserve(out, REC_ENVELOPE + ZSTD_compressBound(proto.len) * 2 + 64);
	uint8_t *z = out->p + REC_ENVELOPE;
	size_t zl = 0, zcap = ZSTD_compressBound(proto.len) * 2 + 64;
	int how = (int)rn(5);
	switch (how) {
	case 0:     /* no checksum */
	case 1:     /* no content size */
		ZSTD_CCtx_reset(s->nocheck, ZSTD_reset_session_and_parameters);
		ZSTD_CCtx_setParameter(s->nocheck, ZSTD_c_checksumFlag, how == 1);
		ZSTD_CCtx_setParameter(s->nocheck, ZSTD_c_contentSizeFlag, how == 0);
		if (how == 1) {
			ZSTD_inBuffer ib = { proto.p, proto.len, 0 };
			ZSTD_outBuffer ob = { z, zcap, 0 };
			ZSTD_compressStream2(s->nocheck, &ob, &ib, ZSTD_e_end);
			zl = ob.pos;
		} else {
			zl = ZSTD_compress2(s->nocheck, z, zcap, proto.p, proto.len);
		}
		break;
	case 2:     /* two frames */
		zl = r->len - REC_ENVELOPE;
		memcpy(z, r->p + REC_ENVELOPE, zl);
		memcpy(z + zl, r->p + REC_ENVELOPE, zl);
		zl *= 2;
		break;
	case 3:     /* a skippable frame */
		memcpy(z, "\x50\x2a\x4d\x18", 4);
		zl = rn(64);
		memcpy(z + 4, &(uint32_t){ (uint32_t)zl }, 4);
		memset(z + 8, 'x', zl);
		zl += 8;
		break;
	default:    /* random bytes */
		zl = rn(100);
		for (size_t i = 0; i < zl; i++)
			z[i] = (uint8_t)rnd();
		break;
	}
	if (ZSTD_isError(zl))
		abort();
	out->len = rec_seal(out->p, r->p[4], r->p[5], TR_START, zl);
	note(" forge-zstd%d", how);
	b_free(&proto);
}

/* Build a mutated stream from S into OUT; returns whether anything was
 * forged with good checksums (so the states read may differ from S's). */
static int
mutate_trace(struct trace_src *s, struct buf *out)
{
	int order[3 * (1 + TR_FRAMES)], n = 0, forged = 0;
	struct buf pieces[3 * (1 + TR_FRAMES)];

	for (int i = 0; i <= TR_FRAMES; i++)
		order[n++] = i;
	memset(pieces, 0, sizeof pieces);
	/* Structural: drop, duplicate, swap, forge records. */
	int ks = (int)rn(4);
	for (int k = 0; k < ks; k++) {
		int a = (int)rn((size_t)n), b = (int)rn((size_t)n);
		switch (rn(4)) {
		case 0:
			if (n > 1) {
				note(" drop%d", a);
				memmove(order + a, order + a + 1, sizeof *order *
				    (size_t)(n - a - 1));
				n--;
			}
			break;
		case 1:
			if (n < (int)(sizeof order / sizeof order[0])) {
				note(" dup%d@%d", a, b);
				int v = order[a];
				memmove(order + b + 1, order + b, sizeof *order *
				    (size_t)(n - b));
				order[b] = v;
				n++;
			}
			break;
		default: {
			note(" swap%d,%d", a, b);
			int v = order[a];
			order[a] = order[b];
			order[b] = v;
			break;
		}
		}
	}
	for (int i = 0; i < n; i++)
		b_set(&pieces[i], s->rec[order[i]].p, s->rec[order[i]].len);
	int kf = rn(2) ? 0 : 1 + (int)rn(3);
	for (int k = 0; k < kf; k++) {
		int a = (int)rn((size_t)n);
		int src = order[a];
		forged = 1;
		switch (rn(6)) {
		case 0:
		case 1:
			if (src == 0)
				forge_header(s, &pieces[a]);
			else
				forge_frame(s, src - 1, &pieces[a]);
			break;
		case 2:
			forge_bytes(s, &s->rec[src], &pieces[a]);
			break;
		case 3:
			forge_zstd(s, &s->rec[src], &pieces[a]);
			break;
		case 4: {   /* another kind, flags or frame, resealed */
			struct buf *p = &pieces[a];
			int kind = (int)(rn(2) ? 1 + rn(3) : rn(256));
			note(" rekind%d:%d", a, kind);
			rec_seal(p->p, kind, (int)rn(4), (int64_t)rnd(),
			    p->len - REC_ENVELOPE);
			break;
		}
		default:    /* a header again, mid-stream */
			note(" header@%d", a);
			b_set(&pieces[a], s->rec[0].p, s->rec[0].len);
			break;
		}
	}
	/* Length fields: huge, off by one; resealed when the bytes are
	 * there. */
	int kl = rn(4) ? 0 : 1 + (int)rn(2);
	for (int k = 0; k < kl; k++) {
		struct buf *p = &pieces[rn((size_t)n)];
		uint32_t cur = (uint32_t)(p->len - REC_ENVELOPE);
		static const uint32_t lens[] = { 0, 1, 0xffffffffu, 0x7fffffffu,
			REC_MAX_PAYLOAD, REC_MAX_PAYLOAD + 1, REC_MAX_PAYLOAD - 1,
			1u << 20 };
		uint32_t v = rn(2) ? lens[rn(sizeof lens / sizeof lens[0])] :
		    cur + (uint32_t)rn(64) - 32;
		memcpy(p->p + 16, &v, 4);
		if (v <= cur && rn(2)) {
			uint32_t crc = rec_envelope_crc(p->p, p->p + REC_ENVELOPE, v);
			memcpy(p->p + 20, &crc, 4);
			forged = 1;
			note(" len=%u(sealed)", v);
		} else {
			note(" len=%u", v);
		}
	}
	out->len = 0;
	for (int i = 0; i < n; i++) {
		b_append(out, pieces[i].p, pieces[i].len);
		b_free(&pieces[i]);
	}
	/* Byte level: flips, truncation, inserted bytes. */
	int kb = (int)rn(3);
	for (int k = 0; k < kb; k++) {
		switch (rn(3)) {
		case 0: {
			int bits = 1 + (int)rn(8);
			note(" bits%d", bits);
			for (int i = 0; i < bits && out->len; i++)
				out->p[rn(out->len)] ^= (uint8_t)(1u << rn(8));
			break;
		}
		case 1: {
			size_t at = rn(out->len + 1);
			note(" cut@%zu", at);
			out->len = at;
			break;
		}
		default: {
			uint8_t junk[80];
			size_t m = 1 + rn(sizeof junk);
			for (size_t i = 0; i < m; i++)
				junk[i] = (uint8_t)rnd();
			if (rn(3) == 0)
				memcpy(junk, REC_MAGIC, 4);
			size_t at = rn(out->len + 1);
			note(" ins%zu@%zu", m, at);
			b_insert(out, at, junk, m);
			break;
		}
		}
	}
	return forged;
}

/* A readable fd holding BUF: a memfd, or (PIPE) a pipe written whole
 * and closed, when it fits the pipe. */
static int
stream_fd(const struct buf *b, int pipe_it)
{
	if (pipe_it) {
		int pfd[2];
		if (pipe(pfd) == 0) {
			int pcap = fcntl(pfd[1], F_GETPIPE_SZ);
			if (pcap > 0 && b->len <= (size_t)pcap) {
				size_t done = 0;
				while (done < b->len) {
					ssize_t w = write(pfd[1], b->p + done, b->len - done);
					if (w <= 0)
						break;
					done += (size_t)w;
				}
				close(pfd[1]);
				if (done == b->len)
					return pfd[0];
				close(pfd[0]);
			} else {
				close(pfd[0]);
				close(pfd[1]);
			}
		}
	}
	int fd = memfd_create("test-fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t done = 0;
	while (done < b->len) {
		ssize_t w = write(fd, b->p + done, b->len - done);
		if (w <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)w;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* Read the stream to its end; returns the number of events. */
static long
read_trace(struct trace_src *s, const struct buf *b, int pipe_it,
    int forged, long *frames_ok)
{
	char err[512];
	int fd = stream_fd(b, pipe_it);
	if (!EXPECT(fd >= 0, "no fd: %s", strerror(errno)))
		return 0;
	memset(err, 0x55, sizeof err);
	err[0] = '\0';
	struct trace_reader *t = trace_open(fd, err, sizeof err);
	if (t == NULL) {
		EXPECT(err[0] != '\0' && nul_within(err, sizeof err),
		    "trace_open refused without a message");
		close(fd);
		return 0;
	}
	EXPECT(t->layout != NULL && t->state_size == t->layout->blob_size,
	    "after trace_open: a state of %zu bytes", t->state_size);
	uint64_t sd;
	(void)trace_seed(t, &sd);
	(void)trace_start_frame(t);
	(void)trace_keyframe_interval(t);
	EXPECT(trace_exe(t) != NULL && trace_build_id(t) != NULL, "header");
	long ev = 0;
	char *out = malloc(4096);
	if (out == NULL)
		abort();
	for (;;) {
		if (!EXPECT(ev < EVENTS_MAX, "over %d events", EVENTS_MAX))
			break;
		enum trace_ev e = trace_next(t);
		ev++;
		if (e == TEV_END) {
			EXPECT(trace_next(t) == TEV_END, "TEV_END is not for good");
			break;
		}
		if (e == TEV_ERROR) {
			EXPECT(t->why[0] != '\0', "TEV_ERROR without a why");
			break;
		}
		if (e == TEV_DAMAGE) {
			EXPECT(t->why[0] != '\0', "TEV_DAMAGE without a why");
			continue;
		}
		if (!EXPECT(e == TEV_FRAME, "event %d", (int)e))
			break;
		for (int i = 0; i < trace_ninputs(t); i++) {
			struct trace_input in;
			trace_input(t, i, &in);
			EXPECT(nul_within(in.name, sizeof in.name) &&
			    nul_within(in.value, sizeof in.value) &&
			    in.seqlen <= sizeof in.seq, "input %d", i);
		}
		(void)trace_state_hash(t);
		if (!t->state_ok)
			continue;
		if (!EXPECT(t->state != NULL && t->layout != NULL &&
		    t->state_size == t->layout->blob_size,
		    "frame %lld: state of %zu bytes for a blob of %zu",
		    (long long)t->frame, t->state_size,
		    t->layout ? t->layout->blob_size : 0))
			break;
		/* Every byte is there (ASan checks the hash's reads). */
		(void)trace_hash(t->state, t->state_size);
		(*frames_ok)++;
		if (t->state_size <= RENDER_BLOB_MAX)
			layout_json(t->layout, t->state, t->unreadable, NULL, out,
			    4096, err, sizeof err);
		const uint8_t *want = state_of(s, t->frame);
		if (!forged && EXPECT(want != NULL && t->state_size == s->size,
		    "frame %lld vouched for, not written", (long long)t->frame))
			EXPECT(memcmp(t->state, want, s->size) == 0,
			    "frame %lld: the state differs from the one written",
			    (long long)t->frame);
	}
	free(out);
	trace_close(t);
	close(fd);
	return ev;
}

static void
trace_mutations_end_cleanly(void)
{
	struct trace_src s;
	struct buf b = { 0 };
	int64_t deadline = unit_real_ns() + TRACE_BUDGET_NS;
	long events = 0, frames_ok = 0, opened = 0;
	int iters = 0;

	nfails = 0;
	seed(2);
	if (build_trace(&s) != 0)
		return;
	/* Unmutated, it reads back whole. */
	snprintf(ctx, sizeof ctx, "the unmutated trace");
	for (int i = 0; i <= TR_FRAMES; i++)
		b_append(&b, s.rec[i].p, s.rec[i].len);
	long ok0 = 0;
	read_trace(&s, &b, 0, 0, &ok0);
	CHECK_EQ_INT(ok0, TR_FRAMES);

	signal(SIGPIPE, SIG_IGN);
	for (; iters < TRACE_ITERS && !too_many_fails(); iters++) {
		if (iters % 32 == 0 && unit_real_ns() > deadline)
			break;
		snprintf(ctx, sizeof ctx, "trace iteration %d:", iters);
		int before = nfails;
		int forged = mutate_trace(&s, &b);
		long ok = 0;
		long ev = read_trace(&s, &b, iters % 8 == 7, forged, &ok);
		events += ev;
		frames_ok += ok;
		opened += ev > 0;
		if (nfails > before)
			dump_input("trace", b.p, b.len < 400 ? b.len : 400);
	}
	fprintf(stderr, "test-fuzz: traces: %d iterations, %ld opened, %ld "
	    "events, %ld frames with state\n", iters, opened, events, frames_ok);
	CHECK_GT_INT(iters, 300);
	CHECK_GT_INT(opened, iters / 2);
	b_free(&b);
	free_trace(&s);
}

/* --- paths ---------------------------------------------------------------------------- */

static const char *const path_bits[] = {
	"hero", "entities", "entity_count", "game", "regen_ticks",
	"first_message", "second_message", "hp", "x", "tick", "text", "next",
	"kind", "stats", "wave", "seed", "nosuch", "Hero", "_", "", ".", ".",
	"[", "]", "[0]", "[1]", "[63]", "[64]", "[65]", "[-1]", "[+1]", "[ 1]",
	"[1 ]", "[0x1]", "[1e3]", "[]", "[[0]]", "[0][0]",
	"[99999999999999999999]", "[18446744073709551615]",
	"[18446744073709551616]", "[4294967295]", "[4294967296]",
	"[9223372036854775807]", "[00000000000000000000000000001]", "0", "9",
	"%s", "%n", "\\", "\"", "\xff", "\x01", " ", "..", "].", ".[",
};
#define NBITS (sizeof path_bits / sizeof path_bits[0])

static void
append_bit(struct buf *p)
{
	if (rn(30) == 0) {          /* a long name */
		size_t n = rn(2) ? 100 + rn(3) : 10000;
		char *s = malloc(n);
		if (s == NULL)
			abort();
		memset(s, rn(2) ? 'a' : 'e', n);
		b_append(p, s, n);
		free(s);
	} else if (rn(8) == 0) {    /* digits */
		char d[32];
		int n = snprintf(d, sizeof d, "%llu",
		    (unsigned long long)(rnd() >> rn(64)));
		b_append(p, d, (size_t)n);
	} else {
		const char *s = path_bits[rn(NBITS)];
		b_append(p, s, strlen(s));
	}
}

/* A path: random bits, or (mostly) one that follows L's fields, members
 * and arrays, with indexes in and out of range, now and then broken. */
static void
random_path(const struct layout *l, struct buf *p)
{
	p->len = 0;
	if (rn(3) == 0) {
		int k = (int)rn(rn(4) ? 6 : 20);
		for (int i = 0; i < k; i++)
			append_bit(p);
	} else {
		const struct lt_field *f = &l->fields[rn((size_t)l->nfields)];
		const struct lt_type *t = f->type;
		uint32_t n = f->count ? f->count : f->max;
		int is_array = f->count || f->count_path;
		char tmp[64];
		b_append(p, f->name, strlen(f->name));
		for (int depth = 0; depth < 6; depth++) {
			if (is_array && (rn(3) != 0 || t->kind != LT_STRUCT)) {
				if (rn(4) == 0)
					break;
				static const char *const odd[] = { "[-1]", "[]",
					"[99999999999999999999]", "[4294967296]",
					"[18446744073709551615]", "[0x0]" };
				if (rn(5) == 0) {
					const char *o = odd[rn(sizeof odd / sizeof odd[0])];
					b_append(p, o, strlen(o));
				} else {
					int m = snprintf(tmp, sizeof tmp, "[%zu]",
					    rn((size_t)n + 2));
					b_append(p, tmp, (size_t)m);
				}
				is_array = 0;
				continue;
			}
			if (t->kind != LT_STRUCT || rn(5) == 0)
				break;
			const struct lt_member *m = &t->members[rn((size_t)t->nmembers)];
			b_append(p, ".", 1);
			b_append(p, m->name, strlen(m->name));
			/* A list of members (entities.hp) stays a list. */
			is_array = m->count != 0 || (is_array && rn(2));
			n = m->count;
			t = m->type;
		}
		if (rn(6) == 0) {           /* broken somewhere */
			struct buf bit = { 0 };
			append_bit(&bit);
			size_t at = rn(p->len + 1);
			if (rn(2))
				b_delete(p, at, 1 + rn(3));
			b_insert(p, at, bit.p, bit.len);
			b_free(&bit);
		}
	}
	b_append(p, "", 1);
	p->len--;
}

static void
store_count(const struct lt_field *f, uint8_t *blob, uint64_t v)
{
	const struct lt_type *t = f->count_type;
	for (size_t i = 0; i < t->size; i++)
		blob[f->count_off + (t->big_endian ? t->size - 1 - i : i)] =
		    (uint8_t)(v >> (8 * i));
}

static void
random_paths_fail_or_lead_somewhere(void)
{
	struct buf path = { 0 };
	int64_t deadline = unit_real_ns() + PATH_BUDGET_NS;
	int iters, good = 0, bad = 0;

	nfails = 0;
	struct layout *l = demo_layout();
	if (l == NULL)
		return;
	size_t bs = l->blob_size;
	uint8_t *zero = calloc(1, bs), *random = malloc(bs), *full = calloc(1, bs);
	uint8_t *unr = calloc(1, (size_t)l->nfields);
	if (zero == NULL || random == NULL || full == NULL || unr == NULL)
		abort();
	/* FULL: every counted array at its max; RANDOM: counts anywhere. */
	for (int i = 0; i < l->nfields; i++) {
		const struct lt_field *f = &l->fields[i];
		if (f->count_path != NULL)
			store_count(f, full, f->max);
	}
	seed(3);
	for (iters = 0; iters < PATH_ITERS && !too_many_fails(); iters++) {
		if (iters % 256 == 0 && unit_real_ns() > deadline)
			break;
		random_path(l, &path);
		const char *p = (const char *)path.p;
		snprintf(ctx, sizeof ctx, "path iteration %d: '%.200s'", iters, p);
		if (iters % 64 == 0) {
			for (size_t i = 0; i < bs; i++)
				random[i] = (uint8_t)rnd();
			for (int i = 0; i < l->nfields; i++)
				unr[i] = rn(3) == 0;
		}
		const uint8_t *blob = (const uint8_t *[]){ zero, random, full }[rn(3)];
		long n = check_render(l, blob, rn(2) ? unr : NULL, p,
		    rn(4) ? 0 : 1 + rn(32));
		if (n >= 0)
			good++;
		else
			bad++;

		size_t errlen = rn(6) == 0 ? 1 + rn(24) : 512;
		char *err = malloc(errlen);
		if (err == NULL)
			abort();
		struct lt_place pl;
		memset(err, 0x55, errlen);
		err[0] = '\0';
		const uint8_t *pb = rn(2) ? blob : NULL;
		int r = layout_place(l, p, pb, &pl, err, errlen);
		if (r != 0) {
			EXPECT(r == -1 && nul_within(err, errlen) &&
			    (errlen == 1 || err[0] != '\0'),
			    "layout_place failed (%d) without a message", r);
		} else if (EXPECT(pl.field >= 0 && pl.field < l->nfields &&
		    pl.type != NULL && pl.type->kind != LT_STRUCT &&
		    pl.off + pl.type->size <= l->fields[pl.field].extent,
		    "layout_place: field %d +%zu", pl.field, pl.off)) {
			check_encode(pl.type);
		}
		memset(err, 0x55, errlen);
		err[0] = '\0';
		r = layout_check_path(l, p, err, errlen);
		if (r != 0)
			EXPECT(r == -1 && nul_within(err, errlen) &&
			    (errlen == 1 || err[0] != '\0'),
			    "layout_check_path failed (%d) without a message", r);
		free(err);
	}
	fprintf(stderr, "test-fuzz: paths: %d iterations, %d rendered, %d "
	    "refused\n", iters, good, bad);
	CHECK_GT_INT(good, 100);
	CHECK_GT_INT(bad, 1000);
	free(zero);
	free(random);
	free(full);
	free(unr);
	layout_free(l);
	b_free(&path);
}

/* --- reproducers -------------------------------------------------------------------- */

/* Run FN in a child; returns its wait status, having said on stderr how it
 * ended. The child's crash (or sanitizer report) does not end the binary. */
static int
in_child(void (*fn)(void), const char *what)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		alarm(20);
		fn();
		_exit(0);
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fprintf(stderr, "test-fuzz: %s: the child %s %d\n", what,
		    WIFEXITED(st) ? "exited with" : "died of signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	return st;
}

/* A struct whose only member is itself, at offset 0, fits its own size
 * (seen reading parse_struct while writing this test; the mutations above
 * rarely make one). */
static const char self_struct[] =
	"{\"gamehook_layout\": 1,\n"
	" \"types\": {\"A\": {\"size\": 4, \"members\": {\n"
	"   \"self\": {\"offset\": 0, \"type\": \"A\"}}}},\n"
	" \"fields\": {\"f\": {\"offset\": 0, \"type\": \"A\"}}}\n";

static void
parse_self_struct(void)
{
	char err[512] = "";
	struct layout *l = layout_parse(self_struct, strlen(self_struct),
	    "self.json", err, sizeof err);
	if (l != NULL) {
		/* Accepted: then naming its bytes must end too. */
		char name[256];
		layout_name_at(l, 0, name, sizeof name);
		layout_free(l);
	}
	_exit(l == NULL && strncmp(err, "layout ", 7) == 0 ? 0 : 3);
}

static void
struct_containing_itself_is_refused(void)
{
	int st = in_child(parse_self_struct, "struct_containing_itself");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		CHECK_EQ_INT(st, 0);
	else
		FAIL("layout_parse of a struct whose member is itself (%s) "
		    "crashes or accepts it (wait status %#x): common/layout.c "
		    "parse_struct lets a type name its own struct, then "
		    "add_leaves recurses without end",
		    "types.A.members.self.type = \"A\"", st);
}

static void
read_int64_min_delta(void)
{
	char err[512];
	struct trace_packer p;
	struct buf b = { 0 };
	uint8_t st[8] = { 0 };

	const char *json = "{\"gamehook_layout\": 1, \"fields\": "
	    "{\"a\": {\"symbol\": \"a\", \"type\": \"<i8\"}}}";
	if (trace_packer_init(&p, 8) != 0)
		_exit(4);
	size_t cap = trace_record_bound(&p) + 4096;
	uint8_t *rec = malloc(cap);
	struct trace_header_info h = {
		.exe = "x", .build_id = "", .layout_json = json,
		.layout_source = "x", .version = "0", .keyframe_interval = 1,
		.state_size = 8, .start_frame = INT64_MAX,
	};
	size_t n = trace_pack_header(&p, &h, rec, cap);
	b_append(&b, rec, n);
	/* A keyframe, so that the reader holds a state... */
	struct trace_frame_info fi = {
		.frame = INT64_MAX, .keyframe = 1, .state = st,
	};
	n = trace_pack_frame(&p, &fi, rec, cap);
	b_append(&b, rec, n);
	/* ...and a delta numbered INT64_MIN: apply() computes frame - 1. */
	fi.frame = INT64_MIN;
	fi.keyframe = 0;
	n = trace_pack_frame(&p, &fi, rec, cap);
	b_append(&b, rec, n);
	int fd = stream_fd(&b, 0);
	struct trace_reader *t = fd < 0 ? NULL : trace_open(fd, err, sizeof err);
	if (t == NULL)
		_exit(5);
	while (trace_next(t) == TEV_FRAME)
		;
	trace_close(t);
	trace_packer_free(&p);
	free(rec);
	b_free(&b);
	close(fd);
	_exit(0);
}

static void
delta_frame_int64_min_is_not_undefined(void)
{
	int st = in_child(read_int64_min_delta, "delta_frame_int64_min");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		CHECK_EQ_INT(st, 0);
	else
		FAIL("reading a delta frame numbered INT64_MIN ends in "
		    "undefined behaviour under UBSan (wait status %#x): "
		    "common/trace.c apply() computes f->frame - 1, a signed "
		    "overflow", st);
}

static const struct unit_case cases[] = {
	UNIT_CASE(layout_mutations_are_accepted_or_rejected_cleanly),
	UNIT_CASE(trace_mutations_end_cleanly),
	UNIT_CASE(random_paths_fail_or_lead_somewhere),
	UNIT_CASE(struct_containing_itself_is_refused),
	UNIT_CASE(delta_frame_int64_min_is_not_undefined),
};

int
main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, UNIT_NCASES(cases));
}
