/* Values of a layout's state blob: rendering as JSON, paths ("hero.hp",
 * "entities[3].x", "entities.x"), encoding `set` values, and naming the
 * value at a blob offset. Shared by the shim and dumper. */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jstr.h"
#include "layout.h"
#include "sbuf.h"

/* An output that counts what it could not hold. */
struct out {
	char *p;
	size_t len, cap;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->len < o->cap) {
		size_t k = o->cap - o->len < n ? o->cap - o->len : n;
		memcpy(o->p + o->len, s, k);
	}
	o->len += n;
}

static void __attribute__((format(printf, 2, 3)))
putf(struct out *o, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0)
		put(o, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* ,"NAME": (names are letters, digits and '_': nothing to escape) */
static void
put_key(struct out *o, int i, const char *name)
{
	if (i)
		put(o, ",", 1);
	put(o, "\"", 1);
	put(o, name, strlen(name));
	put(o, "\":", 2);
}

static uint64_t
load_raw(const struct lt_type *t, const uint8_t *p)
{
	uint64_t v = 0;
	for (size_t i = 0; i < t->size; i++)
		v |= (uint64_t)p[t->big_endian ? t->size - 1 - i : i] << (8 * i);
	return v;
}

int64_t
lt_as_int(const struct lt_type *t, const uint8_t *p)
{
	uint64_t v = load_raw(t, p);
	if (t->kind == LT_INT && t->size < 8 && (v >> (8 * t->size - 1)) & 1)
		v |= ~(uint64_t)0 << (8 * t->size);
	if (t->kind == LT_FLOAT)
		return (int64_t)lt_as_double(t, p);
	return (int64_t)v;
}

double
lt_as_double(const struct lt_type *t, const uint8_t *p)
{
	uint64_t v = load_raw(t, p);
	if (t->kind == LT_FLOAT && t->size == 4) {
		uint32_t u = (uint32_t)v;
		float f;
		memcpy(&f, &u, sizeof f);
		return f;
	}
	if (t->kind == LT_FLOAT) {
		double d;
		memcpy(&d, &v, sizeof d);
		return d;
	}
	if (t->kind == LT_INT)
		return (double)lt_as_int(t, p);
	return (double)v;
}

/* A string value (jstr.h says how its bytes are written). */
static void
json_string(struct out *o, const uint8_t *s, size_t n)
{
	size_t room = o->cap > o->len ? o->cap - o->len : 0;
	o->len += jstr_quote(room ? o->p + o->len : NULL, room, (const char *)s,
	    n);
}

static void
render_scalar(struct out *o, const struct lt_type *t, const uint8_t *p)
{
	switch (t->kind) {
	case LT_INT:
		putf(o, "%" PRId64, lt_as_int(t, p));
		break;
	case LT_UINT:
		putf(o, "%" PRIu64, load_raw(t, p));
		break;
	case LT_FLOAT: {
		double d = lt_as_double(t, p);
		if (isfinite(d))
			putf(o, t->size == 4 ? "%.9g" : "%.17g", d);
		else
			put(o, "null", 4);   /* JSON has no NaN or infinity */
		break;
	}
	case LT_BOOL:
		if (*p)
			put(o, "true", 4);
		else
			put(o, "false", 5);
		break;
	case LT_STR: {
		size_t n = strnlen((const char *)p, t->size);
		json_string(o, p, n);
		break;
	}
	case LT_BYTES: {
		static const char digits[] = "0123456789abcdef";
		char hex[512];
		put(o, "\"", 1);
		for (size_t i = 0; i < t->size;) {
			size_t k = 0;
			for (; k + 2 <= sizeof hex && i < t->size; i++) {
				hex[k++] = digits[p[i] >> 4];
				hex[k++] = digits[p[i] & 15];
			}
			put(o, hex, k);
		}
		put(o, "\"", 1);
		break;
	}
	case LT_STRUCT:
		break;
	}
}

static void render(struct out *o, const struct lt_type *t, const uint8_t *p);

static void
render_array(struct out *o, const struct lt_type *t, const uint8_t *p,
    uint32_t n)
{
	put(o, "[", 1);
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			put(o, ",", 1);
		render(o, t, p + (size_t)i * t->size);
	}
	put(o, "]", 1);
}

static void
render(struct out *o, const struct lt_type *t, const uint8_t *p)
{
	if (t->kind != LT_STRUCT) {
		render_scalar(o, t, p);
		return;
	}
	put(o, "{", 1);
	for (int i = 0; i < t->nmembers; i++) {
		const struct lt_member *m = &t->members[i];
		put_key(o, i, m->name);
		if (m->count)
			render_array(o, m->type, p + m->offset, m->count);
		else
			render(o, m->type, p + m->offset);
	}
	put(o, "}", 1);
}

uint32_t
layout_count(const struct layout *l, int fi, const uint8_t *blob)
{
	const struct lt_field *f = &l->fields[fi];
	if (f->count)
		return f->count;
	if (f->count_path == NULL)
		return 0;
	int64_t n = lt_as_int(f->count_type, blob + f->count_off);
	if (f->count_type->kind == LT_UINT && f->count_type->size == 8 &&
	    (uint64_t)n > f->max)
		return f->max;
	return n < 0 ? 0 : n > (int64_t)f->max ? f->max : (uint32_t)n;
}

static void
render_field(struct out *o, const struct layout *l, int fi,
    const uint8_t *blob, const uint8_t *unreadable)
{
	const struct lt_field *f = &l->fields[fi];
	if (unreadable != NULL && unreadable[fi])
		put(o, "null", 4);
	else if (f->count || f->count_path)
		render_array(o, f->type, blob + f->blob_off, layout_count(l, fi, blob));
	else
		render(o, f->type, blob + f->blob_off);
}

/* --- paths --------------------------------------------------------------- */

/* Where a path leads: a value of TYPE at blob offset OFF, an array of N
 * of them when N > 0; with COL_N > 0, that for each of COL_N elements
 * COL_STRIDE apart. */
struct walk {
	int field;
	const struct lt_type *type;
	size_t off;
	uint32_t n;
	int is_array;
	uint32_t col_n;
	size_t col_stride;
	int is_col;
	size_t col_at;      /* where in the path the list's index would go */
};

static int
walk_path(const struct layout *l, const char *path, const uint8_t *blob,
    struct walk *w, char *err, size_t errlen)
{
	char name[LT_NAME_MAX + 2];
	const char *s = path;
	size_t k = strcspn(s, ".[");

	memset(w, 0, sizeof *w);
	snprintf(name, sizeof name, "%.*s", (int)k, s);
	w->field = -1;
	for (int i = 0; i < l->nfields; i++)
		if (strcmp(l->fields[i].name, name) == 0)
			w->field = i;
	if (w->field < 0 || k >= sizeof name) {
		if (errlen == 0)
			return -1;
		snprintf(err, errlen, "unknown field '%s' (fields: ", name);
		size_t e = strlen(err);
		for (int i = 0; i < l->nfields && e + 2 < errlen; i++)
			e += (size_t)snprintf(err + e, errlen - e, "%s%s",
			    i ? ", " : "", l->fields[i].name);
		if (e + 2 < errlen)
			snprintf(err + e, errlen - e, ")");
		return -1;
	}
	const struct lt_field *f = &l->fields[w->field];
	w->type = f->type;
	w->off = f->blob_off;
	if (f->count || f->count_path) {
		w->is_array = 1;
		w->n = blob ? layout_count(l, w->field, blob) :
		    f->count ? f->count : f->max;
	}
	s += k;
	while (*s) {
		if (*s == '[') {
			char *end;
			errno = 0;
			unsigned long long idx = strtoull(s + 1, &end, 10);
			if (!w->is_array || !isdigit((unsigned char)s[1]) ||
			    *end != ']' || errno) {
				snprintf(err, errlen, "%s: '%.*s' indexes %s", path,
				    (int)strcspn(s, "]") + 1, s, w->is_array ?
				    "badly (use [N])" : "something that is not an "
				    "array");
				return -1;
			}
			if (idx >= w->n) {
				snprintf(err, errlen, "%s: index %llu is out of range "
				    "(%u elements)", path, idx, w->n);
				return -1;
			}
			w->off += (size_t)idx * w->type->size;
			w->is_array = 0;
			s = end + 1;
			continue;
		}
		if (*s != '.' || w->type->kind != LT_STRUCT) {
			snprintf(err, errlen, "%s: '%s' %s", path, s,
			    *s != '.' ? "is not a member or an index" :
			    "follows a value that has no members");
			return -1;
		}
		s++;
		k = strcspn(s, ".[");
		snprintf(name, sizeof name, "%.*s", (int)k, s);
		const struct lt_member *m = NULL;
		for (int i = 0; i < w->type->nmembers; i++)
			if (strcmp(w->type->members[i].name, name) == 0)
				m = &w->type->members[i];
		if (m == NULL) {
			snprintf(err, errlen, "%s: no member '%s' (members: ", path,
			    name);
			size_t e = strlen(err);
			for (int i = 0; i < w->type->nmembers && e + 2 < errlen; i++)
				e += (size_t)snprintf(err + e, errlen - e, "%s%s",
				    i ? ", " : "", w->type->members[i].name);
			if (e + 2 < errlen)
				snprintf(err + e, errlen - e, ")");
			return -1;
		}
		if (w->is_array) {
			if (w->is_col) {
				snprintf(err, errlen, "%s: index all but one list "
				    "(as in a[2].b.c)", path);
				return -1;
			}
			w->is_col = 1;
			w->col_at = (size_t)(s - 1 - path);
			w->col_n = w->n;
			w->col_stride = w->type->size;
			w->is_array = 0;
		}
		w->off += m->offset;
		w->type = m->type;
		w->is_array = m->count != 0;
		w->n = m->count;
		s += k;
	}
	return 0;
}

static void
render_walk(struct out *o, const struct walk *w, const uint8_t *blob)
{
	uint32_t cols = w->is_col ? w->col_n : 1;
	if (w->is_col)
		put(o, "[", 1);
	for (uint32_t c = 0; c < cols; c++) {
		const uint8_t *p = blob + w->off + (size_t)c * w->col_stride;
		if (c)
			put(o, ",", 1);
		if (w->is_array)
			render_array(o, w->type, p, w->n);
		else
			render(o, w->type, p);
	}
	if (w->is_col)
		put(o, "]", 1);
}

long
layout_json(const struct layout *l, const uint8_t *blob,
    const uint8_t *unreadable, const char *path, char *outbuf, size_t cap,
    char *err, size_t errlen)
{
	struct out o = { outbuf, 0, cap ? cap - 1 : 0 };

	if (path == NULL) {
		put(&o, "{", 1);
		for (int i = 0; i < l->nfields; i++) {
			put_key(&o, i, l->fields[i].name);
			render_field(&o, l, i, blob, unreadable);
		}
		put(&o, "}", 1);
	} else {
		struct walk w;
		if (walk_path(l, path, blob, &w, err, errlen) != 0)
			return -1;
		if (unreadable != NULL && unreadable[w.field])
			put(&o, "null", 4);
		else
			render_walk(&o, &w, blob);
	}
	if (cap)
		outbuf[o.len < cap ? o.len : cap - 1] = '\0';
	return (long)o.len;
}

int
layout_json_sb(struct sbuf *b, const struct layout *l, const uint8_t *blob,
    const uint8_t *unreadable, const char *path, char *err, size_t errlen)
{
	size_t room = b->cap > b->len ? b->cap - b->len : 0;
	long n = layout_json(l, blob, unreadable, path, room ? b->p + b->len :
	    NULL, room, err, errlen);

	if (n < 0)
		return -1;
	if ((size_t)n >= room) {
		if (sb_reserve(b, (size_t)n) != 0) {
			snprintf(err, errlen, "out of memory for %ld bytes", n);
			return -1;
		}
		layout_json(l, blob, unreadable, path, b->p + b->len,
		    b->cap - b->len, err, errlen);
	}
	b->len += (size_t)n;
	return 0;
}

int
layout_check_path(const struct layout *l, const char *path, char *err,
    size_t errlen)
{
	struct walk w;
	return walk_path(l, path, NULL, &w, err, errlen);
}

int
layout_place(const struct layout *l, const char *path, const uint8_t *blob,
    struct lt_place *p, char *err, size_t errlen)
{
	struct walk w;

	if (walk_path(l, path, blob, &w, err, errlen) != 0)
		return -1;
	if (w.is_col) {
		snprintf(err, errlen, "%s is a list (one value per element); set "
		    "one value, such as %.*s[0]%s", path, (int)w.col_at, path,
		    path + w.col_at);
		return -1;
	}
	if (w.is_array || w.type->kind == LT_STRUCT) {
		snprintf(err, errlen, "%s is %s; set one value, such as %s%s",
		    path, w.is_array ? "a list" : "a struct", path,
		    w.is_array ? "[0]" : ".<member>");
		return -1;
	}
	p->field = w.field;
	p->off = w.off - l->fields[w.field].blob_off;
	p->type = w.type;
	return 0;
}

/* Decimal, or hex after 0x (never octal: 010 is ten). */
static int
int_base(const char *v)
{
	while (*v == ' ' || *v == '-' || *v == '+')
		v++;
	return v[0] == '0' && (v[1] == 'x' || v[1] == 'X') ? 16 : 10;
}

static void
store_raw(const struct lt_type *t, uint64_t v, uint8_t *out)
{
	for (size_t i = 0; i < t->size; i++)
		out[t->big_endian ? t->size - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

int
layout_encode(const struct lt_type *t, const char *value, uint8_t *out,
    char *err, size_t errlen)
{
	char *end;

	errno = 0;
	switch (t->kind) {
	case LT_INT: {
		long long v = strtoll(value, &end, int_base(value));
		int bits = (int)t->size * 8;
		if (*value == '\0' || *end || errno || (bits < 64 &&
		    (v < -(1LL << (bits - 1)) || v > (1LL << (bits - 1)) - 1))) {
			snprintf(err, errlen, "'%s' is not an integer that fits %s",
			    value, t->dtype);
			return -1;
		}
		store_raw(t, (uint64_t)v, out);
		return 0;
	}
	case LT_UINT: {
		unsigned long long v = strtoull(value, &end, int_base(value));
		int bits = (int)t->size * 8;
		if (*value == '\0' || strchr(value, '-') || *end || errno ||
		    (bits < 64 && v >> bits)) {
			snprintf(err, errlen, "'%s' is not an integer that fits %s",
			    value, t->dtype);
			return -1;
		}
		store_raw(t, v, out);
		return 0;
	}
	case LT_FLOAT: {
		double d = strtod(value, &end);
		if (*value == '\0' || *end || errno) {
			snprintf(err, errlen, "'%s' is not a number", value);
			return -1;
		}
		uint64_t raw;
		if (t->size == 4) {
			if (isfinite(d) && fabs(d) > FLT_MAX) {
				snprintf(err, errlen, "'%s' is out of range for %s",
				    value, t->dtype);
				return -1;
			}
			float f = (float)d;
			uint32_t u;
			memcpy(&u, &f, sizeof u);
			raw = u;
		} else {
			memcpy(&raw, &d, sizeof raw);
		}
		store_raw(t, raw, out);
		return 0;
	}
	case LT_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
			*out = 1;
		else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
			*out = 0;
		else {
			snprintf(err, errlen, "'%s' is not true or false", value);
			return -1;
		}
		return 0;
	case LT_STR: {
		size_t n = strlen(value);
		if (n >= 2 && value[0] == '"' && value[n - 1] == '"') {
			value++;
			n -= 2;
		}
		if (n > t->size) {
			snprintf(err, errlen, "the text is %zu bytes; %s holds %zu",
			    n, t->dtype, t->size);
			return -1;
		}
		memset(out, 0, t->size);
		memcpy(out, value, n);
		return 0;
	}
	case LT_BYTES:
		if (strlen(value) != 2 * t->size) {
			snprintf(err, errlen, "%s takes %zu hex digits", t->dtype,
			    2 * t->size);
			return -1;
		}
		for (size_t i = 0; i < t->size; i++) {
			unsigned b;
			if (!isxdigit((unsigned char)value[2 * i]) ||
			    !isxdigit((unsigned char)value[2 * i + 1]) ||
			    sscanf(value + 2 * i, "%2x", &b) != 1) {
				snprintf(err, errlen, "'%s' is not hex", value);
				return -1;
			}
			out[i] = (uint8_t)b;
		}
		return 0;
	case LT_STRUCT:
		break;
	}
	snprintf(err, errlen, "a struct cannot be set whole");
	return -1;
}

/* Name the value of type T at offset OFF inside it, appending to BUF. */
static void
name_in(const struct lt_type *t, size_t off, char *buf, size_t len)
{
	while (t->kind == LT_STRUCT) {
		const struct lt_member *m = NULL;
		for (int i = 0; i < t->nmembers; i++) {
			const struct lt_member *c = &t->members[i];
			size_t n = c->type->size * (c->count ? c->count : 1);
			if (off >= c->offset && off < c->offset + n)
				m = c;
		}
		size_t e = strlen(buf);
		if (m == NULL) {
			snprintf(buf + e, len - e, "+%zu", off);
			return;
		}
		off -= m->offset;
		snprintf(buf + e, len - e, ".%s", m->name);
		if (m->count) {
			e = strlen(buf);
			snprintf(buf + e, len - e, "[%zu]", off / m->type->size);
			off %= m->type->size;
		}
		t = m->type;
	}
	if (t->kind == LT_BYTES || t->kind == LT_STR) {
		size_t e = strlen(buf);
		if (off)
			snprintf(buf + e, len - e, "+%zu", off);
	}
}

void
layout_name_at(const struct layout *l, size_t off, char *buf, size_t len)
{
	for (int i = 0; i < l->nfields; i++) {
		const struct lt_field *f = &l->fields[i];
		if (off < f->blob_off || off >= f->blob_off + f->extent)
			continue;
		size_t in = off - f->blob_off;
		snprintf(buf, len, "%s", f->name);
		if (f->count || f->count_path) {
			size_t e = strlen(buf);
			snprintf(buf + e, len - e, "[%zu]", in / f->type->size);
			in %= f->type->size;
		}
		name_in(f->type, in, buf, len);
		return;
	}
	snprintf(buf, len, "(padding at %zu)", off);
}
