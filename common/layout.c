/* Layout parsing (see layout.h, schema/LAYOUT.md): JSON through jansson,
 * checked key by key, every error naming its path and line. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layout.h"

#define LAYOUT_MAX_BYTES (16u << 20)
#define STRUCT_DEPTH_MAX 8

struct pctx {
	struct layout *l;
	char *err;
	size_t errlen;
	int failed;
};

/* --- where a path sits in the text, for messages ------------------------ */

/* Skip a JSON string starting at its opening quote; returns the index just
 * past the closing quote. */
static size_t
skip_string(const char *t, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (t[i] == '\\')
			i++;
		else if (t[i] == '"')
			return i + 1;
	}
	return n;
}

/* Within the object whose body starts at I, find KEY at its top level;
 * returns the index of the key's quote, or (size_t)-1. */
static size_t
find_key(const char *t, size_t n, size_t i, const char *key)
{
	int depth = 0;
	size_t klen = strlen(key);

	while (i < n) {
		char ch = t[i];
		if (ch == '"') {
			size_t end = skip_string(t, n, i);
			size_t j = end;
			while (j < n && isspace((unsigned char)t[j]))
				j++;
			if (depth == 0 && j < n && t[j] == ':' &&
			    end - i - 2 == klen && memcmp(t + i + 1, key, klen) == 0)
				return i;
			i = end;
			continue;
		}
		if (ch == '{' || ch == '[')
			depth++;
		else if (ch == '}' || ch == ']') {
			if (depth-- == 0)
				return (size_t)-1;
		}
		i++;
	}
	return (size_t)-1;
}

/* The line of the last key of the dotted PATH ("fields.hero.type"), or of
 * the deepest one found. */
static int
path_line(const char *t, const char *path)
{
	size_t n = strlen(t), i = 0, at = (size_t)-1;
	char comp[512];

	while (i < n && t[i] != '{')
		i++;
	i++;
	while (*path) {
		size_t k = strcspn(path, ".");
		snprintf(comp, sizeof comp, "%.*s", (int)k, path);
		path += k + (path[k] == '.');
		size_t p = find_key(t, n, i, comp);
		if (p == (size_t)-1)
			break;
		at = p;
		i = skip_string(t, n, p);
		while (i < n && t[i] != '{' && t[i] != '[' && t[i] != ',' &&
		    t[i] != '}')
			i++;
		if (i < n && t[i] == '{')
			i++;
		else
			break;
	}
	if (at == (size_t)-1)
		return 1;
	int line = 1;
	for (size_t j = 0; j < at; j++)
		line += t[j] == '\n';
	return line;
}

static void __attribute__((format(printf, 3, 4)))
fail(struct pctx *c, const char *path, const char *fmt, ...)
{
	if (c->failed)
		return;
	c->failed = 1;
	int n = snprintf(c->err, c->errlen, "layout %s:%d: %s: ", c->l->source,
	    path_line(c->l->json, path), path);
	if (n < 0 || (size_t)n >= c->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* --- types --------------------------------------------------------------- */

static int
valid_name(const char *s)
{
	if (strlen(s) > LT_NAME_MAX)
		return 0;
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static struct lt_type *
new_type(struct layout *l)
{
	struct lt_type **v = realloc(l->types, sizeof *v * (size_t)(l->ntypes + 1));
	if (v == NULL)
		return NULL;
	l->types = v;
	struct lt_type *t = calloc(1, sizeof *t);
	if (t != NULL)
		l->types[l->ntypes++] = t;
	return t;
}

/* Parse a numpy dtype string into T; returns 0, or -1 with WHY set. */
static int
parse_dtype(const char *s, struct lt_type *t, const char **why)
{
	char order = s[0], kind;
	char *end;

	if (strlen(s) < 3) {
		*why = "a dtype is a byte order, a kind and a size, like '<i4'";
		return -1;
	}
	if (order != '<' && order != '>' && order != '|' && order != '=') {
		*why = "a dtype starts with a byte order: '<', '>', '|' or '='";
		return -1;
	}
	kind = s[1];
	errno = 0;
	long size = strtol(s + 2, &end, 10);
	if (!isdigit((unsigned char)s[2]) || *end || errno || size <= 0 ||
	    size > (1 << 24)) {
		*why = "a dtype is a byte order, a kind and a size, like '<i4'";
		return -1;
	}
	t->size = (size_t)size;
	t->big_endian = order == '>';
	switch (kind) {
	case 'i': t->kind = LT_INT; break;
	case 'u': t->kind = LT_UINT; break;
	case 'f': t->kind = LT_FLOAT; break;
	case 'b': t->kind = LT_BOOL; break;
	case 'S': t->kind = LT_STR; break;
	case 'V': t->kind = LT_BYTES; break;
	default:
		*why = "unknown dtype kind (use i, u, f, b, S or V)";
		return -1;
	}
	if ((t->kind == LT_INT || t->kind == LT_UINT) && size != 1 && size != 2 &&
	    size != 4 && size != 8) {
		*why = "integers are 1, 2, 4 or 8 bytes";
		return -1;
	}
	if (t->kind == LT_FLOAT && size != 4 && size != 8) {
		*why = "floats are 4 or 8 bytes";
		return -1;
	}
	if (t->kind == LT_BOOL && size != 1) {
		*why = "booleans are one byte: '|b1'";
		return -1;
	}
	if (size == 1 || t->kind == LT_STR || t->kind == LT_BYTES) {
		order = '|';
		t->big_endian = 0;
	} else if (order == '=' || order == '|') {
		order = '<';      /* native: this tool runs little-endian */
	}
	snprintf(t->dtype, sizeof t->dtype, "%c%c%ld", order, kind, size);
	return 0;
}

static const struct lt_type *parse_type(struct pctx *c, json_t *v,
    const char *path, int depth);

static int
check_keys(struct pctx *c, json_t *obj, const char *path,
    const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		int ok = 0;
		for (const char *const *a = allowed; *a; a++)
			ok |= strcmp(*a, key) == 0;
		if (!ok) {
			char p[512];
			snprintf(p, sizeof p, "%s%s%s", path, path[0] ? "." : "", key);
			fail(c, p, "unknown key '%s'", key);
			return -1;
		}
	}
	return 0;
}

/* A non-negative integer of at most MAX, or -1 (reported). */
static long long
get_uint(struct pctx *c, json_t *v, const char *path, long long max)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > max) {
		fail(c, path, "expected an integer from 0 to %lld", max);
		return -1;
	}
	return json_integer_value(v);
}

/* An integer from 1 to MAX, or -1 (reported: a 0 with WHY_ZERO). */
static long long
get_positive(struct pctx *c, json_t *v, const char *path, long long max,
    const char *why_zero)
{
	long long n = get_uint(c, v, path, max);
	if (n == 0)
		fail(c, path, "%s", why_zero);
	return n < 1 ? -1 : n;
}

static const struct lt_type *
parse_struct(struct pctx *c, json_t *v, const char *path, const char *name,
    int depth)
{
	static const char *const keys[] = { "size", "members", NULL };
	static const char *const mkeys[] = { "offset", "type", "count", NULL };
	char p[512];

	if (depth > STRUCT_DEPTH_MAX) {
		fail(c, path, "structs nest more than %d deep", STRUCT_DEPTH_MAX);
		return NULL;
	}
	if (check_keys(c, v, path, keys) != 0)
		return NULL;
	snprintf(p, sizeof p, "%s.size", path);
	long long size = get_positive(c, json_object_get(v, "size"), p, 1 << 28,
	    "a struct needs a size of at least 1");
	if (size < 0)
		return NULL;
	json_t *mem = json_object_get(v, "members");
	snprintf(p, sizeof p, "%s.members", path);
	if (!json_is_object(mem) || json_object_size(mem) == 0) {
		fail(c, p, "a struct needs members: an object of name -> "
		    "{offset, type}");
		return NULL;
	}
	struct lt_type *t = new_type(c->l);
	if (t == NULL)
		return NULL;
	t->kind = LT_STRUCT;
	t->size = (size_t)size;
	t->name = name ? strdup(name) : NULL;
	t->open = 1;
	t->members = calloc(json_object_size(mem), sizeof *t->members);
	if (t->members == NULL)
		return NULL;
	const char *key;
	json_t *m;
	json_object_foreach(mem, key, m) {
		char mp[512];
		snprintf(mp, sizeof mp, "%s.members.%s", path, key);
		if (!valid_name(key)) {
			fail(c, mp, "a member name is letters, digits and '_', at most " LT_NAME_MAX_S " of them");
			return NULL;
		}
		if (!json_is_object(m)) {
			fail(c, mp, "a member is an object {offset, type, count}");
			return NULL;
		}
		if (check_keys(c, m, mp, mkeys) != 0)
			return NULL;
		struct lt_member *lm = &t->members[t->nmembers++];
		if ((lm->name = strdup(key)) == NULL)
			return NULL;
		snprintf(p, sizeof p, "%s.offset", mp);
		long long off = get_uint(c, json_object_get(m, "offset"), p,
		    size - 1);
		if (off < 0)
			return NULL;
		snprintf(p, sizeof p, "%s.type", mp);
		lm->type = parse_type(c, json_object_get(m, "type"), p, depth + 1);
		if (lm->type == NULL)
			return NULL;
		json_t *cnt = json_object_get(m, "count");
		if (cnt != NULL) {
			snprintf(p, sizeof p, "%s.count", mp);
			long long n = get_positive(c, cnt, p, 1 << 24,
			    "a member's count is a fixed integer of at least 1");
			if (n < 0)
				return NULL;
			lm->count = (uint32_t)n;
		}
		lm->offset = (size_t)off;
		size_t len = lm->type->size * (lm->count ? lm->count : 1);
		if (lm->offset + len > t->size) {
			fail(c, mp, "bytes %zu-%zu lie outside the struct's %zu "
			    "bytes", lm->offset, lm->offset + len - 1, t->size);
			return NULL;
		}
		for (int i = 0; i < t->nmembers - 1; i++) {
			struct lt_member *o = &t->members[i];
			size_t olen = o->type->size * (o->count ? o->count : 1);
			if (lm->offset < o->offset + olen &&
			    o->offset < lm->offset + len) {
				fail(c, mp, "overlaps member '%s' (bytes %zu-%zu)",
				    o->name, o->offset, o->offset + olen - 1);
				return NULL;
			}
		}
	}
	t->open = 0;
	return t;
}

static const struct lt_type *
named_type(struct pctx *c, const char *name)
{
	for (int i = 0; i < c->l->ntypes; i++)
		if (c->l->types[i]->name && strcmp(c->l->types[i]->name, name) == 0)
			return c->l->types[i];
	return NULL;
}

static const struct lt_type *
parse_type(struct pctx *c, json_t *v, const char *path, int depth)
{
	if (v == NULL) {
		fail(c, path, "missing: every value needs a type");
		return NULL;
	}
	if (json_is_object(v))
		return parse_struct(c, v, path, NULL, depth);
	if (!json_is_string(v)) {
		fail(c, path, "a type is a dtype string ('<i4'), a type name, or "
		    "a struct {size, members}");
		return NULL;
	}
	const char *s = json_string_value(v);
	const struct lt_type *named = named_type(c, s);
	if (named != NULL && named->open) {
		fail(c, path, "type '%s' would contain itself", s);
		return NULL;
	}
	if (named != NULL)
		return named;
	if (valid_name(s)) {
		fail(c, path, "unknown type '%s' (not a dtype, nor in \"types\")", s);
		return NULL;
	}
	struct lt_type tmp = { 0 };
	const char *why = NULL;
	if (parse_dtype(s, &tmp, &why) != 0) {
		fail(c, path, "bad dtype '%s': %s", s, why);
		return NULL;
	}
	/* Scalars are shared: one per dtype. */
	for (int i = 0; i < c->l->ntypes; i++)
		if (strcmp(c->l->types[i]->dtype, tmp.dtype) == 0)
			return c->l->types[i];
	struct lt_type *t = new_type(c->l);
	if (t != NULL)
		*t = tmp;
	return t;
}

/* --- fields --------------------------------------------------------------- */

/* "48 8b 05 ?? ?? ?? ??": hex bytes and ?? wildcards, with "rip" (where a
 * 32-bit displacement sits in the match) and "rip_end" (where its
 * instruction ends, when something follows the displacement). */
static int
parse_signature(struct pctx *c, const char *path, json_t *v, json_t *sig,
    struct lt_field *f)
{
	char p[600];
	uint8_t b[256], m[256];
	size_t n = 0;

	snprintf(p, sizeof p, "%s.signature", path);
	if (!json_is_string(sig)) {
		fail(c, p, "a signature is a string of hex bytes and ?? "
		    "wildcards, like \"48 8b 05 ?? ?? ?? ??\"");
		return -1;
	}
	if (json_object_get(v, "symbol") != NULL) {
		fail(c, p, "a field is found by a symbol or by a signature, "
		    "not both");
		return -1;
	}
	for (const char *s = json_string_value(sig); *s;) {
		if (*s == ' ') {
			s++;
			continue;
		}
		if (n == sizeof b) {
			fail(c, p, "longer than %zu bytes", sizeof b);
			return -1;
		}
		if (s[0] == '?' && s[1] == '?') {
			b[n] = 0;
			m[n++] = 0;
		} else if (isxdigit((unsigned char)s[0]) &&
		    isxdigit((unsigned char)s[1])) {
			unsigned x;
			sscanf(s, "%2x", &x);
			b[n] = (uint8_t)x;
			m[n++] = 0xff;
		} else {
			fail(c, p, "'%.2s' at character %ld is neither a hex byte "
			    "nor ??", s, (long)(s - json_string_value(sig)));
			return -1;
		}
		s += 2;
		if (*s && *s != ' ') {
			fail(c, p, "bytes are two hex digits (or ?\?) apart by "
			    "spaces");
			return -1;
		}
	}
	size_t fixed = 0;
	for (size_t i = 0; i < n; i++)
		fixed += m[i] != 0;
	if (fixed < 4) {
		fail(c, p, "needs at least 4 bytes that are not wildcards");
		return -1;
	}
	json_t *rip = json_object_get(v, "rip"), *end = json_object_get(v, "rip_end");
	if (rip != NULL) {
		snprintf(p, sizeof p, "%s.rip", path);
		long long r = get_uint(c, rip, p, (long long)n - 4);
		if (r < 0)
			return -1;
		f->sig_rip = (int)r;
		if (end != NULL) {
			snprintf(p, sizeof p, "%s.rip_end", path);
			long long e = get_uint(c, end, p, 1 << 20);
			if (e < 0)
				return -1;
			if (e < r + 4) {
				fail(c, p, "the instruction ends before its "
				    "displacement (rip + 4 = %lld)", r + 4);
				return -1;
			}
			f->sig_rip_end = (int)e;
		}
	} else if (end != NULL) {
		snprintf(p, sizeof p, "%s.rip_end", path);
		fail(c, p, "rip_end goes with rip");
		return -1;
	}
	f->sig = malloc(n);
	f->sig_mask = malloc(n);
	if (f->sig == NULL || f->sig_mask == NULL)
		return -1;
	memcpy(f->sig, b, n);
	memcpy(f->sig_mask, m, n);
	f->sig_len = n;
	return 0;
}

static int
parse_field(struct pctx *c, const char *name, json_t *v, struct lt_field *f)
{
	static const char *const keys[] = { "symbol", "module", "offset",
		"pointers", "type", "count", "max", "signature", "rip", "rip_end",
		NULL };
	char path[512], p[600];

	snprintf(path, sizeof path, "fields.%s", name);
	if (!valid_name(name)) {
		fail(c, path, "a field name is letters, digits and '_', at most " LT_NAME_MAX_S " of them");
		return -1;
	}
	if (!json_is_object(v)) {
		fail(c, path, "a field is an object {symbol|offset, type, ...}");
		return -1;
	}
	if (check_keys(c, v, path, keys) != 0)
		return -1;
	f->name = strdup(name);
	f->line = path_line(c->l->json, path);
	json_t *sym = json_object_get(v, "symbol");
	json_t *mod = json_object_get(v, "module");
	json_t *off = json_object_get(v, "offset");
	json_t *ptr = json_object_get(v, "pointers");
	json_t *sig = json_object_get(v, "signature");
	f->sig_rip = f->sig_rip_end = -1;
	if (sig != NULL && parse_signature(c, path, v, sig, f) != 0)
		return -1;
	if (sym != NULL) {
		snprintf(p, sizeof p, "%s.symbol", path);
		if (!json_is_string(sym) || json_string_length(sym) == 0) {
			fail(c, p, "a symbol is a non-empty string");
			return -1;
		}
		f->symbol = strdup(json_string_value(sym));
	}
	if (mod != NULL) {
		snprintf(p, sizeof p, "%s.module", path);
		if (!json_is_string(mod)) {
			fail(c, p, "a module is a library's file name, or \"\" for "
			    "the executable");
			return -1;
		}
		if (json_string_length(mod) > 0)
			f->module = strdup(json_string_value(mod));
	}
	if (off != NULL) {
		snprintf(p, sizeof p, "%s.offset", path);
		if (!json_is_integer(off)) {
			fail(c, p, "an offset is an integer");
			return -1;
		}
		f->offset = json_integer_value(off);
		if (sym == NULL && sig == NULL && f->offset < 0) {
			fail(c, p, "an offset from a module's base cannot be "
			    "negative");
			return -1;
		}
	} else if (sym == NULL && sig == NULL) {
		fail(c, path, "says nowhere where it is: give a symbol, a "
		    "signature or an offset");
		return -1;
	}
	if (ptr != NULL) {
		snprintf(p, sizeof p, "%s.pointers", path);
		if (!json_is_array(ptr) || json_array_size(ptr) == 0 ||
		    json_array_size(ptr) > LT_MAXPTR) {
			fail(c, p, "pointers is a list of 1 to %d integer offsets",
			    LT_MAXPTR);
			return -1;
		}
		size_t i;
		json_t *e;
		json_array_foreach(ptr, i, e) {
			if (!json_is_integer(e)) {
				fail(c, p, "step %zu is not an integer offset", i);
				return -1;
			}
			f->pointers[f->npointers++] = json_integer_value(e);
		}
	}
	snprintf(p, sizeof p, "%s.type", path);
	f->type = parse_type(c, json_object_get(v, "type"), p, 0);
	if (f->type == NULL)
		return -1;
	json_t *cnt = json_object_get(v, "count");
	json_t *max = json_object_get(v, "max");
	snprintf(p, sizeof p, "%s.count", path);
	if (json_is_string(cnt)) {
		f->count_path = strdup(json_string_value(cnt));
		char mp[600];
		snprintf(mp, sizeof mp, "%s.max", path);
		if (max == NULL) {
			fail(c, path, "an array counted by '%s' needs \"max\"",
			    f->count_path);
			return -1;
		}
		long long m = get_positive(c, max, mp, 1 << 24,
		    "max must be at least 1");
		if (m < 0)
			return -1;
		f->max = (uint32_t)m;
	} else if (cnt != NULL) {
		long long n = get_positive(c, cnt, p, 1 << 24,
		    "a fixed count is at least 1");
		if (n < 0)
			return -1;
		f->count = (uint32_t)n;
		if (max != NULL) {
			snprintf(p, sizeof p, "%s.max", path);
			fail(c, p, "max goes with a count read from a field");
			return -1;
		}
	} else if (max != NULL) {
		snprintf(p, sizeof p, "%s.max", path);
		fail(c, p, "max goes with a count read from a field");
		return -1;
	}
	uint32_t n = f->count ? f->count : f->max ? f->max : 1;
	if (f->type->size > ((size_t)1 << 31) / n) {
		fail(c, path, "more than 2 GiB");
		return -1;
	}
	f->extent = f->type->size * n;
	return 0;
}

/* --- leaves -------------------------------------------------------------- */

static int
add_leaves(struct layout *l, int field, const struct lt_type *t,
    const char *path, size_t off, int ndim, const uint32_t *dims,
    const size_t *strides)
{
	if (t->kind != LT_STRUCT) {
		if (l->nleaves >= LT_LEAVES_MAX)
			return -3;
		struct lt_leaf *v = realloc(l->leaves, sizeof *v *
		    (size_t)(l->nleaves + 1));
		if (v == NULL)
			return -1;
		l->leaves = v;
		struct lt_leaf *lf = &v[l->nleaves++];
		memset(lf, 0, sizeof *lf);
		lf->path = strdup(path);
		lf->type = t;
		lf->field = field;
		lf->off = off;
		lf->ndim = ndim;
		memcpy(lf->dims, dims, sizeof lf->dims);
		memcpy(lf->strides, strides, sizeof lf->strides);
		return lf->path ? 0 : -1;
	}
	for (int i = 0; i < t->nmembers; i++) {
		const struct lt_member *m = &t->members[i];
		char p[512];
		uint32_t d[LT_MAXDIM];
		size_t s[LT_MAXDIM];
		int nd = ndim;
		memcpy(d, dims, sizeof d);
		memcpy(s, strides, sizeof s);
		if (m->count) {
			if (nd == LT_MAXDIM)
				return -2;
			d[nd] = m->count;
			s[nd++] = m->type->size;
		}
		snprintf(p, sizeof p, "%s.%s", path, m->name);
		int r = add_leaves(l, field, m->type, p, off + m->offset, nd, d, s);
		if (r != 0)
			return r;
	}
	return 0;
}

/* Resolve F's count path to a scalar integer in the blob. */
static int
bind_count(struct pctx *c, struct lt_field *f)
{
	char path[512];
	snprintf(path, sizeof path, "fields.%s.count", f->name);
	for (int i = 0; i < c->l->nleaves; i++) {
		struct lt_leaf *lf = &c->l->leaves[i];
		if (strcmp(lf->path, f->count_path) != 0)
			continue;
		if (lf->ndim != 0 || (lf->type->kind != LT_INT &&
		    lf->type->kind != LT_UINT)) {
			fail(c, path, "'%s' is not a single integer", f->count_path);
			return -1;
		}
		if (c->l->fields[lf->field].count_path != NULL) {
			fail(c, path, "'%s' is itself inside a counted array",
			    f->count_path);
			return -1;
		}
		f->count_off = lf->off;
		f->count_field = lf->field;
		f->count_type = lf->type;
		return 0;
	}
	char known[256];
	size_t k = 0;
	known[0] = '\0';
	for (int i = 0; i < c->l->nleaves && k + 40 < sizeof known; i++) {
		struct lt_leaf *lf = &c->l->leaves[i];
		if (lf->ndim == 0 && (lf->type->kind == LT_INT ||
		    lf->type->kind == LT_UINT))
			k += (size_t)snprintf(known + k, sizeof known - k, "%s%s",
			    k ? ", " : "", lf->path);
	}
	fail(c, path, "'%s' is not a field (integer fields: %s)",
	    f->count_path, k ? known : "none");
	return -1;
}

struct layout *
layout_parse(const char *text, size_t len, const char *source, char *err,
    size_t errlen)
{
	struct layout *l = calloc(1, sizeof *l);
	struct pctx c = { l, err, errlen, 0 };
	json_error_t je;

	if (l != NULL)
		snprintf(l->source, sizeof l->source, "%s", source);
	if (l == NULL || (l->json = strndup(text, len)) == NULL) {
		snprintf(err, errlen, "layout %s: out of memory", source);
		layout_free(l);
		return NULL;
	}
	if (len > LAYOUT_MAX_BYTES || strlen(l->json) != len) {
		snprintf(err, errlen, "layout %s: %s", source, len >
		    LAYOUT_MAX_BYTES ? "over 16 MiB" : "contains a NUL byte");
		layout_free(l);
		return NULL;
	}
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		snprintf(err, errlen, "layout %s:%d: not valid JSON: %s", source,
		    je.line, je.text);
		layout_free(l);
		return NULL;
	}
	static const char *const keys[] = { "gamehook_layout", "build_id",
		"types", "fields", NULL };
	json_t *ver = json_object_get(root, "gamehook_layout");
	json_t *bid = json_object_get(root, "build_id");
	json_t *types = json_object_get(root, "types");
	json_t *fields = json_object_get(root, "fields");
	if (!json_is_object(root)) {
		snprintf(err, errlen, "layout %s:1: the layout is a JSON object",
		    source);
		goto bad;
	}
	if (check_keys(&c, root, "", keys) != 0)
		goto bad;
	if (!json_is_integer(ver) || json_integer_value(ver) != 1) {
		fail(&c, "gamehook_layout", ver ? "this is format 1; the layout "
		    "says another" : "missing: say \"gamehook_layout\": 1");
		goto bad;
	}
	if (bid != NULL) {
		const char *s = json_string_value(bid);
		size_t n = s ? strlen(s) : 0;
		int hex = n >= 2 && n < sizeof l->build_id && n % 2 == 0;
		for (size_t i = 0; hex && i < n; i++)
			hex = isxdigit((unsigned char)s[i]) && !isupper((unsigned char)s[i]);
		if (!hex) {
			fail(&c, "build_id", "a build id is lower-case hex, as "
			    "readelf -n prints it");
			goto bad;
		}
		memcpy(l->build_id, s, n + 1);
	}
	if (types != NULL) {
		if (!json_is_object(types)) {
			fail(&c, "types", "types is an object of name -> struct");
			goto bad;
		}
		const char *key;
		json_t *v;
		json_object_foreach(types, key, v) {
			char p[512];
			snprintf(p, sizeof p, "types.%s", key);
			if (!valid_name(key)) {
				fail(&c, p, "a type name is letters, digits and '_', at most " LT_NAME_MAX_S " of them");
				goto bad;
			}
			if (!json_is_object(v)) {
				fail(&c, p, "a named type is a struct {size, members}");
				goto bad;
			}
			if (parse_struct(&c, v, p, key, 0) == NULL)
				goto bad;
		}
	}
	if (!json_is_object(fields) || json_object_size(fields) == 0) {
		fail(&c, "fields", "missing: \"fields\" names at least one field");
		goto bad;
	}
	l->fields = calloc(json_object_size(fields), sizeof *l->fields);
	if (l->fields == NULL)
		goto bad;
	const char *key;
	json_t *v;
	json_object_foreach(fields, key, v) {
		/* Counted before parsing: layout_free frees what it got. */
		struct lt_field *f = &l->fields[l->nfields++];
		if (parse_field(&c, key, v, f) != 0)
			goto bad;
		l->blob_size = (l->blob_size + 7) & ~(size_t)7;
		f->blob_off = l->blob_size;
		l->blob_size += f->extent;
		if (l->blob_size > ((size_t)1 << 31)) {
			fail(&c, "fields", "the state is over 2 GiB");
			goto bad;
		}
		uint32_t dims[LT_MAXDIM] = { 0 };
		size_t strides[LT_MAXDIM] = { 0 };
		int nd = 0;
		if (f->count || f->max) {
			dims[0] = f->count ? f->count : f->max;
			strides[0] = f->type->size;
			nd = 1;
		}
		int r = add_leaves(l, l->nfields - 1, f->type, f->name,
		    f->blob_off, nd, dims, strides);
		if (r != 0) {
			char p[512];
			snprintf(p, sizeof p, "fields.%s", key);
			fail(&c, p, r == -2 ? "arrays nest more than 4 deep" :
			    r == -3 ? "the layout names more than 1000000 values" :
			    "out of memory");
			goto bad;
		}
	}
	for (int i = 0; i < l->nfields; i++)
		if (l->fields[i].count_path && bind_count(&c, &l->fields[i]) != 0)
			goto bad;
	json_decref(root);
	return l;
bad:
	if (!c.failed && err[0] == '\0')
		snprintf(err, errlen, "layout %s: out of memory", source);
	json_decref(root);
	layout_free(l);
	return NULL;
}

struct layout *
layout_load_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0) {
		snprintf(err, errlen, "layout %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > LAYOUT_MAX_BYTES) {
		snprintf(err, errlen, "layout %s: not a regular file under 16 MiB",
		    path);
		close(fd);
		return NULL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (buf == NULL || got != (size_t)st.st_size) {
		snprintf(err, errlen, "layout %s: cannot read it", path);
		free(buf);
		return NULL;
	}
	err[0] = '\0';
	struct layout *l = layout_parse(buf, got, path, err, errlen);
	free(buf);
	return l;
}

void
layout_free(struct layout *l)
{
	if (l == NULL)
		return;
	for (int i = 0; i < l->ntypes; i++) {
		struct lt_type *t = l->types[i];
		for (int j = 0; j < t->nmembers; j++)
			free(t->members[j].name);
		free(t->members);
		free(t->name);
		free(t);
	}
	free(l->types);
	for (int i = 0; i < l->nfields; i++) {
		free(l->fields[i].name);
		free(l->fields[i].module);
		free(l->fields[i].symbol);
		free(l->fields[i].count_path);
		free(l->fields[i].sig);
		free(l->fields[i].sig_mask);
	}
	free(l->fields);
	for (int i = 0; i < l->nleaves; i++)
		free(l->leaves[i].path);
	free(l->leaves);
	free(l->json);
	free(l);
}
