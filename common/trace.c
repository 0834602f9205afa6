/* Trace records (see trace.h): packing frames and headers with protobuf-c
 * into rec.h envelopes, and reading them back into states. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
/* XXH3 inlined: no run-time dependency on libxxhash. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "alloc.h"
#include "trace.h"
#include "trace.pb-c.h"

typedef Gamehook__Trace__Frame PbFrame;
typedef Gamehook__Trace__Input PbInput;
typedef Gamehook__Trace__Header PbHeader;

struct frame_msgs {
	PbFrame f;
	PbInput in[TRACE_INPUTS_MAX];
	PbInput *inp[TRACE_INPUTS_MAX];
	Gamehook__Trace__ScreenRow sr[TRACE_SCREEN_ROWS_MAX];
	Gamehook__Trace__ScreenRow *srp[TRACE_SCREEN_ROWS_MAX];
};

/* --- writer -------------------------------------------------------------- */

static inline int
block_equal(const uint8_t *a, const uint8_t *b)
{
	uint64_t x = 0;
	for (int k = 0; k < 8; k++) {
		uint64_t u, v;
		memcpy(&u, a + 8 * k, 8);
		memcpy(&v, b + 8 * k, 8);
		x |= u ^ v;
	}
	return x == 0;
}

/* The next run of changed bytes at or after *AT: returns 0 when there is
 * none, else 1 with the run at [*AT, *LAST] (changes closer than
 * TRACE_RUN_GAP merged). */
static inline int
next_run(const uint8_t *old, const uint8_t *cur, size_t size, size_t *at,
    size_t *last)
{
	size_t i = *at;

	for (;;) {
		while (i + 64 <= size && block_equal(old + i, cur + i))
			i += 64;
		size_t stop = i + 64 < size ? i + 64 : size;
		while (i < stop && old[i] == cur[i])
			i++;
		if (i >= size)
			return 0;
		if (i < stop)
			break;
	}
	size_t l = i, j = i + 1;
	while (j < size && j - l <= TRACE_RUN_GAP) {
		if (old[j] != cur[j])
			l = j;
		j++;
	}
	*at = i;
	*last = l;
	return 1;
}

long
trace_diff(const uint8_t *old, const uint8_t *cur, size_t size,
    struct trace_run *runs, long max)
{
	size_t i = 0, last;
	long n = 0;

	while (next_run(old, cur, size, &i, &last)) {
		if (n == max)
			return -1;
		runs[n].off = (uint32_t)i;
		runs[n].len = (uint32_t)(last - i + 1);
		n++;
		i = last + 1;
	}
	return n;
}

static uint64_t
block_hash(const uint8_t *state, size_t size, size_t i)
{
	size_t off = i * TRACE_HASH_BLOCK;
	size_t n = size - off < TRACE_HASH_BLOCK ? size - off : TRACE_HASH_BLOCK;
	return XXH3_64bits(state + off, n);
}

uint64_t
trace_hash(const uint8_t *state, size_t size)
{
	XXH3_state_t st;
	size_t nb = (size + TRACE_HASH_BLOCK - 1) / TRACE_HASH_BLOCK;

	uint64_t h[512];     /* little-endian host: as bytes, as they are */
	size_t k = 0;

	XXH3_64bits_reset(&st);
	for (size_t i = 0; i < nb; i++) {
		h[k++] = block_hash(state, size, i);
		if (k == sizeof h / sizeof h[0] || i + 1 == nb) {
			XXH3_64bits_update(&st, h, k * sizeof h[0]);
			k = 0;
		}
	}
	return XXH3_64bits_digest(&st);
}

int
trace_hash_cache_init(struct trace_hash_cache *c, size_t size)
{
	c->size = size;
	c->nblocks = (size + TRACE_HASH_BLOCK - 1) / TRACE_HASH_BLOCK;
	c->h = gh_calloc(c->nblocks ? c->nblocks : 1, sizeof *c->h);
	c->valid = 0;
	return c->h ? 0 : -1;
}

void
trace_hash_cache_free(struct trace_hash_cache *c)
{
	gh_free(c->h);
	c->h = NULL;
}

uint64_t
trace_hash_update(struct trace_hash_cache *c, const uint8_t *state,
    const struct trace_run *runs, long nruns)
{
	if (!c->valid || nruns < 0) {
		for (size_t i = 0; i < c->nblocks; i++)
			c->h[i] = block_hash(state, c->size, i);
		c->valid = 1;
	} else {
		size_t done = SIZE_MAX;   /* the last block rehashed */
		for (long r = 0; r < nruns; r++) {
			size_t a = runs[r].off / TRACE_HASH_BLOCK;
			size_t b = (runs[r].off + (size_t)runs[r].len - 1) /
			    TRACE_HASH_BLOCK;
			for (size_t i = a; i <= b && i < c->nblocks; i++) {
				if (i == done)
					continue;
				c->h[i] = block_hash(state, c->size, i);
				done = i;
			}
		}
	}
	return XXH3_64bits(c->h, c->nblocks * sizeof *c->h);
}

long
trace_sync(uint8_t *old, const uint8_t *cur, size_t size, size_t base,
    struct trace_run *runs, long max)
{
	size_t i = 0, last;
	long n = 0;

	while (next_run(old, cur, size, &i, &last)) {
		memcpy(old + i, cur + i, last - i + 1);
		if (n >= 0 && n < max) {
			runs[n].off = (uint32_t)(base + i);
			runs[n].len = (uint32_t)(last - i + 1);
			n++;
		} else {
			n = -1;   /* keep syncing; the caller makes a keyframe */
		}
		i = last + 1;
	}
	return n;
}

long
trace_runs_max(size_t size)
{
	return (long)(size / (TRACE_RUN_GAP + 1)) + 1;
}

/* Free what trace_packer_init allocated, the zstd context aside. */
static void
packer_release(struct trace_packer *p)
{
	gh_free(p->proto);
	gh_free(p->msgs);
	gh_free(p->gaps);
	gh_free(p->lens);
	gh_free(p->data);
	memset(p, 0, sizeof *p);
}

int
trace_packer_init(struct trace_packer *p, size_t state_size)
{
	memset(p, 0, sizeof *p);
	p->state_size = state_size;
	p->max_runs = trace_runs_max(state_size);
	/* A delta is never bigger than a keyframe plus its run table. */
	p->proto_cap = state_size + (size_t)p->max_runs * 10 +
	    (size_t)TRACE_INPUTS_MAX * 200 + 4096 + TRACE_SCREEN_BYTES_MAX +
	    (size_t)TRACE_SCREEN_ROWS_MAX * 16;
	p->proto = gh_malloc(p->proto_cap);
	p->msgs = gh_calloc(1, sizeof(struct frame_msgs));
	p->gaps = gh_malloc(sizeof *p->gaps * (size_t)p->max_runs);
	p->lens = gh_malloc(sizeof *p->lens * (size_t)p->max_runs);
	p->data = gh_malloc(state_size ? state_size : 1);
	if (p->proto == NULL || p->msgs == NULL || p->gaps == NULL ||
	    p->lens == NULL || p->data == NULL ||
	    rec_packer_init(&p->rec, REC_LEVEL_DEFAULT) != 0) {
		packer_release(p);
		return -1;
	}
	struct frame_msgs *m = p->msgs;
	for (int i = 0; i < TRACE_INPUTS_MAX; i++) {
		gamehook__trace__input__init(&m->in[i]);
		m->inp[i] = &m->in[i];
	}
	for (int i = 0; i < TRACE_SCREEN_ROWS_MAX; i++) {
		gamehook__trace__screen_row__init(&m->sr[i]);
		m->srp[i] = &m->sr[i];
	}
	return 0;
}

void
trace_packer_free(struct trace_packer *p)
{
	if (p->proto == NULL)
		return;
	rec_packer_free(&p->rec);
	packer_release(p);
}

int
trace_packer_pixels(struct trace_packer *p, size_t bytes)
{
	uint8_t *q = gh_realloc(p->proto, p->proto_cap + bytes + 64);
	if (q == NULL)
		return -1;
	p->proto = q;
	p->proto_cap += bytes + 64;
	return 0;
}

size_t
trace_record_bound(const struct trace_packer *p)
{
	return rec_bound(p->proto_cap);
}

size_t
trace_pack_header(struct trace_packer *p, const struct trace_header_info *h,
    void *out, size_t cap)
{
	PbHeader m = GAMEHOOK__TRACE__HEADER__INIT;

	m.has_format_version = 1;
	m.format_version = TRACE_FORMAT_VERSION;
	m.exe = (char *)h->exe;
	m.build_id = (char *)h->build_id;
	m.layout_json = (char *)h->layout_json;
	m.layout_source = (char *)h->layout_source;
	m.has_keyframe_interval = 1;
	m.keyframe_interval = h->keyframe_interval;
	m.has_seeded = 1;
	m.seeded = h->seeded;
	m.has_seed = h->seeded;
	m.seed = h->seed;
	m.has_clock_rate = 1;
	m.clock_rate = h->clock_rate;
	m.has_start_frame = 1;
	m.start_frame = h->start_frame;
	m.has_start_vtime_ns = 1;
	m.start_vtime_ns = h->start_vtime_ns;
	m.has_start_unix_ns = 1;
	m.start_unix_ns = h->start_unix_ns;
	m.gamehook_version = (char *)h->version;
	m.has_state_size = 1;
	m.state_size = h->state_size;
	m.has_pid = 1;
	m.pid = h->pid;
	const struct trace_context *c = h->ctx;
	if (c != NULL) {
		for (; c->argv && c->argv[m.n_argv]; m.n_argv++)
			;
		for (; c->env && c->env[m.n_env]; m.n_env++)
			;
		for (; c->shim_env && c->shim_env[m.n_shim_env]; m.n_shim_env++)
			;
		m.argv = c->argv;
		m.env = c->env;
		m.shim_env = c->shim_env;
		m.cwd = (char *)(c->cwd ? c->cwd : "");
		m.term = (char *)c->term;
		m.has_term_cols = m.has_term_rows = c->cols && c->rows;
		m.term_cols = c->cols;
		m.term_rows = c->rows;
	}
	size_t len = gamehook__trace__header__get_packed_size(&m);
	void *buf = gh_malloc(len ? len : 1);
	if (buf == NULL)
		return 0;
	gamehook__trace__header__pack(&m, buf);
	size_t n = rec_pack(&p->rec, REC_HEADER, 0, h->start_frame, buf, len,
	    out, cap);
	gh_free(buf);
	return n;
}

size_t
trace_pack_frame(struct trace_packer *p, const struct trace_frame_info *fi,
    void *out, size_t cap)
{
	struct frame_msgs *m = p->msgs;
	PbFrame *f = &m->f;

	const struct trace_run *runs = fi->runs;
	long nruns = fi->nruns;

	if (nruns > p->max_runs || fi->ninputs > TRACE_INPUTS_MAX ||
	    fi->ninputs < 0 || fi->nunreadable < 0)
		return 0;
	gamehook__trace__frame__init(f);
	f->has_frame = 1;
	f->frame = fi->frame;
	f->has_vtime_ns = 1;
	f->vtime_ns = fi->vtime_ns;
	f->has_keyframe = 1;
	f->keyframe = fi->keyframe != 0;
	f->has_state_hash = 1;
	f->state_hash = fi->has_hash ? fi->hash :
	    trace_hash(fi->state, p->state_size);
	if (fi->keyframe) {
		f->has_full = 1;
		f->full.data = (uint8_t *)fi->state;
		f->full.len = p->state_size;
	} else {
		size_t end = 0, n = 0;
		for (long i = 0; i < nruns; i++) {
			if (runs[i].off < end || runs[i].len == 0 ||
			    runs[i].off + (size_t)runs[i].len > p->state_size)
				return 0;
			p->gaps[i] = (uint32_t)(runs[i].off - end);
			p->lens[i] = runs[i].len;
			memcpy(p->data + n, fi->state + runs[i].off, runs[i].len);
			n += runs[i].len;
			end = runs[i].off + (size_t)runs[i].len;
		}
		f->n_delta_gaps = f->n_delta_lengths = (size_t)nruns;
		f->delta_gaps = p->gaps;
		f->delta_lengths = p->lens;
		f->has_delta_data = nruns > 0;
		f->delta_data.data = p->data;
		f->delta_data.len = n;
	}
	f->n_unreadable = (size_t)fi->nunreadable;
	f->unreadable = (uint32_t *)fi->unreadable;
	for (int i = 0; i < fi->ninputs; i++) {
		PbInput *in = &m->in[i];
		const struct trace_input *s = &fi->inputs[i];
		gamehook__trace__input__init(in);
		in->has_kind = 1;
		in->kind = (Gamehook__Trace__Input__Kind)s->kind;
		in->has_code = s->kind <= TI_KEYUP || s->kind == TI_KEY_PRESS ||
		    s->kind == TI_KEY_RELEASE;
		in->code = s->code;
		if (s->kind >= TI_KEY_PRESS) {
#define PB_SET(f) in->has_##f = s->f != 0; in->f = s->f;
			PB_SET(scancode) PB_SET(mod) PB_SET(x) PB_SET(y)
			PB_SET(button) PB_SET(wheel) PB_SET(sdl1_sym)
			PB_SET(x_keysym) PB_SET(unicode)
#undef PB_SET
			in->has_x = in->has_y = s->kind >= TI_MOUSE_MOVE &&
			    s->kind <= TI_WHEEL;
		}
		in->name = (char *)s->name;
		in->value = s->value[0] ? (char *)s->value : NULL;
		in->has_seq = s->seqlen > 0;
		in->seq.data = (uint8_t *)s->seq;
		in->seq.len = s->seqlen;
	}
	f->n_inputs = (size_t)fi->ninputs;
	f->inputs = m->inp;
	if (fi->screen != NULL) {
		const struct trace_screen *s = fi->screen;
		if (s->nrows > TRACE_SCREEN_ROWS_MAX)
			return 0;
		f->has_screen_height = 1;
		f->screen_height = s->height;
		f->has_screen_cursor_row = f->has_screen_cursor_col = 1;
		f->screen_cursor_row = s->cursor_row;
		f->screen_cursor_col = s->cursor_col;
		for (int i = 0; i < s->nrows; i++) {
			m->sr[i].has_row = 1;
			m->sr[i].row = s->rows[i].row;
			m->sr[i].text = (char *)s->rows[i].text;
			m->sr[i].attrs = (char *)s->rows[i].attrs;
		}
		f->n_screen = (size_t)s->nrows;
		f->screen = m->srp;
	}
	if (fi->pixels != NULL) {
		const struct trace_pixels *px = fi->pixels;
		f->has_pixels_width = f->has_pixels_height = 1;
		f->has_pixels_channels = f->has_pixels = 1;
		f->has_pixels_xor = f->has_pixels_frame = 1;
		f->pixels_width = px->width;
		f->pixels_height = px->height;
		f->pixels_channels = px->channels;
		f->pixels_xor = px->xor != 0;
		f->pixels_frame = px->frame;
		f->pixels.data = (uint8_t *)px->data;
		f->pixels.len = (size_t)px->width * px->height * px->channels;
	}
	size_t len = gamehook__trace__frame__get_packed_size(f);
	if (len > p->proto_cap)
		return 0;
	gamehook__trace__frame__pack(f, p->proto);
	return rec_pack(&p->rec, REC_FRAME, fi->keyframe ? REC_KEYFRAME : 0,
	    fi->frame, p->proto, len, out, cap);
}

/* --- reader -------------------------------------------------------------- */

static int
take_header(struct trace_reader *t, const struct rec *r, char *err,
    size_t errlen)
{
	PbHeader *h = gamehook__trace__header__unpack(NULL, r->data_len, r->data);
	if (h == NULL) {
		snprintf(err, errlen, "header at offset %llu does not decode",
		    (unsigned long long)r->offset);
		return -1;
	}
	struct layout *l = NULL;
	if (h->layout_json != NULL) {
		l = layout_parse(h->layout_json, strlen(h->layout_json),
		    h->layout_source ? h->layout_source : "(trace)", t->layout_err,
		    sizeof t->layout_err);
	}
	if (l == NULL || !h->has_state_size || l->blob_size != h->state_size) {
		snprintf(err, errlen, "the trace's layout is unusable: %s",
		    l == NULL ? (h->layout_json ? t->layout_err : "none") :
		    "its size disagrees with the header's");
		layout_free(l);
		gamehook__trace__header__free_unpacked(h, NULL);
		return -1;
	}
	uint8_t *st = gh_calloc(1, l->blob_size ? l->blob_size : 1);
	uint8_t *un = gh_calloc(1, (size_t)l->nfields);
	if (st == NULL || un == NULL) {
		gh_free(st);
		gh_free(un);
		layout_free(l);
		gamehook__trace__header__free_unpacked(h, NULL);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (t->header)
		gamehook__trace__header__free_unpacked(t->header, NULL);
	layout_free(t->layout);
	gh_free(t->state);
	gh_free(t->unreadable);
	t->header = h;
	t->layout = l;
	t->state = st;
	t->unreadable = un;
	t->state_size = l->blob_size;
	t->state_ok = 0;
	t->last_frame = -1;
	t->pix_ok = 0;
	return 0;
}

struct trace_reader *
trace_open(int fd, char *err, size_t errlen)
{
	struct trace_reader *t = gh_calloc(1, sizeof *t);
	struct rec r;

	if (t == NULL || (t->rr = rec_reader_open(fd)) == NULL) {
		snprintf(err, errlen, "out of memory");
		gh_free(t);
		return NULL;
	}
	t->last_frame = -1;
	for (;;) {
		enum rec_status s = rec_next(t->rr, &r);
		if (s == REC_OK && r.kind == REC_HEADER) {
			if (take_header(t, &r, err, errlen) != 0)
				break;
			return t;
		}
		if (s == REC_OK && r.kind == REC_FRAME) {
			snprintf(err, errlen, "no trace header: the stream starts "
			    "with frame %lld", (long long)r.frame);
			break;
		}
		if (s == REC_END) {
			snprintf(err, errlen, "empty: no trace header");
			break;
		}
		if (s == REC_TRUNCATED || s == REC_IOERR) {
			snprintf(err, errlen, "no trace header: %s", r.why);
			break;
		}
		if (s == REC_DAMAGED)
			t->damaged++;
	}
	trace_close(t);
	return NULL;
}

void
trace_close(struct trace_reader *t)
{
	if (t == NULL)
		return;
	if (t->frame_msg)
		gamehook__trace__frame__free_unpacked(t->frame_msg, NULL);
	if (t->header)
		gamehook__trace__header__free_unpacked(t->header, NULL);
	rec_reader_close(t->rr);
	layout_free(t->layout);
	gh_free(t->state);
	gh_free(t->unreadable);
	gh_free(t->pix);
	gh_free(t);
}

/* Apply frame F to the state; returns 0, or -1 with t->why set. */
static int
apply(struct trace_reader *t, const PbFrame *f)
{
	if (f->keyframe) {
		if (!f->has_full || f->full.len != t->state_size) {
			snprintf(t->why, sizeof t->why, "frame %lld: keyframe of %zu "
			    "bytes, the state has %zu", (long long)f->frame,
			    f->has_full ? f->full.len : 0, t->state_size);
			return -1;
		}
		memcpy(t->state, f->full.data, t->state_size);
	} else {
		if (!t->state_ok || f->frame == INT64_MIN ||
		    t->last_frame != f->frame - 1) {
			if (f->frame == INT64_MIN)
				snprintf(t->why, sizeof t->why, "frame %lld: a delta "
				    "first of all; lost until the next keyframe",
				    (long long)f->frame);
			else
				snprintf(t->why, sizeof t->why, "frame %lld: a delta "
				    "without frame %lld; lost until the next "
				    "keyframe", (long long)f->frame,
				    (long long)(f->frame - 1));
			return -1;
		}
		size_t at = 0, used = 0;
		if (f->n_delta_gaps != f->n_delta_lengths) {
			snprintf(t->why, sizeof t->why, "frame %lld: %zu delta gaps "
			    "but %zu lengths", (long long)f->frame,
			    f->n_delta_gaps, f->n_delta_lengths);
			return -1;
		}
		for (size_t i = 0; i < f->n_delta_gaps; i++) {
			size_t gap = f->delta_gaps[i], len = f->delta_lengths[i];
			if (gap > t->state_size - at || len > t->state_size - at - gap ||
			    len > f->delta_data.len - used) {
				snprintf(t->why, sizeof t->why, "frame %lld: delta run "
				    "%zu (+%zu, %zu bytes) lies outside the %zu-byte "
				    "state or its data", (long long)f->frame, i, gap,
				    len, t->state_size);
				return -1;
			}
			at += gap;
			memcpy(t->state + at, f->delta_data.data + used, len);
			at += len;
			used += len;
		}
	}
	if (f->has_state_hash &&
	    f->state_hash != trace_hash(t->state, t->state_size)) {
		snprintf(t->why, sizeof t->why, "frame %lld: the state's hash "
		    "does not match", (long long)f->frame);
		return -1;
	}
	memset(t->unreadable, 0, (size_t)t->layout->nfields);
	for (size_t i = 0; i < f->n_unreadable; i++)
		if (f->unreadable[i] < (uint32_t)t->layout->nfields)
			t->unreadable[f->unreadable[i]] = 1;
	return 0;
}

/* Bring the reader's picture up to F's, when F carries one. */
static void
take_pixels(struct trace_reader *t, const PbFrame *f)
{
	if (!f->has_pixels)
		return;
	size_t n = (size_t)f->pixels_width * f->pixels_height *
	    f->pixels_channels;
	if (n == 0 || f->pixels.len != n) {
		t->pix_ok = 0;
		return;
	}
	if (f->pixels_xor) {
		if (!t->pix_ok || t->pix_w != f->pixels_width ||
		    t->pix_h != f->pixels_height ||
		    t->pix_ch != f->pixels_channels) {
			t->pix_ok = 0;
			return;
		}
		for (size_t i = 0; i < n; i++)
			t->pix[i] ^= f->pixels.data[i];
		return;
	}
	if (n > t->pix_cap) {
		uint8_t *q = gh_realloc(t->pix, n);
		if (q == NULL) {
			t->pix_ok = 0;
			return;
		}
		t->pix = q;
		t->pix_cap = n;
	}
	memcpy(t->pix, f->pixels.data, n);
	t->pix_w = f->pixels_width;
	t->pix_h = f->pixels_height;
	t->pix_ch = f->pixels_channels;
	t->pix_ok = 1;
}

int
trace_frame_has_pixels(const struct trace_reader *t)
{
	const PbFrame *f = t->frame_msg;
	return f != NULL && f->has_pixels;
}

const uint8_t *
trace_pixels(const struct trace_reader *t, uint32_t *w, uint32_t *h,
    uint32_t *ch, int64_t *at)
{
	const PbFrame *f = t->frame_msg;
	if (f == NULL || !f->has_pixels || !t->pix_ok)
		return NULL;
	*w = t->pix_w;
	*h = t->pix_h;
	*ch = t->pix_ch;
	*at = f->has_pixels_frame ? f->pixels_frame : f->frame;
	return t->pix;
}

enum trace_ev
trace_next(struct trace_reader *t)
{
	struct rec r;
	char err[256];

	for (;;) {
		enum rec_status s = rec_next(t->rr, &r);
		t->offset = r.offset;
		t->why[0] = '\0';
		switch (s) {
		case REC_END:
			return TEV_END;
		case REC_IOERR:
			snprintf(t->why, sizeof t->why, "%s", r.why);
			return TEV_ERROR;
		case REC_DAMAGED:
		case REC_TRUNCATED:
			/* The state stays: if a frame was lost with the bytes,
			 * the next delta does not follow on and is lost until a
			 * keyframe; if not, nothing is. */
			t->damaged++;
			snprintf(t->why, sizeof t->why, "%s", r.why);
			return TEV_DAMAGE;
		case REC_OK:
			break;
		}
		if (r.kind == REC_HEADER) {
			/* Recording started again: a new header, a new state. */
			if (take_header(t, &r, err, sizeof err) != 0) {
				snprintf(t->why, sizeof t->why, "%s", err);
				return TEV_ERROR;
			}
			continue;
		}
		if (r.kind != REC_FRAME)
			continue;   /* a kind from a later version */
		if (t->frame_msg)
			gamehook__trace__frame__free_unpacked(t->frame_msg, NULL);
		PbFrame *f = gamehook__trace__frame__unpack(NULL, r.data_len, r.data);
		t->frame_msg = f;
		t->payload_len = r.payload_len;
		t->data_len = r.data_len;
		if (f == NULL) {
			t->damaged++;
			t->state_ok = 0;
			snprintf(t->why, sizeof t->why, "frame %lld: the record does "
			    "not decode as a Frame", (long long)r.frame);
			return TEV_DAMAGE;
		}
		t->frame = f->frame;
		t->vtime_ns = f->vtime_ns;
		t->keyframe = f->keyframe;
		t->frames++;
		t->keyframes += f->keyframe != 0;
		t->bytes_payload += r.payload_len;
		t->bytes_data += r.data_len;
		if (apply(t, f) != 0) {
			t->state_ok = 0;
			t->lost++;
		} else {
			t->state_ok = 1;
			t->last_frame = f->frame;
		}
		take_pixels(t, f);
		return TEV_FRAME;
	}
}

int
trace_seek(struct trace_reader *t, int fd, uint64_t offset)
{
	struct rec_reader *rr;

	if (offset > (uint64_t)INT64_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (lseek(fd, (off_t)offset, SEEK_SET) < 0)
		return -1;
	if ((rr = rec_reader_open(fd)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	rec_reader_close(t->rr);
	t->rr = rr;
	t->state_ok = 0;
	t->last_frame = -1;
	return 0;
}

const char *
trace_exe(const struct trace_reader *t)
{
	const PbHeader *h = t->header;
	return h->exe ? h->exe : "";
}

const char *
trace_build_id(const struct trace_reader *t)
{
	const PbHeader *h = t->header;
	return h->build_id ? h->build_id : "";
}

uint32_t
trace_keyframe_interval(const struct trace_reader *t)
{
	const PbHeader *h = t->header;
	return h->keyframe_interval;
}

int
trace_screen(const struct trace_reader *t, uint32_t *height,
    uint32_t *cursor_row, uint32_t *cursor_col)
{
	const PbFrame *f = t->frame_msg;
	if (f == NULL || !f->has_screen_height)
		return -1;
	*height = f->screen_height;
	*cursor_row = f->screen_cursor_row;
	*cursor_col = f->screen_cursor_col;
	return (int)f->n_screen;
}

const char *
trace_screen_row(const struct trace_reader *t, int i, uint32_t *row,
    const char **attrs)
{
	const PbFrame *f = t->frame_msg;
	if (f == NULL || i < 0 || (size_t)i >= f->n_screen)
		return NULL;
	*row = f->screen[i]->row;
	*attrs = f->screen[i]->attrs ? f->screen[i]->attrs : "";
	return f->screen[i]->text ? f->screen[i]->text : "";
}

int
trace_ninputs(const struct trace_reader *t)
{
	const PbFrame *f = t->frame_msg;
	return f ? (int)f->n_inputs : 0;
}

const struct trace_input *
trace_input(const struct trace_reader *t, int i, struct trace_input *buf)
{
	const PbFrame *f = t->frame_msg;
	const PbInput *in = f->inputs[i];

	memset(buf, 0, sizeof *buf);
	buf->kind = in->has_kind ? (int)in->kind : 0;
	buf->code = in->code;
	snprintf(buf->name, sizeof buf->name, "%s", in->name ? in->name : "");
	snprintf(buf->value, sizeof buf->value, "%s", in->value ? in->value : "");
	buf->seqlen = (uint8_t)(in->seq.len < sizeof buf->seq ? in->seq.len :
	    sizeof buf->seq);
	if (buf->seqlen)
		memcpy(buf->seq, in->seq.data, buf->seqlen);
	buf->scancode = in->scancode;
	buf->mod = in->mod;
	buf->x = in->x;
	buf->y = in->y;
	buf->button = in->button;
	buf->wheel = in->wheel;
	buf->sdl1_sym = in->sdl1_sym;
	buf->x_keysym = in->x_keysym;
	buf->unicode = in->unicode;
	return buf;
}

uint64_t
trace_state_hash(const struct trace_reader *t)
{
	const PbFrame *f = t->frame_msg;
	return f && f->has_state_hash ? f->state_hash : 0;
}

int
trace_seed(const struct trace_reader *t, uint64_t *seed)
{
	const PbHeader *h = t->header;
	*seed = h->seed;
	return h->has_seeded && h->seeded;
}

int64_t
trace_start_frame(const struct trace_reader *t)
{
	const PbHeader *h = t->header;
	return h->start_frame;
}

int
trace_context(const struct trace_reader *t, struct trace_context *c)
{
	const PbHeader *h = t->header;

	memset(c, 0, sizeof *c);
	if (h->cwd == NULL)
		return 0;
	c->argv = gh_calloc(h->n_argv + 1, sizeof *c->argv);
	c->env = gh_calloc(h->n_env + 1, sizeof *c->env);
	c->shim_env = gh_calloc(h->n_shim_env + 1, sizeof *c->shim_env);
	if (c->argv == NULL || c->env == NULL || c->shim_env == NULL) {
		trace_context_free(c);
		return -1;
	}
	memcpy(c->argv, h->argv, h->n_argv * sizeof *c->argv);
	memcpy(c->env, h->env, h->n_env * sizeof *c->env);
	memcpy(c->shim_env, h->shim_env, h->n_shim_env * sizeof *c->shim_env);
	c->cwd = h->cwd;
	c->term = h->term;
	if (h->has_term_cols && h->has_term_rows) {
		c->cols = h->term_cols;
		c->rows = h->term_rows;
	}
	return 1;
}

void
trace_context_free(struct trace_context *c)
{
	gh_free(c->argv);
	gh_free(c->env);
	gh_free(c->shim_env);
	memset(c, 0, sizeof *c);
}
