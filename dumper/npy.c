/* dumper npy: a trace as numpy arrays, one .npy file (format 1.0) per
 * leaf of the layout with frames on the first axis, plus frame.npy,
 * vtime_ns.npy and unreadable.npy. The frame count is known only at the
 * end: each header is written with room for any count and rewritten. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "dumper.h"

/* Axes after the frame axis: the leaf's, and one for a byte block. */
#define NPY_MAXAXES (LT_MAXDIM + 1)

struct npy {
	FILE *f;
	char *path;
	char descr[24];
	int naxes;              /* after the frame axis */
	uint64_t axes[NPY_MAXAXES];
	size_t header_len;      /* total, a multiple of 64 */
	/* a leaf's values: type size, where, and how they repeat */
	size_t size, off;
	int ndim;
	uint32_t dims[LT_MAXDIM];
	size_t strides[LT_MAXDIM];
};

static void
npy_header(const struct npy *n, uint64_t frames, struct sbuf *b)
{
	sb_reset(b);
	sb_put(b, "\x93NUMPY\x01\x00\x00\x00", 10);
	sb_printf(b, "{'descr': '%s', 'fortran_order': False, 'shape': (%"
	    PRIu64 ",", n->descr, frames);
	for (int i = 0; i < n->naxes; i++)
		sb_printf(b, "%s%" PRIu64, i ? ", " : " ", n->axes[i]);
	sb_puts(b, "), }");
	size_t total = n->header_len ? n->header_len : (b->len + 1 + 63) / 64 * 64;
	while (b->len + 1 < total)
		sb_put(b, " ", 1);
	sb_put(b, "\n", 1);
	size_t hl = b->len - 10;
	b->p[8] = (char)(hl & 0xff);
	b->p[9] = (char)(hl >> 8);
}

static int
npy_open(struct npy *n, const char *dir, const char *name, struct sbuf *b)
{
	size_t len = strlen(dir) + strlen(name) + 8;

	n->path = malloc(len);
	if (n->path == NULL)
		return -1;
	snprintf(n->path, len, "%s/%s.npy", dir, name);
	if ((n->f = fopen(n->path, "wb")) == NULL)
		return -1;
	n->header_len = 0;
	npy_header(n, UINT64_MAX, b);
	n->header_len = b->len;
	need_text(b);
	return fwrite(b->p, 1, b->len, n->f) == b->len ? 0 : -1;
}

static int
npy_finish(struct npy *n, uint64_t frames, struct sbuf *b)
{
	int r = 0;

	if (n->f == NULL)
		return 0;
	npy_header(n, frames, b);
	need_text(b);
	if (b->len != n->header_len || fseek(n->f, 0, SEEK_SET) != 0 ||
	    fwrite(b->p, 1, b->len, n->f) != b->len)
		r = -1;
	if (fclose(n->f) != 0)
		r = -1;
	n->f = NULL;
	return r;
}

/* The leaf's values in STATE, in C order. */
static void
npy_leaf_values(const struct npy *n, const uint8_t *state, int dim,
    size_t off)
{
	if (dim == n->ndim) {
		fwrite(state + off, 1, n->size, n->f);
		return;
	}
	for (uint32_t i = 0; i < n->dims[dim]; i++)
		npy_leaf_values(n, state, dim + 1, off + i * n->strides[dim]);
}

static void
put_i64(FILE *f, int64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)((uint64_t)v >> (8 * i));
	fwrite(b, 1, 8, f);
}

int
cmd_npy(int argc, char **argv)
{
	const char *path = NULL, *dir = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
			if ((dir = opt_value(argc, argv, &i, "npy")) == NULL)
				return EX_USAGE;
		} else if (a[0] == '-' && a[1] != '\0') {
			return usage_error("npy", "unknown option '%s'", a);
		} else if (path == NULL) {
			path = a;
		} else {
			return usage_error("npy", "one trace at a time");
		}
	}
	if (path == NULL)
		return usage_error("npy", "which trace? (- for standard input)");
	if (dir == NULL)
		return usage_error("npy", "where to? (-o DIR)");

	struct input in;
	int r = in_open(&in, path, 0);
	if (r) {
		in_close(&in);
		return r;
	}
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		dwarn("%s: %s", dir, strerror(errno));
		in_close(&in);
		return EX_USAGE;
	}
	/* A file per leaf, open together. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	const struct layout *l = in.t->layout;
	char *layout_json0 = strdup(l->json);
	int nfiles = l->nleaves + 3;
	struct npy *files = calloc((size_t)nfiles, sizeof *files);
	struct sbuf b = { 0 };
	if (files == NULL || layout_json0 == NULL) {
		dwarn("out of memory");
		in_close(&in);
		return EX_USAGE;
	}
	struct npy *nframe = &files[0], *nvtime = &files[1], *nun = &files[2];
	snprintf(nframe->descr, sizeof nframe->descr, "<i8");
	snprintf(nvtime->descr, sizeof nvtime->descr, "<i8");
	snprintf(nun->descr, sizeof nun->descr, "|b1");
	nun->naxes = 1;
	nun->axes[0] = (uint64_t)l->nfields;
	const char *names[] = { "frame", "vtime_ns", "unreadable" };
	r = 0;
	for (int i = 0; i < 3 && r == 0; i++)
		if (npy_open(&files[i], dir, names[i], &b) != 0) {
			dwarn("%s: %s", files[i].path ? files[i].path : dir,
			    strerror(errno));
			r = EX_USAGE;
		}
	for (int i = 0; i < l->nleaves && r == 0; i++) {
		const struct lt_leaf *lf = &l->leaves[i];
		struct npy *n = &files[3 + i];
		for (int k = 0; k < 3; k++)
			if (strcmp(lf->path, names[k]) == 0) {
				dwarn("%s: the field '%s' would overwrite %s.npy",
				    path, lf->path, names[k]);
				r = EX_USAGE;
			}
		if (r)
			break;
		n->size = lf->type->size;
		n->off = lf->off;
		n->ndim = lf->ndim;
		memcpy(n->dims, lf->dims, sizeof n->dims);
		memcpy(n->strides, lf->strides, sizeof n->strides);
		for (int k = 0; k < lf->ndim; k++)
			n->axes[n->naxes++] = lf->dims[k];
		if (lf->type->kind == LT_BYTES) {
			snprintf(n->descr, sizeof n->descr, "|u1");
			n->axes[n->naxes++] = lf->type->size;
		} else {
			snprintf(n->descr, sizeof n->descr, "%s", lf->type->dtype);
		}
		if (npy_open(n, dir, lf->path, &b) != 0) {
			dwarn("%s: %s", n->path ? n->path : dir, strerror(errno));
			r = EX_USAGE;
		}
	}

	uint64_t frames = 0, gen = in.headers;
	enum trace_ev ev = TEV_END;
	while (r == 0 && (ev = in_next(&in)) != TEV_END && ev != TEV_ERROR) {
		const struct trace_reader *t = in.t;
		if (ev != TEV_FRAME || !t->state_ok)
			continue;
		if (in.headers != gen) {
			if (strcmp(t->layout->json, layout_json0) != 0) {
				in_problem(&in, in.base + t->offset, "a new header "
				    "with another layout: npy stops here");
				in.damage_seen = 1;
				break;
			}
			l = t->layout;
			gen = in.headers;
		}
		put_i64(nframe->f, t->frame);
		put_i64(nvtime->f, t->vtime_ns);
		fwrite(t->unreadable, 1, (size_t)l->nfields, nun->f);
		for (int i = 3; i < nfiles; i++)
			npy_leaf_values(&files[i], t->state, 0, files[i].off);
		frames++;
	}
	for (int i = 0; i < nfiles; i++) {
		if (files[i].f != NULL && (ferror(files[i].f) ||
		    npy_finish(&files[i], frames, &b) != 0) && r == 0) {
			dwarn("%s: write error", files[i].path);
			r = EX_USAGE;
		}
		if (files[i].f != NULL)
			fclose(files[i].f);
		free(files[i].path);
	}
	if (r == 0)
		r = ev == TEV_ERROR ? EX_USAGE : in.damage_seen ? EX_DAMAGED :
		    EX_CLEAN;
	free(files);
	free(layout_json0);
	sb_free(&b);
	in_close(&in);
	return r;
}
