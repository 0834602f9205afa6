/* dumper cat: a trace as JSON Lines, one line per frame whose state is
 * known, with its inputs and its whole state, or (--delta) the values that
 * changed since the line before. --from/--to pick frames; on a regular
 * file --from starts decoding at the last keyframe at or before it. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dumper.h"

struct delta_out {
	struct sbuf *b;
	int n;                  /* keys written */
};

static void
delta_key(struct delta_out *d, const char *key)
{
	if (d->n++)
		sb_put(d->b, ",", 1);
	sb_json_str(d->b, key);
	sb_put(d->b, ":", 1);
}

/* NAME without a trailing "+N" into BASE; returns N, or -1 when none. */
static long
split_plus(const char *name, char *base, size_t len)
{
	const char *plus = strrchr(name, '+');
	size_t k = plus ? (size_t)(plus - name) : strlen(name);

	snprintf(base, len, "%.*s", (int)k, name);
	return plus ? strtol(plus + 1, NULL, 10) : -1;
}

/* The changed bytes of a byte block (|V) from I on, within the block at
 * START of SIZE bytes named PATH: "PATH+K":"hex". Returns where the run
 * ends. */
static size_t
bytes_run(struct delta_out *d, const char *path, size_t start, size_t size,
    size_t i, const uint8_t *old, const uint8_t *cur)
{
	char key[600];
	size_t j = i;

	while (j < start + size && old[j] != cur[j])
		j++;
	snprintf(key, sizeof key, "%s+%zu", path, i - start);
	delta_key(d, key);
	sb_put(d->b, "\"", 1);
	sb_hex(d->b, cur + i, j - i);
	sb_put(d->b, "\"", 1);
	return j;
}

/* The value at PATH, or null should it not render. */
static void
value_json(struct sbuf *b, const struct layout *l, const uint8_t *cur,
    const uint8_t *cun, const char *path)
{
	char err[256];

	if (layout_json_sb(b, l, cur, cun, path, err, sizeof err) != 0)
		sb_puts(b, "null");
}

static int
place(const struct layout *l, const char *path, const uint8_t *blob,
    struct lt_place *p, size_t *start)
{
	char err[256];

	if (layout_place(l, path, blob, p, err, sizeof err) != 0)
		return -1;
	*start = l->fields[p->field].blob_off + p->off;
	return 0;
}

/* What changed from OLD to CUR, as a JSON object: each changed scalar by
 * its path; strings whole; byte blocks as hex runs at "PATH+K"; a field
 * that became readable or unreadable whole; bytes past a counted array's
 * count (zeroed when it shrinks) not at all; anything else as hex under
 * the name layout_name_at gives it. */
static void
changed_json(struct sbuf *b, const struct layout *l, const uint8_t *old,
    const uint8_t *cur, const uint8_t *oun, const uint8_t *cun)
{
	struct delta_out d = { b, 0 };
	char name[512], base[512], nb[512];

	sb_put(b, "{", 1);
	for (int fi = 0; fi < l->nfields; fi++) {
		const struct lt_field *f = &l->fields[fi];
		if (oun[fi] != cun[fi]) {
			delta_key(&d, f->name);
			value_json(b, l, cur, cun, f->name);
			continue;
		}
		if (cun[fi])
			continue;
		size_t end = f->blob_off + f->extent;
		for (size_t i = f->blob_off; i < end;) {
			struct lt_place p;
			size_t start;
			if (old[i] == cur[i]) {
				i++;
				continue;
			}
			layout_name_at(l, i, name, sizeof name);
			if (place(l, name, cur, &p, &start) == 0) {
				if (p.type->kind == LT_BYTES) {
					i = bytes_run(&d, name, start, p.type->size, i,
					    old, cur);
					continue;
				}
				delta_key(&d, name);
				value_json(b, l, cur, cun, name);
				i = start + p.type->size;
				continue;
			}
			long k = split_plus(name, base, sizeof base);
			if (k >= 0 && place(l, base, cur, &p, &start) == 0 &&
			    (p.type->kind == LT_STR || p.type->kind == LT_BYTES)) {
				if (p.type->kind == LT_BYTES) {
					i = bytes_run(&d, base, start, p.type->size, i,
					    old, cur);
					continue;
				}
				delta_key(&d, base);
				value_json(b, l, cur, cun, base);
				i = start + p.type->size;
				continue;
			}
			if (place(l, base, NULL, &p, &start) == 0) {
				/* Past the count: not part of the state. */
				i = start + p.type->size > i ? start + p.type->size :
				    i + 1;
				continue;
			}
			/* Padding in a struct: the changed run as hex. */
			size_t j = i + 1;
			while (j < end && old[j] != cur[j]) {
				layout_name_at(l, j, nb, sizeof nb);
				char nbase[512];
				split_plus(nb, nbase, sizeof nbase);
				struct lt_place q;
				size_t qs;
				if (strcmp(nbase, base) != 0 ||
				    place(l, nb, NULL, &q, &qs) == 0)
					break;
				j++;
			}
			delta_key(&d, name);
			sb_put(b, "\"", 1);
			sb_hex(b, cur + i, j - i);
			sb_put(b, "\"", 1);
			i = j;
		}
	}
	sb_put(b, "}", 1);
}

int
cmd_cat(int argc, char **argv)
{
	const char *path = NULL;
	int delta = 0, has_from = 0, has_to = 0;
	int64_t from = 0, to = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		if (strcmp(a, "--delta") == 0) {
			delta = 1;
		} else if (strcmp(a, "--from") == 0 || strcmp(a, "--to") == 0) {
			if ((v = opt_value(argc, argv, &i, "cat")) == NULL)
				return EX_USAGE;
			int64_t *dst = a[2] == 'f' ? &from : &to;
			if (parse_int64(v, dst) != 0)
				return usage_error("cat", "%s takes a frame number, "
				    "not '%s'", a, v);
			*(a[2] == 'f' ? &has_from : &has_to) = 1;
		} else if (a[0] == '-' && a[1] != '\0') {
			return usage_error("cat", "unknown option '%s'", a);
		} else if (path == NULL) {
			path = a;
		} else {
			return usage_error("cat", "one trace at a time");
		}
	}
	if (path == NULL)
		return usage_error("cat", "which trace? (- for standard input)");

	struct input in;
	int r = -1;
	struct stat st;
	if (has_from && strcmp(path, "-") != 0 && stat(path, &st) == 0 &&
	    S_ISREG(st.st_mode)) {
		/* Only a regular file: opening a FIFO twice would lose data. */
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		uint64_t hdr, key;
		if (fd >= 0 && seek_plan(fd, from, &hdr, &key) == 0)
			r = in_open_at(&in, path, hdr, key);
		if (fd >= 0)
			close(fd);
	}
	if (r < 0)
		r = in_open(&in, path, 0);
	if (r) {
		in_close(&in);
		return r;
	}

	struct sbuf b = { 0 };
	uint8_t *prev = NULL, *prev_un = NULL;
	uint64_t prev_gen = 0;         /* in.headers when PREV was taken */
	int64_t prev_frame = 0;
	int have_prev = 0;
	enum trace_ev ev;
	while ((ev = in_next(&in)) != TEV_END && ev != TEV_ERROR) {
		const struct trace_reader *t = in.t;
		if (ev == TEV_FRAME && has_to && t->frame > to)
			break;
		if (ev != TEV_FRAME || !t->state_ok) {
			have_prev = 0;
			continue;
		}
		if (has_from && t->frame < from)
			continue;
		const struct layout *l = t->layout;
		sb_reset(&b);
		sb_printf(&b, "{\"frame\":%" PRId64 ",\"vtime_ns\":%" PRId64
		    ",\"keyframe\":%s,\"inputs\":", t->frame, t->vtime_ns,
		    t->keyframe ? "true" : "false");
		sb_inputs(&b, t);
		sb_screen(&b, t);
		if (delta && have_prev && prev_gen == in.headers &&
		    prev_frame == t->frame - 1) {
			sb_puts(&b, ",\"changed\":");
			changed_json(&b, l, prev, t->state, prev_un, t->unreadable);
		} else {
			sb_puts(&b, ",\"state\":");
			char err[256];
			layout_json_sb(&b, l, t->state, t->unreadable, NULL, err,
			    sizeof err);
		}
		sb_puts(&b, "}\n");
		need_text(&b);
		if (fwrite(b.p, 1, b.len, stdout) != b.len || fflush(stdout) != 0)
			break;
		if (delta) {
			if (prev == NULL || prev_gen != in.headers) {
				free(prev);
				free(prev_un);
				prev = malloc(t->state_size ? t->state_size : 1);
				prev_un = malloc((size_t)l->nfields);
				if (prev == NULL || prev_un == NULL) {
					dwarn("out of memory");
					r = EX_USAGE;
					break;
				}
				prev_gen = in.headers;
			}
			memcpy(prev, t->state, t->state_size);
			memcpy(prev_un, t->unreadable, (size_t)l->nfields);
			prev_frame = t->frame;
			have_prev = 1;
		}
	}
	if (ferror(stdout)) {
		dwarn("standard output: write error");
		r = EX_USAGE;
	}
	if (r == 0)
		r = ev == TEV_ERROR ? EX_USAGE : in.damage_seen ? EX_DAMAGED :
		    EX_CLEAN;
	free(prev);
	free(prev_un);
	sb_free(&b);
	in_close(&in);
	return r;
}
