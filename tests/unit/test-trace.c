/* Proves the trace writer and reader (common/trace.c over common/rec.c):
 * for random layouts and random state sequences, every frame written as a
 * keyframe or as trace_diff runs comes back from a file and from a pipe
 * with its exact state, number, time, keyframe flag, unreadable fields and
 * inputs, rendering the same JSON as the state written; trace_diff's runs
 * cover exactly the changed bytes, sorted, merged across gaps under
 * TRACE_RUN_GAP, and overflow to -1 past MAX; damage is reported once and
 * costs exactly the frames up to the next keyframe; a truncated trace
 * yields every whole frame, then the damage, then the end; garbage before
 * the header is skipped, a stream without a header is refused, and a
 * second header (recording restarted) switches layout and state. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layout.h"
#include "rec.h"
#include "trace.h"
#include "unit.h"

/* A run limit for trace_diff (the packer sizes its own: trace_runs_max). */
#define TRACE_RUNS_MAX 8192

/* --- a seeded PRNG ---------------------------------------------------------- */

static uint64_t rng = 1;

static void
seed(uint64_t s)
{
	rng = s * 0x9e3779b97f4a7c15ull + 1;
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
static uint32_t
rn(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

/* --- random layouts ---------------------------------------------------------- */

struct sbuf {
	char *p;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3)))
sb(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(s->p + s->len, s->cap - s->len, fmt, ap);
		va_end(ap);
		if ((size_t)n < s->cap - s->len) {
			s->len += (size_t)n;
			return;
		}
		s->cap = s->cap * 2 + (size_t)n + 64;
		s->p = realloc(s->p, s->cap);
		if (s->p == NULL)
			abort();
	}
}

static const char *const scalars[] = { "|i1", "<i2", ">i2", "<i4", ">i4",
	"<i8", ">i8", "|u1", "<u2", ">u2", "<u4", "<u8", "<f4", ">f4", "<f8",
	">f8", "|b1", "|S1", "|S5", "|S12", "|V1", "|V3", "|V9" };
#define NSCALARS (sizeof scalars / sizeof scalars[0])

/* Random layout text: a few struct types (members of random dtypes, earlier
 * types and fixed counts, with random padding), a count field and random
 * fields, plain, fixed arrays or counted by the count field. */
static char *
gen_layout(void)
{
	struct sbuf s = { NULL, 0, 0 };
	size_t tsize[4];
	int ntypes = 1 + (int)rn(4);

	sb(&s, "{\n  \"gamehook_layout\": 1,\n  \"build_id\": \"%04x\",\n"
	    "  \"types\": {", (unsigned)rn(65536));
	for (int k = 0; k < ntypes; k++) {
		int nm = 1 + (int)rn(5);
		size_t cur = 0;
		sb(&s, "%s\n    \"T%d\": {\n      \"members\": {", k ? "," : "", k);
		for (int m = 0; m < nm; m++) {
			char ty[16];
			size_t sz;
			int j = k > 0 ? (int)rn((uint32_t)k) : 0;
			if (k > 0 && rn(3) == 0 && tsize[j] <= 256) {
				snprintf(ty, sizeof ty, "T%d", j);
				sz = tsize[j];
			} else {
				const char *d = scalars[rn(NSCALARS)];
				snprintf(ty, sizeof ty, "%s", d);
				sz = (size_t)atoi(d + 2);
			}
			uint32_t count = rn(3) == 0 ? 1 + rn(4) : 0;
			size_t off = cur + rn(4);
			sb(&s, "%s\n        \"m%d\": { \"offset\": %zu, \"type\": \"%s\"",
			    m ? "," : "", m, off, ty);
			if (count)
				sb(&s, ", \"count\": %u", count);
			sb(&s, " }");
			cur = off + sz * (count ? count : 1);
		}
		tsize[k] = cur + rn(4);
		sb(&s, "\n      },\n      \"size\": %zu\n    }", tsize[k]);
	}
	sb(&s, "\n  },\n  \"fields\": {\n    \"n0\": { \"symbol\": \"n0\", "
	    "\"type\": \"%s\" }", (const char *[]){ "<i4", "|u1", ">u2", "|i1" }[rn(4)]);
	int nf = 1 + (int)rn(6);
	for (int f = 1; f <= nf; f++) {
		char ty[16];
		if (rn(2)) {
			snprintf(ty, sizeof ty, "T%u", rn((uint32_t)ntypes));
		} else {
			snprintf(ty, sizeof ty, "%s", scalars[rn(NSCALARS)]);
		}
		sb(&s, ",\n    \"f%d\": { ", f);
		if (rn(2))
			sb(&s, "\"offset\": %u, ", rn(100000));
		else
			sb(&s, "\"symbol\": \"s%d\", ", f);
		if (rn(5) == 0)
			sb(&s, "\"pointers\": [0, %u], ", rn(64));
		sb(&s, "\"type\": \"%s\"", ty);
		switch (rn(3)) {
		case 1:
			sb(&s, ", \"count\": %u", 1 + rn(rn(2) ? 5 : 60));
			break;
		case 2:
			sb(&s, ", \"count\": \"n0\", \"max\": %u",
			    1 + rn(rn(2) ? 6 : 80));
			break;
		}
		sb(&s, " }");
	}
	sb(&s, "\n  }\n}\n");
	return s.p;
}

/* --- writing traces ------------------------------------------------------------ */

#define MAXIN 4

struct xframe {
	int64_t frame, vtime;
	int keyframe;
	uint8_t *state;
	uint8_t *unr;           /* per field */
	int ninputs;
	struct trace_input in[MAXIN];
	size_t rec_off, rec_len;
};

struct xtrace {
	char *json;
	struct layout *l;
	size_t size;
	uint32_t kf;
	int nframes, nkey, ndelta;
	struct xframe *f;
	uint8_t *states, *unrs;
	uint8_t *buf;           /* the records */
	size_t len, cap;
	size_t hdr_len;
};

static void
xappend(struct xtrace *x, const void *p, size_t n)
{
	if (x->len + n > x->cap) {
		x->cap = (x->len + n) * 2;
		x->buf = realloc(x->buf, x->cap);
		if (x->buf == NULL)
			abort();
	}
	memcpy(x->buf + x->len, p, n);
	x->len += n;
}

static void
rand_text(char *out, size_t max)
{
	size_t n = rn((uint32_t)max);
	for (size_t i = 0; i < n; i++)
		out[i] = "abcdefghijklmnopqrstuvwxyz_0123456789 .-"[rn(40)];
	out[n] = '\0';
}

static void
rand_input(struct trace_input *in)
{
	memset(in, 0, sizeof *in);
	in->kind = 1 + (int)rn(5);
	/* A code goes with keys only (trace.proto). */
	in->code = in->kind <= TI_KEYUP ? (int)rn(600) - 1 : 0;
	rand_text(in->name, sizeof in->name);
	if (rn(2))
		rand_text(in->value, sizeof in->value);
	in->seqlen = (uint8_t)rn(sizeof in->seq + 1);
	for (int i = 0; i < in->seqlen; i++)
		in->seq[i] = (uint8_t)rnd();
}

/* Write a trace of JSON's layout: a header and NFRAMES frames from
 * START, a keyframe every KF frames, runs of at most MAXRUNS otherwise.
 * Returns 0, or -1 (reported). */
static int
build(struct xtrace *x, char *json, int nframes, uint32_t kf, long maxruns,
    int64_t start)
{
	char err[1024];
	struct trace_packer p;

	memset(x, 0, sizeof *x);
	x->json = json;
	x->l = layout_parse(json, strlen(json), "rand.json", err, sizeof err);
	if (x->l == NULL) {
		FAIL("random layout does not parse: %s\n%s", err, json);
		return -1;
	}
	x->size = x->l->blob_size;
	x->kf = kf;
	x->nframes = nframes;
	int nf = x->l->nfields;
	x->f = calloc((size_t)nframes, sizeof *x->f);
	x->states = malloc(x->size * (size_t)nframes);
	x->unrs = calloc((size_t)nframes, (size_t)nf);
	struct trace_run *runs = malloc(sizeof *runs * (x->size + 1));
	uint32_t *ulist = malloc(sizeof *ulist * ((size_t)nf + 1));
	if (x->f == NULL || x->states == NULL || x->unrs == NULL ||
	    runs == NULL || ulist == NULL || trace_packer_init(&p, x->size) != 0)
		abort();
	size_t cap = trace_record_bound(&p) + strlen(json) + 4096;
	uint8_t *rec = malloc(cap);
	if (rec == NULL)
		abort();
	struct trace_header_info h = {
		.exe = "/usr/games/test-game", .build_id = "abcd",
		.layout_json = json, .layout_source = "rand.json",
		.version = "0.1.0", .keyframe_interval = kf,
		.state_size = (uint32_t)x->size, .seeded = 1, .seed = 42,
		.clock_rate = 1.0, .start_frame = start,
		.start_vtime_ns = start * 16666667, .start_unix_ns = 1700000000,
		.pid = 4242,
	};
	size_t n = trace_pack_header(&p, &h, rec, cap);
	if (!CHECK_GT_INT(n, 0))
		goto out;
	xappend(x, rec, n);
	x->hdr_len = n;

	const uint8_t *prev = NULL;
	for (int i = 0; i < nframes; i++) {
		struct xframe *f = &x->f[i];
		uint8_t *cur = x->states + x->size * (size_t)i;
		f->state = cur;
		f->unr = x->unrs + (size_t)nf * (size_t)i;
		f->frame = start + i;
		f->vtime = f->frame * 16666667 + rn(1000);
		/* Mutate: nothing, everything, or a random fraction. */
		uint32_t mode = rn(10);
		if (prev == NULL || mode == 0) {
			for (size_t k = 0; k < x->size; k++)
				cur[k] = (uint8_t)rnd();
			if (prev != NULL && mode == 0 && x->size > 0)
				cur[0] = (uint8_t)~prev[0];
		} else {
			memcpy(cur, prev, x->size);
			if (mode > 1) {
				uint32_t per = 1 + rn(mode == 2 ? 1000 : 40);
				for (size_t k = 0; k < x->size; k++)
					if (rn(per) == 0)
						cur[k] = (uint8_t)rnd();
			}
		}
		int nu = 0;
		for (int k = 0; k < nf; k++)
			if (rn(8) == 0) {
				f->unr[k] = 1;
				ulist[nu++] = (uint32_t)k;
			}
		if (rn(10) == 0)
			ulist[nu++] = (uint32_t)nf + rn(5);   /* readers ignore it */
		f->ninputs = (int)rn(MAXIN + 1);
		for (int k = 0; k < f->ninputs; k++)
			rand_input(&f->in[k]);
		long nr = 0;
		f->keyframe = i % (int)kf == 0;
		if (!f->keyframe) {
			nr = trace_diff(prev, cur, x->size, runs, maxruns);
			if (nr < 0)
				f->keyframe = 1;
		}
		x->nkey += f->keyframe;
		x->ndelta += !f->keyframe;
		struct trace_frame_info fi = {
			.frame = f->frame, .vtime_ns = f->vtime,
			.keyframe = f->keyframe, .state = cur, .runs = runs,
			.nruns = f->keyframe ? 0 : nr, .unreadable = ulist,
			.nunreadable = nu, .inputs = f->in, .ninputs = f->ninputs,
		};
		n = trace_pack_frame(&p, &fi, rec, cap);
		if (!CHECK_GT_INT(n, 0))
			goto out;
		f->rec_off = x->len;
		f->rec_len = n;
		xappend(x, rec, n);
		prev = cur;
	}
out:
	trace_packer_free(&p);
	free(rec);
	free(runs);
	free(ulist);
	return 0;
}

static void
xfree(struct xtrace *x)
{
	layout_free(x->l);
	free(x->json);
	free(x->f);
	free(x->states);
	free(x->unrs);
	free(x->buf);
	memset(x, 0, sizeof *x);
}

/* --- reading them back --------------------------------------------------------- */

static char *
render(const struct layout *l, const uint8_t *state, const uint8_t *unr)
{
	char err[256];
	long n = layout_json(l, state, unr, NULL, NULL, 0, err, sizeof err);
	char *out = malloc((size_t)n + 1);
	if (n < 0 || out == NULL)
		abort();
	layout_json(l, state, unr, NULL, out, (size_t)n + 1, err, sizeof err);
	return out;
}

/* The event T just returned must be frame I of X, with its state when
 * STATE_OK. Returns whether all held. */
static int
check_frame(struct trace_reader *t, const struct xtrace *x, int i,
    int state_ok)
{
	const struct xframe *f = &x->f[i];
	int ok = 1;

	ok &= CHECK_EQ_INT(t->frame, f->frame);
	ok &= CHECK_EQ_INT(t->vtime_ns, f->vtime);
	ok &= CHECK_EQ_INT(t->keyframe, f->keyframe);
	ok &= CHECK_EQ_INT(t->state_ok, state_ok);
	if (!ok)
		return 0;
	if (state_ok) {
		if (!CHECK_EQ_INT(t->state_size, x->size))
			return 0;
		if (memcmp(t->state, f->state, x->size) != 0) {
			FAIL("frame %lld: wrong state", (long long)f->frame);
			return 0;
		}
		if (!CHECK_EQ_INT(t->layout->nfields, x->l->nfields))
			return 0;
		for (int k = 0; k < x->l->nfields; k++)
			if (!CHECK_EQ_INT(t->unreadable[k], f->unr[k]))
				return 0;
		char *a = render(t->layout, t->state, t->unreadable);
		char *b = render(x->l, f->state, f->unr);
		ok &= CHECK_EQ_STR(a, b);
		free(a);
		free(b);
	}
	if (!CHECK_EQ_INT(trace_ninputs(t), f->ninputs))
		return 0;
	for (int k = 0; k < f->ninputs; k++) {
		struct trace_input buf;
		const struct trace_input *in = trace_input(t, k, &buf), *w = &f->in[k];
		ok &= CHECK_EQ_INT(in->kind, w->kind);
		ok &= CHECK_EQ_INT(in->code, w->code);
		ok &= CHECK_EQ_STR(in->name, w->name);
		ok &= CHECK_EQ_STR(in->value, w->value);
		ok &= CHECK_EQ_INT(in->seqlen, w->seqlen);
		ok &= CHECK_EQ_MEM(in->seq, w->seq, w->seqlen);
	}
	return ok;
}

/* Read frames FROM..TO-1 of X from T, all with their states. */
static int
read_frames(struct trace_reader *t, const struct xtrace *x, int from, int to)
{
	for (int i = from; i < to; i++) {
		enum trace_ev ev = trace_next(t);
		if (ev != TEV_FRAME) {
			FAIL("frame %d of %d: event %d (%s)", i, x->nframes, ev,
			    t->why);
			return 0;
		}
		if (!check_frame(t, x, i, 1))
			return 0;
	}
	return 1;
}

static int
expect_ev(struct trace_reader *t, enum trace_ev want, const char *why)
{
	enum trace_ev ev = trace_next(t);
	if (ev != want) {
		FAIL("event %d, want %d (%s)", ev, want, t->why);
		return 0;
	}
	if (why != NULL && strstr(t->why, why) == NULL) {
		FAIL("why is [%s], want [%s] in it", t->why, why);
		return 0;
	}
	return CHECK(1);
}

/* A temporary file holding BUF; its descriptor, at offset 0. */
static int
temp_file(const void *buf, size_t len)
{
	char path[] = "/var/tmp/test-trace-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		char p2[] = "/dev/shm/test-trace-XXXXXX";
		fd = mkstemp(p2);
		if (fd >= 0)
			unlink(p2);
	} else {
		unlink(path);
	}
	if (fd < 0) {
		FAIL("mkstemp: %s", strerror(errno));
		return -1;
	}
	const uint8_t *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);
		if (n <= 0) {
			FAIL("write: %s", strerror(errno));
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

struct pipe_writer {
	int fd;
	const uint8_t *buf;
	size_t len;
	uint64_t seed;
};

/* Writes the buffer in random pieces, then closes its end. */
static void *
writer_main(void *arg)
{
	struct pipe_writer *w = arg;
	uint64_t s = w->seed | 1;
	size_t done = 0;

	while (done < w->len) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		size_t k = 1 + (size_t)(s % 5000);
		if (k > w->len - done)
			k = w->len - done;
		ssize_t n = write(w->fd, w->buf + done, k);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;   /* the reader gave up */
		done += (size_t)n;
	}
	close(w->fd);
	return NULL;
}

/* Read all of X back from T and check it, header to end. */
static void
check_whole(struct trace_reader *t, const struct xtrace *x)
{
	CHECK_EQ_STR(trace_exe(t), "/usr/games/test-game");
	CHECK_EQ_STR(trace_build_id(t), "abcd");
	CHECK_EQ_INT(trace_keyframe_interval(t), x->kf);
	CHECK_EQ_INT(t->state_size, x->size);
	CHECK_EQ_STR(t->layout->json, x->json);
	if (!read_frames(t, x, 0, x->nframes))
		return;
	expect_ev(t, TEV_END, NULL);
	expect_ev(t, TEV_END, NULL);
	CHECK_EQ_U64(t->frames, x->nframes);
	CHECK_EQ_U64(t->keyframes, x->nkey);
	CHECK_EQ_U64(t->damaged, 0);
	CHECK_EQ_U64(t->lost, 0);
}

static void
random_round_trips_through_files_and_pipes(void)
{
	static const long maxruns[] = { TRACE_RUNS_MAX, 8, 2, 0 };
	int deltas = 0, overflow_keys = 0;

	signal(SIGPIPE, SIG_IGN);
	for (int r = 0; r < 8; r++) {
		struct xtrace x;
		char err[1024];

		seed(1000 + (uint64_t)r);
		uint32_t kf = 1 + rn(40);
		long mr = maxruns[r % 4];
		if (build(&x, gen_layout(), 200, kf, mr, (int64_t)rn(100000)) != 0)
			return;
		deltas += x.ndelta;
		overflow_keys += x.nkey - (200 + (int)kf - 1) / (int)kf;
		if (r % 2 == 0) {
			int fd = temp_file(x.buf, x.len);
			if (fd < 0) {
				xfree(&x);
				return;
			}
			struct trace_reader *t = trace_open(fd, err, sizeof err);
			if (CHECK(t != NULL))
				check_whole(t, &x);
			else
				FAIL("layout %d: %s", r, err);
			trace_close(t);
			close(fd);
		} else {
			int pfd[2];
			pthread_t th;
			if (!CHECK_EQ_INT(pipe(pfd), 0)) {
				xfree(&x);
				return;
			}
			struct pipe_writer w = { pfd[1], x.buf, x.len, (uint64_t)r };
			CHECK_EQ_INT(pthread_create(&th, NULL, writer_main, &w), 0);
			struct trace_reader *t = trace_open(pfd[0], err, sizeof err);
			if (CHECK(t != NULL))
				check_whole(t, &x);
			else
				FAIL("layout %d: %s", r, err);
			trace_close(t);
			close(pfd[0]);   /* a writer still writing gets EPIPE */
			pthread_join(th, NULL);
		}
		xfree(&x);
	}
	/* Both kinds of frame and the overflow path were exercised. */
	CHECK_GT_INT(deltas, 100);
	CHECK_GT_INT(overflow_keys, 10);
}

/* --- trace_diff ------------------------------------------------------------------- */

/* Check RUNS (N of them) between OLD and CUR per trace.h. */
static int
check_runs(const uint8_t *old, const uint8_t *cur, size_t size,
    const struct trace_run *runs, long n)
{
	int ok = 1;
	uint8_t *cov = calloc(1, size + 1), *app = malloc(size + 1);

	if (cov == NULL || app == NULL)
		abort();
	memcpy(app, old, size);
	for (long k = 0; k < n && ok; k++) {
		const struct trace_run *r = &runs[k];
		ok &= CHECK_GT_INT(r->len, 0);
		ok &= CHECK_LE_INT((size_t)r->off + r->len, size);
		if (!ok)
			break;
		if (k > 0) {
			/* Sorted, disjoint, at least TRACE_RUN_GAP equal bytes
			 * apart (closer ones are merged). */
			size_t end = runs[k - 1].off + runs[k - 1].len;
			ok &= CHECK_GE_INT(r->off, end + TRACE_RUN_GAP);
		}
		/* A run starts and ends on a changed byte, and holds no gap
		 * of TRACE_RUN_GAP equal bytes. */
		ok &= CHECK(old[r->off] != cur[r->off]);
		ok &= CHECK(old[r->off + r->len - 1] != cur[r->off + r->len - 1]);
		size_t eq = 0;
		for (size_t i = r->off; i < (size_t)r->off + r->len; i++) {
			eq = old[i] == cur[i] ? eq + 1 : 0;
			if (eq >= TRACE_RUN_GAP) {
				ok &= CHECK_LT_INT(eq, TRACE_RUN_GAP);
				break;
			}
			cov[i] = 1;
		}
		memcpy(app + r->off, cur + r->off, r->len);
	}
	for (size_t i = 0; i < size && ok; i++)
		if (old[i] != cur[i] && !cov[i]) {
			FAIL("changed byte %zu of %zu is in no run", i, size);
			ok = 0;
		}
	if (ok && memcmp(app, cur, size) != 0) {
		FAIL("applying the runs does not give the new state");
		ok = 0;
	}
	free(cov);
	free(app);
	return ok;
}

static void
diff_runs_cover_exactly_the_changes(void)
{
	struct trace_run *runs = malloc(sizeof *runs * 6000);
	uint8_t *old = malloc(6000), *cur = malloc(6000);

	if (runs == NULL || old == NULL || cur == NULL)
		abort();
	seed(77);
	for (int it = 0; it < 3000; it++) {
		size_t size = it < 200 ? (size_t)it : rn(it % 10 == 0 ? 6000 : 300);
		for (size_t i = 0; i < size; i++)
			old[i] = (uint8_t)rnd();
		memcpy(cur, old, size);
		switch (it % 4) {
		case 0:   /* scattered bytes */
			for (uint32_t k = rn(30); k > 0 && size; k--)
				cur[rn((uint32_t)size)] ^= (uint8_t)(1 + rn(255));
			break;
		case 1:   /* bytes at gaps around TRACE_RUN_GAP */
			for (size_t i = rn(20); i < size;
			    i += TRACE_RUN_GAP - 2 + rn(5))
				cur[i] ^= 0x40;
			break;
		case 2:   /* blocks */
			for (uint32_t k = rn(6); k > 0 && size; k--) {
				size_t a = rn((uint32_t)size), b = a + rn(200);
				for (size_t i = a; i < b && i < size; i++)
					cur[i] = (uint8_t)rnd();
			}
			break;
		case 3:   /* the edges */
			if (size) {
				cur[0] ^= 1;
				cur[size - 1] ^= 1;
			}
			break;
		}
		long n = trace_diff(old, cur, size, runs, 6000);
		if (!CHECK_GE_INT(n, 0) || !check_runs(old, cur, size, runs, n)) {
			FAIL("iteration %d, size %zu", it, size);
			break;
		}
		if (memcmp(old, cur, size) == 0)
			CHECK_EQ_INT(n, 0);
		if (n > 0) {
			CHECK_EQ_INT(trace_diff(old, cur, size, runs, n), n);
			CHECK_EQ_INT(trace_diff(old, cur, size, runs, n - 1), -1);
		}
	}
	free(runs);
	free(old);
	free(cur);
}

static void
diff_merges_gaps_under_trace_run_gap(void)
{
	uint8_t old[200] = { 0 }, cur[200] = { 0 };
	struct trace_run runs[8];

	/* TRACE_RUN_GAP - 1 equal bytes between two changes: one run. */
	cur[10] = 1;
	cur[10 + TRACE_RUN_GAP] = 1;
	CHECK_EQ_INT(trace_diff(old, cur, sizeof old, runs, 8), 1);
	CHECK_EQ_INT(runs[0].off, 10);
	CHECK_EQ_INT(runs[0].len, TRACE_RUN_GAP + 1);
	/* TRACE_RUN_GAP equal bytes: two runs. */
	memset(cur, 0, sizeof cur);
	cur[10] = 1;
	cur[11 + TRACE_RUN_GAP] = 1;
	CHECK_EQ_INT(trace_diff(old, cur, sizeof old, runs, 8), 2);
	CHECK_EQ_INT(runs[0].off, 10);
	CHECK_EQ_INT(runs[0].len, 1);
	CHECK_EQ_INT(runs[1].off, 11 + TRACE_RUN_GAP);
	CHECK_EQ_INT(runs[1].len, 1);
	/* Across a 64-byte block boundary, and at the very end. */
	memset(cur, 0, sizeof cur);
	cur[63] = 1;
	cur[64] = 1;
	cur[199] = 1;
	CHECK_EQ_INT(trace_diff(old, cur, sizeof old, runs, 8), 2);
	CHECK_EQ_INT(runs[0].off, 63);
	CHECK_EQ_INT(runs[0].len, 2);
	CHECK_EQ_INT(runs[1].off, 199);
	CHECK_EQ_INT(runs[1].len, 1);
	/* Max 0: any change overflows, none does not. */
	CHECK_EQ_INT(trace_diff(old, cur, sizeof old, runs, 0), -1);
	CHECK_EQ_INT(trace_diff(old, old, sizeof old, runs, 0), 0);
}

static void
diff_overflows_past_trace_runs_max(void)
{
	size_t size = (size_t)(TRACE_RUNS_MAX + 1) * (TRACE_RUN_GAP + 1);
	uint8_t *old = calloc(1, size), *cur = calloc(1, size);
	struct trace_run *runs = malloc(sizeof *runs * (TRACE_RUNS_MAX + 1));

	if (old == NULL || cur == NULL || runs == NULL)
		abort();
	for (long k = 0; k < TRACE_RUNS_MAX; k++)
		cur[(size_t)k * (TRACE_RUN_GAP + 1)] = 1;
	CHECK_EQ_INT(trace_diff(old, cur, size, runs, TRACE_RUNS_MAX),
	    TRACE_RUNS_MAX);
	CHECK_EQ_INT(runs[TRACE_RUNS_MAX - 1].off,
	    (TRACE_RUNS_MAX - 1) * (TRACE_RUN_GAP + 1));
	cur[(size_t)TRACE_RUNS_MAX * (TRACE_RUN_GAP + 1)] = 1;
	CHECK_EQ_INT(trace_diff(old, cur, size, runs, TRACE_RUNS_MAX), -1);
	CHECK_EQ_INT(trace_diff(old, cur, size, runs, TRACE_RUNS_MAX + 1),
	    TRACE_RUNS_MAX + 1);
	free(old);
	free(cur);
	free(runs);
}

/* --- damage ------------------------------------------------------------------------ */

/* A 50-frame trace, a keyframe every 10 frames, deltas otherwise. */
static int
build_small(struct xtrace *x, uint64_t s)
{
	seed(s);
	if (build(x, gen_layout(), 50, 10, TRACE_RUNS_MAX, 1000) != 0)
		return -1;
	for (int i = 0; i < 50; i++)
		if (x->f[i].keyframe != (i % 10 == 0)) {
			FAIL("frame %d: keyframe %d", i, x->f[i].keyframe);
			return -1;
		}
	return 0;
}

/* Damage the record of frame 23 with HOW, then expect frames 0-22, one
 * TEV_DAMAGE whose why holds WHY, frames 24-29 without state, 30-49 whole. */
static void
damaged_delta(int reseal, const char *why)
{
	struct xtrace x;
	char err[512];

	if (build_small(&x, 5 + (uint64_t)reseal) != 0) {
		xfree(&x);
		return;
	}
	struct xframe *f = &x.f[23];
	size_t plen = f->rec_len - REC_ENVELOPE;
	x.buf[f->rec_off + REC_ENVELOPE + plen / 2] ^= 0x5a;
	if (reseal)
		rec_seal(x.buf + f->rec_off, REC_FRAME, 0, f->frame, plen);
	int fd = temp_file(x.buf, x.len);
	struct trace_reader *t = fd < 0 ? NULL : trace_open(fd, err, sizeof err);
	if (!CHECK(t != NULL))
		goto out;
	if (!read_frames(t, &x, 0, 23) || !expect_ev(t, TEV_DAMAGE, why))
		goto out;
	for (int i = 24; i < 30; i++) {
		if (!CHECK_EQ_INT(trace_next(t), TEV_FRAME) ||
		    !check_frame(t, &x, i, 0))
			goto out;
		CHECK(strstr(t->why, "lost until the next keyframe") != NULL);
	}
	if (!read_frames(t, &x, 30, 50))
		goto out;
	expect_ev(t, TEV_END, NULL);
	CHECK_EQ_U64(t->damaged, 1);
	CHECK_EQ_U64(t->lost, 6);
	CHECK_EQ_U64(t->frames, 49);
out:
	trace_close(t);
	if (fd >= 0)
		close(fd);
	xfree(&x);
}

static void
flipped_byte_loses_frames_until_the_next_keyframe(void)
{
	damaged_delta(0, "checksum");
}

/* The envelope's crc is right but the zstd frame is not. */
static void
bad_zstd_frame_loses_frames_until_the_next_keyframe(void)
{
	damaged_delta(1, "zstd");
}

static void
damaged_keyframe_loses_frames_until_the_next(void)
{
	struct xtrace x;
	char err[512];

	if (build_small(&x, 9) != 0) {
		xfree(&x);
		return;
	}
	/* Frame 20's magic. */
	x.buf[x.f[20].rec_off] = 'X';
	int fd = temp_file(x.buf, x.len);
	struct trace_reader *t = fd < 0 ? NULL : trace_open(fd, err, sizeof err);
	if (!CHECK(t != NULL))
		goto out;
	if (!read_frames(t, &x, 0, 20) || !expect_ev(t, TEV_DAMAGE, "magic"))
		goto out;
	for (int i = 21; i < 30; i++)
		if (!CHECK_EQ_INT(trace_next(t), TEV_FRAME) ||
		    !check_frame(t, &x, i, 0))
			goto out;
	if (read_frames(t, &x, 30, 50))
		expect_ev(t, TEV_END, NULL);
	CHECK_EQ_U64(t->lost, 9);
out:
	trace_close(t);
	if (fd >= 0)
		close(fd);
	xfree(&x);
}

static void
truncated_trace_gives_every_whole_frame_then_damage_then_end(void)
{
	struct xtrace x;
	char err[512];

	if (build_small(&x, 11) != 0) {
		xfree(&x);
		return;
	}
	/* At the last record's midpoint, and inside its envelope. */
	const struct xframe *last = &x.f[49];
	size_t cut[2] = { last->rec_off + last->rec_len / 2, last->rec_off + 10 };
	for (int c = 0; c < 2; c++) {
		int fd = temp_file(x.buf, cut[c]);
		struct trace_reader *t = fd < 0 ? NULL :
		    trace_open(fd, err, sizeof err);
		if (CHECK(t != NULL) && read_frames(t, &x, 0, 49) &&
		    expect_ev(t, TEV_DAMAGE, "truncated")) {
			CHECK_EQ_U64(t->offset, last->rec_off);
			expect_ev(t, TEV_END, NULL);
			expect_ev(t, TEV_END, NULL);
			CHECK_EQ_U64(t->damaged, 1);
		}
		trace_close(t);
		if (fd >= 0)
			close(fd);
	}
	xfree(&x);
}

/* trace_open skips damage before the header (trace.h) and counts it. */
static void
garbage_before_the_header_is_skipped(void)
{
	static const char g1[] = "this is not a trace\n";
	static const char g2[] = "GHR1\xff\xff\xff\xff\xff\xff\xff\xff"
	    "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff more junk GH";
	static const char g3[] = "GH";
	const char *g[] = { g1, g2, g3 };
	size_t glen[] = { sizeof g1 - 1, sizeof g2 - 1, sizeof g3 - 1 };
	struct xtrace x;
	char err[512];

	if (build_small(&x, 13) != 0) {
		xfree(&x);
		return;
	}
	for (int k = 0; k < 3; k++) {
		uint8_t *buf = malloc(glen[k] + x.len);
		if (buf == NULL)
			abort();
		memcpy(buf, g[k], glen[k]);
		memcpy(buf + glen[k], x.buf, x.len);
		int fd = temp_file(buf, glen[k] + x.len);
		free(buf);
		err[0] = '\0';
		struct trace_reader *t = fd < 0 ? NULL :
		    trace_open(fd, err, sizeof err);
		if (CHECK(t != NULL)) {
			CHECK_EQ_U64(t->damaged, 1);
			if (read_frames(t, &x, 0, 50))
				expect_ev(t, TEV_END, NULL);
		} else {
			FAIL("garbage %d: %s", k, err);
		}
		trace_close(t);
		if (fd >= 0)
			close(fd);
	}
	xfree(&x);
}

static void
stream_without_a_header_is_refused(void)
{
	struct xtrace x;
	char err[512];
	static const char junk[] = "no records here at all";

	if (build_small(&x, 17) != 0) {
		xfree(&x);
		return;
	}
	struct { const uint8_t *p; size_t len; const char *want; } s[] = {
		{ x.buf + x.hdr_len, x.len - x.hdr_len,
		  "no trace header: the stream starts with frame 1000" },
		{ x.buf, 0, "no trace header" },
		{ (const uint8_t *)junk, sizeof junk - 1, "no trace header" },
		{ x.buf, x.hdr_len / 2, "no trace header" },
	};
	for (size_t k = 0; k < sizeof s / sizeof s[0]; k++) {
		int fd = temp_file(s[k].p, s[k].len);
		if (fd < 0)
			break;
		strcpy(err, "(unset)");
		struct trace_reader *t = trace_open(fd, err, sizeof err);
		if (!CHECK(t == NULL))
			trace_close(t);
		else if (strstr(err, s[k].want) == NULL)
			FAIL("stream %zu: [%s], want [%s] in it", k, err, s[k].want);
		close(fd);
	}
	xfree(&x);
}

static void
second_header_switches_layout_and_state(void)
{
	struct xtrace a, b;
	char err[512];

	seed(21);
	if (build(&a, gen_layout(), 30, 7, TRACE_RUNS_MAX, 0) != 0)
		return;
	/* A different layout; frame numbers go on where A's stopped. */
	char *jb;
	do {
		jb = gen_layout();
		struct layout *l = layout_parse(jb, strlen(jb), "x", err, sizeof err);
		size_t sz = l ? l->blob_size : 0;
		layout_free(l);
		if (sz != a.size)
			break;
		free(jb);
	} while (1);
	if (build(&b, jb, 30, 4, TRACE_RUNS_MAX, 30) != 0) {
		xfree(&a);
		return;
	}
	uint8_t *buf = malloc(a.len + b.len);
	if (buf == NULL)
		abort();
	memcpy(buf, a.buf, a.len);
	memcpy(buf + a.len, b.buf, b.len);
	int fd = temp_file(buf, a.len + b.len);
	free(buf);
	struct trace_reader *t = fd < 0 ? NULL : trace_open(fd, err, sizeof err);
	if (CHECK(t != NULL) && read_frames(t, &a, 0, 30)) {
		CHECK_EQ_INT(trace_keyframe_interval(t), 7);
		if (read_frames(t, &b, 0, 30)) {
			CHECK_EQ_STR(t->layout->json, b.json);
			CHECK_EQ_INT(t->layout->blob_size, b.size);
			CHECK_EQ_INT(trace_keyframe_interval(t), 4);
			expect_ev(t, TEV_END, NULL);
			CHECK_EQ_U64(t->frames, 60);
			CHECK_EQ_U64(t->damaged, 0);
			CHECK_EQ_U64(t->lost, 0);
		}
	}
	trace_close(t);
	if (fd >= 0)
		close(fd);
	xfree(&a);
	xfree(&b);
}

/* trace_sync finds the runs trace_diff finds, leaves OLD equal to CUR and
 * adds BASE to the offsets; and trace_hash_update, rehashing only the
 * blocks those runs touch, gives trace_hash of the new state, frame after
 * frame, whatever the sizes (blocks cut short at the end included). */
static void
sync_and_incremental_hash_match(void)
{
	seed(77);
	for (int round = 0; round < 100; round++) {
		size_t size = 1 + rn(round < 50 ? 300 : 70000);
		uint8_t *a = malloc(size), *b = malloc(size), *a2 = malloc(size);
		long max = trace_runs_max(size);
		struct trace_run *r1 = malloc(sizeof *r1 * (size_t)max);
		struct trace_run *r2 = malloc(sizeof *r2 * (size_t)max);
		struct trace_hash_cache hc;
		if (!CHECK(trace_hash_cache_init(&hc, size) == 0))
			return;
		for (size_t i = 0; i < size; i++)
			a[i] = b[i] = (uint8_t)rn(4);
		CHECK_EQ_U64(trace_hash_update(&hc, a, NULL, 0), trace_hash(a, size));
		for (int frame = 0; frame < 5; frame++) {
			uint32_t changes = rn((uint32_t)size / 8 + 2);
			for (uint32_t k = 0; k < changes; k++)
				b[rn((uint32_t)size)] ^= (uint8_t)(1 + rn(255));
			memcpy(a2, a, size);
			long n1 = trace_diff(a, b, size, r1, max);
			long n2 = trace_sync(a2, b, size, 1000, r2, max);
			CHECK_EQ_INT(n2, n1);
			CHECK_EQ_MEM(a2, b, size);
			for (long i = 0; i < n1 && i < n2; i++) {
				CHECK_EQ_INT(r2[i].off, r1[i].off + 1000);
				CHECK_EQ_INT(r2[i].len, r1[i].len);
			}
			memcpy(a, b, size);
			if (!CHECK_EQ_U64(trace_hash_update(&hc, a, r1, n1),
			    trace_hash(a, size)))
				break;
		}
		/* Over the limit: -1, and still synced. */
		memcpy(a2, a, size);
		for (uint32_t k = 0; k < 40; k++)
			b[rn((uint32_t)size)] ^= 0x5a;
		long n1 = trace_diff(a2, b, size, r1, max);
		if (n1 > 1) {
			CHECK_EQ_INT(trace_sync(a2, b, size, 0, r2, n1 - 1), -1);
			CHECK_EQ_MEM(a2, b, size);
			/* Too many runs to list: every block again. */
			CHECK_EQ_U64(trace_hash_update(&hc, a2, NULL, -1),
			    trace_hash(b, size));
		}
		trace_hash_cache_free(&hc);
		free(a);
		free(b);
		free(a2);
		free(r1);
		free(r2);
	}
}

static const struct unit_case cases[] = {
	UNIT_CASE(sync_and_incremental_hash_match),
	UNIT_CASE(random_round_trips_through_files_and_pipes),
	UNIT_CASE(diff_runs_cover_exactly_the_changes),
	UNIT_CASE(diff_merges_gaps_under_trace_run_gap),
	UNIT_CASE(diff_overflows_past_trace_runs_max),
	UNIT_CASE(flipped_byte_loses_frames_until_the_next_keyframe),
	UNIT_CASE(bad_zstd_frame_loses_frames_until_the_next_keyframe),
	UNIT_CASE(damaged_keyframe_loses_frames_until_the_next),
	UNIT_CASE(truncated_trace_gives_every_whole_frame_then_damage_then_end),
	UNIT_CASE(garbage_before_the_header_is_skipped),
	UNIT_CASE(stream_without_a_header_is_refused),
	UNIT_CASE(second_header_switches_layout_and_state),
};

int
main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, UNIT_NCASES(cases));
}
