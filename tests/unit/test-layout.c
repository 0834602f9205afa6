/* Proves layouts (schema/LAYOUT.md, common/layout*.c): a layout using every
 * feature parses into the blob offsets, extents, leaves and count binding
 * the format implies; every malformed layout is refused with a message
 * naming the file, the right line and the path of what is wrong (names of
 * any length included); state
 * renders as JSON (whole, by path, by column) with strings escaped, floats
 * that JSON cannot hold as null and unreadable fields as null, and the
 * output buffer is truncated yet NUL-terminated while the needed length is
 * returned; `set` places and encodes values within their ranges only;
 * blob bytes are named by path; and in this very process the raw layout of
 * the executable and a layout naming this file's globals resolve to the
 * addresses dl_iterate_phdr and the C compiler give, while unknown symbols,
 * unloaded modules, build-id mismatches and out-of-segment extents are
 * refused by name. */
#include <dlfcn.h>
#include <link.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layout.h"
#include "unit.h"

/* Globals this test's layouts name by symbol (non-static: in .symtab). */
extern int test_layout_global[4];
extern int *test_layout_ptr;
int test_layout_global[4] = { 1, 2, 3, 4 };
int *test_layout_ptr = &test_layout_global[2];

#define SRC "t.json"

/* The 1-based line of the first occurrence of MARKER in TEXT, or -1. */
static int
line_of(const char *text, const char *marker)
{
	const char *p = strstr(text, marker);
	int line = 1;

	if (p == NULL)
		return -1;
	for (const char *q = text; q < p; q++)
		line += *q == '\n';
	return line;
}

static struct layout *
parse(const char *json, char *err, size_t errlen)
{
	err[0] = '\0';
	return layout_parse(json, strlen(json), SRC, err, errlen);
}

static int
field_index(const struct layout *l, const char *name)
{
	for (int i = 0; i < l->nfields; i++)
		if (strcmp(l->fields[i].name, name) == 0)
			return i;
	return -1;
}

static const struct lt_leaf *
leaf(const struct layout *l, const char *path)
{
	for (int i = 0; i < l->nleaves; i++)
		if (strcmp(l->leaves[i].path, path) == 0)
			return &l->leaves[i];
	return NULL;
}

/* --- the valid layout ---------------------------------------------------- */

static const char good_json[] =
    "{\n"
    "  \"gamehook_layout\": 1,\n"
    "  \"build_id\": \"0123abcdef\",\n"
    "  \"types\": {\n"
    "    \"Vec\": {\n"
    "      \"size\": 8,\n"
    "      \"members\": {\n"
    "        \"x\": { \"offset\": 0, \"type\": \"<f4\" },\n"
    "        \"y\": { \"offset\": 4, \"type\": \"<f4\" }\n"
    "      }\n"
    "    },\n"
    "    \"Hero\": {\n"
    "      \"size\": 48,\n"
    "      \"members\": {\n"
    "        \"hp\": { \"offset\": 0, \"type\": \"<i2\" },\n"
    "        \"alive\": { \"offset\": 2, \"type\": \"|b1\" },\n"
    "        \"lvl\": { \"offset\": 3, \"type\": \"|u1\" },\n"
    "        \"pos\": { \"offset\": 4, \"type\": \"Vec\" },\n"
    "        \"stats\": { \"offset\": 12, \"type\": \"<i4\", \"count\": 4 },\n"
    "        \"name\": { \"offset\": 28, \"type\": \"|S8\" },\n"
    "        \"big\": { \"offset\": 36, \"type\": \">i4\" },\n"
    "        \"xp\": { \"offset\": 40, \"type\": \"<f8\" }\n"
    "      }\n"
    "    },\n"
    "    \"Entity\": {\n"
    "      \"size\": 12,\n"
    "      \"members\": {\n"
    "        \"id\": { \"offset\": 0, \"type\": \"<u2\" },\n"
    "        \"hp\": { \"offset\": 4, \"type\": \"<i4\" },\n"
    "        \"pos\": { \"offset\": 8, \"type\": \"<i2\", \"count\": 2 }\n"
    "      }\n"
    "    }\n"
    "  },\n"
    "  \"fields\": {\n"
    "    \"tick\": { \"offset\": 4096, \"type\": \"<u4\" },\n"
    "    \"hero\": { \"symbol\": \"hero\", \"type\": \"Hero\" },\n"
    "    \"entity_count\": { \"symbol\": \"entity_count\", \"type\": \"|u1\" },\n"
    "    \"entities\": { \"symbol\": \"entities\", \"type\": \"Entity\",\n"
    "                  \"count\": \"entity_count\", \"max\": 5 },\n"
    "    \"grid\": { \"symbol\": \"grid\", \"type\": \"|i1\", \"count\": 3 },\n"
    "    \"first_msg\": { \"symbol\": \"messages\", \"pointers\": [0, 8],\n"
    "                   \"type\": \"|S6\" },\n"
    "    \"raw\": { \"module\": \"libfoo.so.1\", \"symbol\": \"foo_state\",\n"
    "             \"offset\": -16, \"type\": \"|V8\" },\n"
    "    \"ratio\": { \"symbol\": \"ratio\", \"type\": \"<f8\" },\n"
    "    \"inline\": { \"symbol\": \"inl\", \"type\": { \"size\": 3, \"members\": {\n"
    "      \"a\": { \"offset\": 0, \"type\": \"|u1\" },\n"
    "      \"b\": { \"offset\": 1, \"type\": \">u2\" } } } }\n"
    "  }\n"
    "}\n";

/* Blob offsets the format implies: each field 8-aligned, in order. */
enum {
	OFF_TICK = 0, OFF_HERO = 8, OFF_COUNT = 56, OFF_ENT = 64, OFF_GRID = 128,
	OFF_MSG = 136, OFF_RAW = 144, OFF_RATIO = 152, OFF_INLINE = 160,
	BLOB_SIZE = 163,
};

static struct layout *
good_layout(void)
{
	char err[512];
	struct layout *l = parse(good_json, err, sizeof err);

	if (l == NULL)
		FAIL("the good layout does not parse: %s", err);
	return l;
}

static void
valid_layout_parses_into_offsets_extents_and_leaves(void)
{
	struct layout *l = good_layout();
	static const struct { const char *name; size_t off, extent; } want[] = {
		{ "tick", OFF_TICK, 4 }, { "hero", OFF_HERO, 48 },
		{ "entity_count", OFF_COUNT, 1 }, { "entities", OFF_ENT, 60 },
		{ "grid", OFF_GRID, 3 }, { "first_msg", OFF_MSG, 6 },
		{ "raw", OFF_RAW, 8 }, { "ratio", OFF_RATIO, 8 },
		{ "inline", OFF_INLINE, 3 },
	};

	if (l == NULL)
		return;
	CHECK_EQ_STR(l->source, SRC);
	CHECK_EQ_STR(l->build_id, "0123abcdef");
	CHECK_EQ_INT(l->blob_size, BLOB_SIZE);
	if (!CHECK_EQ_INT(l->nfields, 9))
		goto out;
	for (int i = 0; i < 9; i++) {
		const struct lt_field *f = &l->fields[i];
		CHECK_EQ_STR(f->name, want[i].name);
		CHECK_EQ_INT(f->blob_off, want[i].off);
		CHECK_EQ_INT(f->blob_off % 8, 0);
		CHECK_EQ_INT(f->extent, want[i].extent);
		if (i > 0)
			CHECK_GE_INT(f->blob_off, l->fields[i - 1].blob_off +
			    l->fields[i - 1].extent);
		/* Its line: where its key is, after "fields". */
		char key[64];
		snprintf(key, sizeof key, "\"%s\":", want[i].name);
		CHECK_EQ_INT(f->line, line_of(strstr(good_json, "\"fields\""),
		    key) + line_of(good_json, "\"fields\"") - 1);
	}
	const struct lt_field *tick = &l->fields[0], *hero = &l->fields[1];
	const struct lt_field *ent = &l->fields[3], *grid = &l->fields[4];
	const struct lt_field *msg = &l->fields[5], *raw = &l->fields[6];
	CHECK(tick->symbol == NULL);
	CHECK(tick->module == NULL);
	CHECK_EQ_INT(tick->offset, 4096);
	CHECK_EQ_STR(tick->type->dtype, "<u4");
	CHECK_EQ_INT(tick->count, 0);
	CHECK_EQ_STR(hero->symbol, "hero");
	CHECK_EQ_INT(hero->type->kind, LT_STRUCT);
	CHECK_EQ_STR(hero->type->name, "Hero");
	CHECK_EQ_INT(hero->type->size, 48);
	CHECK_EQ_INT(hero->type->nmembers, 8);
	CHECK_EQ_INT(grid->count, 3);
	CHECK(grid->count_path == NULL);
	CHECK_EQ_INT(msg->npointers, 2);
	CHECK_EQ_INT(msg->pointers[0], 0);
	CHECK_EQ_INT(msg->pointers[1], 8);
	CHECK_EQ_STR(raw->module, "libfoo.so.1");
	CHECK_EQ_STR(raw->symbol, "foo_state");
	CHECK_EQ_INT(raw->offset, -16);
	CHECK_EQ_INT(raw->type->kind, LT_BYTES);
	CHECK_EQ_INT(raw->type->size, 8);
	CHECK(l->fields[8].type->name == NULL);
	CHECK_EQ_INT(l->fields[8].type->kind, LT_STRUCT);
	/* The count binding. */
	CHECK_EQ_INT(ent->count, 0);
	CHECK_EQ_STR(ent->count_path, "entity_count");
	CHECK_EQ_INT(ent->max, 5);
	CHECK_EQ_INT(ent->count_off, OFF_COUNT);
	CHECK(ent->count_type != NULL && strcmp(ent->count_type->dtype,
	    "|u1") == 0);
	/* Members: the big-endian one and the nested struct. */
	const struct lt_type *ht = hero->type;
	CHECK_EQ_STR(ht->members[6].name, "big");
	CHECK_EQ_INT(ht->members[6].type->big_endian, 1);
	CHECK_EQ_STR(ht->members[6].type->dtype, ">i4");
	CHECK_EQ_INT(ht->members[0].type->big_endian, 0);
	CHECK_EQ_STR(ht->members[3].type->name, "Vec");
	CHECK_EQ_INT(ht->members[4].count, 4);
	CHECK_EQ_INT(ht->members[5].type->kind, LT_STR);
	/* Scalars are shared, one per dtype: Vec.x and Vec.y. */
	CHECK_EQ_PTR(ht->members[3].type->members[0].type,
	    ht->members[3].type->members[1].type);

	/* Leaves, with their dims and strides. */
	static const struct {
		const char *path, *dtype;
		size_t off;
		int ndim;
		uint32_t d0, d1;
		size_t s0, s1;
	} lw[] = {
		{ "tick", "<u4", OFF_TICK, 0, 0, 0, 0, 0 },
		{ "hero.hp", "<i2", OFF_HERO, 0, 0, 0, 0, 0 },
		{ "hero.alive", "|b1", OFF_HERO + 2, 0, 0, 0, 0, 0 },
		{ "hero.lvl", "|u1", OFF_HERO + 3, 0, 0, 0, 0, 0 },
		{ "hero.pos.x", "<f4", OFF_HERO + 4, 0, 0, 0, 0, 0 },
		{ "hero.pos.y", "<f4", OFF_HERO + 8, 0, 0, 0, 0, 0 },
		{ "hero.stats", "<i4", OFF_HERO + 12, 1, 4, 0, 4, 0 },
		{ "hero.name", "|S8", OFF_HERO + 28, 0, 0, 0, 0, 0 },
		{ "hero.big", ">i4", OFF_HERO + 36, 0, 0, 0, 0, 0 },
		{ "hero.xp", "<f8", OFF_HERO + 40, 0, 0, 0, 0, 0 },
		{ "entity_count", "|u1", OFF_COUNT, 0, 0, 0, 0, 0 },
		{ "entities.id", "<u2", OFF_ENT, 1, 5, 0, 12, 0 },
		{ "entities.hp", "<i4", OFF_ENT + 4, 1, 5, 0, 12, 0 },
		{ "entities.pos", "<i2", OFF_ENT + 8, 2, 5, 2, 12, 2 },
		{ "grid", "|i1", OFF_GRID, 1, 3, 0, 1, 0 },
		{ "first_msg", "|S6", OFF_MSG, 0, 0, 0, 0, 0 },
		{ "raw", "|V8", OFF_RAW, 0, 0, 0, 0, 0 },
		{ "ratio", "<f8", OFF_RATIO, 0, 0, 0, 0, 0 },
		{ "inline.a", "|u1", OFF_INLINE, 0, 0, 0, 0, 0 },
		{ "inline.b", ">u2", OFF_INLINE + 1, 0, 0, 0, 0, 0 },
	};
	CHECK_EQ_INT(l->nleaves, (int)(sizeof lw / sizeof lw[0]));
	for (size_t i = 0; i < sizeof lw / sizeof lw[0]; i++) {
		const struct lt_leaf *lf = leaf(l, lw[i].path);
		if (lf == NULL) {
			FAIL("no leaf '%s'", lw[i].path);
			continue;
		}
		if (i < (size_t)l->nleaves)
			CHECK_EQ_STR(l->leaves[i].path, lw[i].path);
		CHECK_EQ_STR(lf->type->dtype, lw[i].dtype);
		CHECK_EQ_INT(lf->off, lw[i].off);
		CHECK_EQ_INT(lf->ndim, lw[i].ndim);
		if (lw[i].ndim > 0) {
			CHECK_EQ_INT(lf->dims[0], lw[i].d0);
			CHECK_EQ_INT(lf->strides[0], lw[i].s0);
		}
		if (lw[i].ndim > 1) {
			CHECK_EQ_INT(lf->dims[1], lw[i].d1);
			CHECK_EQ_INT(lf->strides[1], lw[i].s1);
		}
		CHECK_EQ_STR(l->fields[lf->field].name, strcspn(lw[i].path, ".") ==
		    strlen(l->fields[lf->field].name) ? l->fields[lf->field].name :
		    "(leaf in the wrong field)");
	}
out:
	layout_free(l);
}

static void
dtypes_normalize_and_scalars_are_shared(void)
{
	static const char json[] =
	    "{ \"gamehook_layout\": 1, \"fields\": {\n"
	    "  \"a\": { \"offset\": 0, \"type\": \"=i4\" },\n"
	    "  \"b\": { \"offset\": 0, \"type\": \"|i4\" },\n"
	    "  \"c\": { \"offset\": 0, \"type\": \"<u1\" },\n"
	    "  \"d\": { \"offset\": 0, \"type\": \">b1\" },\n"
	    "  \"e\": { \"offset\": 0, \"type\": \">S4\" },\n"
	    "  \"f\": { \"offset\": 0, \"type\": \"<i4\" },\n"
	    "  \"g\": { \"offset\": 0, \"type\": \">f8\" },\n"
	    "  \"h\": { \"offset\": 0, \"type\": \"<V3\" } } }\n";
	static const char *const want[] = { "<i4", "<i4", "|u1", "|b1", "|S4",
		"<i4", ">f8", "|V3" };
	char err[512];
	struct layout *l = parse(json, err, sizeof err);

	if (!CHECK(l != NULL)) {
		FAIL("%s", err);
		return;
	}
	for (int i = 0; i < 8 && i < l->nfields; i++)
		CHECK_EQ_STR(l->fields[i].type->dtype, want[i]);
	CHECK_EQ_PTR(l->fields[0].type, l->fields[1].type);
	CHECK_EQ_PTR(l->fields[0].type, l->fields[5].type);
	CHECK_EQ_INT(l->fields[6].type->big_endian, 1);
	CHECK_EQ_INT(l->fields[3].type->big_endian, 0);
	CHECK_EQ_INT(l->fields[4].type->big_endian, 0);
	CHECK_EQ_INT(l->blob_size, 8 * 7 + 3);
	layout_free(l);
}

/* --- errors -------------------------------------------------------------- */

struct errcase {
	const char *name;
	const char *json;
	const char *marker;     /* the line the error is on; NULL: line 1 */
	const char *want;       /* after "layout t.json:LINE: "; a trailing
	                         * '*' makes it a prefix */
};

#define HEAD "{\n  \"gamehook_layout\": 1,\n"

static const struct errcase errcases[] = {
	{ "invalid JSON", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"offset\": 0 \"type\": \"<i4\" }\n"
	  "  }\n}\n", "\"type\"", "not valid JSON: *" },
	{ "duplicate key", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"offset\": 0, \"type\": \"<i4\" },\n"
	  "    \"a\": { \"offset\": 4, \"type\": \"<i4\" }\n"
	  "  }\n}\n", "\"a\": { \"offset\": 4", "not valid JSON: duplicate "
	  "object key*" },
	{ "not an object", "[\n1\n]\n", NULL, "the layout is a JSON object" },
	{ "missing gamehook_layout",
	  "{\n  \"fields\": {\n    \"a\": { \"offset\": 0, \"type\": \"<i4\" }\n"
	  "  }\n}\n", NULL,
	  "gamehook_layout: missing: say \"gamehook_layout\": 1" },
	{ "wrong version",
	  "{\n  \"fields\": {\n    \"a\": { \"offset\": 0, \"type\": \"<i4\" }\n"
	  "  },\n  \"gamehook_layout\": 2\n}\n", "\"gamehook_layout\"",
	  "gamehook_layout: this is format 1; the layout says another" },
	{ "unknown top-level key", HEAD
	  "  \"fields\": {\n    \"a\": { \"offset\": 0, \"type\": \"<i4\" }\n"
	  "  },\n  \"feilds\": {}\n}\n", "\"feilds\"",
	  "feilds: unknown key 'feilds'" },
	{ "unknown key in a field", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"symbol\": \"a\", \"type\": \"<i4\",\n"
	  "           \"ofset\": 8 }\n"
	  "  }\n}\n", "\"ofset\"", "fields.a.ofset: unknown key 'ofset'" },
	{ "unknown key in a member", HEAD
	  "  \"types\": {\n"
	  "    \"T\": { \"size\": 4, \"members\": {\n"
	  "      \"m\": { \"offset\": 0,\n"
	  "             \"type\": \"<i4\", \"cout\": 1 } } }\n"
	  "  },\n"
	  "  \"fields\": { \"a\": { \"offset\": 0, \"type\": \"T\" } }\n}\n",
	  "\"cout\"", "types.T.members.m.cout: unknown key 'cout'" },
	{ "unknown key in a struct", HEAD
	  "  \"types\": {\n"
	  "    \"T\": { \"size\": 4,\n"
	  "           \"sise\": 4, \"members\": {\n"
	  "      \"m\": { \"offset\": 0, \"type\": \"<i4\" } } }\n"
	  "  },\n"
	  "  \"fields\": { \"a\": { \"offset\": 0, \"type\": \"T\" } }\n}\n",
	  "\"sise\"", "types.T.sise: unknown key 'sise'" },
	{ "bad field name", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"offset\": 0, \"type\": \"<i4\" },\n"
	  "    \"2b\": { \"offset\": 0, \"type\": \"<i4\" }\n"
	  "  }\n}\n", "\"2b\"",
	  "fields.2b: a field name is letters, digits and '_', at most 100 of them" },
	{ "bad member name", HEAD
	  "  \"types\": {\n"
	  "    \"T\": { \"size\": 4, \"members\": {\n"
	  "      \"m-1\": { \"offset\": 0, \"type\": \"<i4\" } } }\n"
	  "  },\n"
	  "  \"fields\": { \"a\": { \"offset\": 0, \"type\": \"T\" } }\n}\n",
	  "\"m-1\"", "types.T.members.m-1: a member name is letters, digits "
	  "and '_', at most 100 of them" },
	{ "neither symbol nor offset", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"offset\": 0, \"type\": \"<i4\" },\n"
	  "    \"b\": { \"module\": \"libx.so\",\n"
	  "           \"type\": \"<i4\" }\n"
	  "  }\n}\n", "\"b\"",
	  "fields.b: says nowhere where it is: give a symbol, a signature or "
	  "an offset" },
	{ "signature with a bad byte", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"type\": \"<i4\",\n"
	  "           \"signature\": \"48 8b zz 00 11\" }\n"
	  "  }\n}\n", "\"signature\"", "fields.a.signature: 'zz' at character 6 "
	  "is neither a hex byte nor ??" },
	{ "signature of wildcards", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"type\": \"<i4\",\n"
	  "           \"signature\": \"48 ?? ?? ?? ?? 8b\" }\n"
	  "  }\n}\n", "\"signature\"", "fields.a.signature: needs at least 4 "
	  "bytes that are not wildcards" },
	{ "signature and symbol", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"type\": \"<i4\", \"symbol\": \"x\",\n"
	  "           \"signature\": \"48 8b 05 11 22\" }\n"
	  "  }\n}\n", "\"signature\"", "fields.a.signature: a field is found by a "
	  "symbol or by a signature, not both" },
	{ "rip past the signature", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"type\": \"<i4\", \"signature\": \"48 8d 05 11 22 33\",\n"
	  "           \"rip\": 3 }\n"
	  "  }\n}\n", "\"rip\"", "fields.a.rip: expected an integer from 0 to 2" },
	{ "negative module offset", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"type\": \"<i4\",\n"
	  "           \"offset\": -8 }\n"
	  "  }\n}\n", "\"offset\": -8", "fields.a.offset: an offset from a "
	  "module's base cannot be negative" },
	{ "dtype without byte order", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"offset\": 0,\n"
	  "           \"type\": \"i4\" }\n"
	  "  }\n}\n", "\"type\"", "fields.a.type: unknown type 'i4' (not a "
	  "dtype, nor in \"types\")" },
	{ "dtype <i3", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"offset\": 0,\n"
	  "           \"type\": \"<i3\" }\n"
	  "  }\n}\n", "\"type\"",
	  "fields.a.type: bad dtype '<i3': integers are 1, 2, 4 or 8 bytes" },
	{ "dtype <x4", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"offset\": 0,\n"
	  "           \"type\": \"<x4\" }\n"
	  "  }\n}\n", "\"type\"", "fields.a.type: bad dtype '<x4': unknown "
	  "dtype kind (use i, u, f, b, S or V)" },
	{ "dtype <f2", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"offset\": 0,\n"
	  "           \"type\": \"<f2\" }\n"
	  "  }\n}\n", "\"type\"",
	  "fields.a.type: bad dtype '<f2': floats are 4 or 8 bytes" },
	{ "dtype <b2", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"offset\": 0,\n"
	  "           \"type\": \"<b2\" }\n"
	  "  }\n}\n", "\"type\"",
	  "fields.a.type: bad dtype '<b2': booleans are one byte: '|b1'" },
	{ "dtype <i", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"offset\": 0,\n"
	  "           \"type\": \"<i\" }\n"
	  "  }\n}\n", "\"type\"", "fields.a.type: bad dtype '<i': a dtype is "
	  "a byte order, a kind and a size, like '<i4'" },
	{ "dtype <", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"offset\": 0,\n"
	  "           \"type\": \"<\" }\n"
	  "  }\n}\n", "\"type\"", "fields.a.type: bad dtype '<': *" },
	{ "dtype |", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"offset\": 0,\n"
	  "           \"type\": \"|\" }\n"
	  "  }\n}\n", "\"type\"", "fields.a.type: bad dtype '|': *" },
	{ "dtype |S0", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"offset\": 0,\n"
	  "           \"type\": \"|S0\" }\n"
	  "  }\n}\n", "\"type\"", "fields.a.type: bad dtype '|S0': a dtype is "
	  "a byte order, a kind and a size, like '<i4'" },
	{ "unknown type name", HEAD
	  "  \"types\": {\n"
	  "    \"Hero\": { \"size\": 4, \"members\": {\n"
	  "      \"hp\": { \"offset\": 0, \"type\": \"<i4\" } } }\n"
	  "  },\n"
	  "  \"fields\": {\n"
	  "    \"hero\": { \"symbol\": \"hero\",\n"
	  "              \"type\": \"Heroo\" }\n"
	  "  }\n}\n", "\"type\": \"Heroo\"", "fields.hero.type: unknown type "
	  "'Heroo' (not a dtype, nor in \"types\")" },
	{ "type missing", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"offset\": 0 }\n"
	  "  }\n}\n", "\"a\"", "fields.a.type: missing: every value needs a "
	  "type" },
	{ "member out of struct bounds", HEAD
	  "  \"types\": {\n"
	  "    \"T\": { \"size\": 8, \"members\": {\n"
	  "      \"a\": { \"offset\": 0, \"type\": \"<i4\" },\n"
	  "      \"b\": { \"offset\": 6, \"type\": \"<i4\" } } }\n"
	  "  },\n"
	  "  \"fields\": { \"a\": { \"offset\": 0, \"type\": \"T\" } }\n}\n",
	  "\"b\"", "types.T.members.b: bytes 6-9 lie outside the struct's 8 "
	  "bytes" },
	{ "member offset past the struct", HEAD
	  "  \"types\": {\n"
	  "    \"T\": { \"size\": 8, \"members\": {\n"
	  "      \"a\": { \"offset\": 0, \"type\": \"<i4\" },\n"
	  "      \"b\": { \"offset\": 8, \"type\": \"|u1\" } } }\n"
	  "  },\n"
	  "  \"fields\": { \"a\": { \"offset\": 0, \"type\": \"T\" } }\n}\n",
	  "\"offset\": 8", "types.T.members.b.offset: expected an integer from "
	  "0 to 7" },
	{ "member array out of struct bounds", HEAD
	  "  \"types\": {\n"
	  "    \"T\": { \"size\": 8, \"members\": {\n"
	  "      \"a\": { \"offset\": 4, \"type\": \"<i2\",\n"
	  "             \"count\": 3 } } }\n"
	  "  },\n"
	  "  \"fields\": { \"a\": { \"offset\": 0, \"type\": \"T\" } }\n}\n",
	  "\"a\": { \"offset\": 4", "types.T.members.a: bytes 4-9 lie outside "
	  "the struct's 8 bytes" },
	{ "overlapping members", HEAD
	  "  \"types\": {\n"
	  "    \"Hero\": { \"size\": 40, \"members\": {\n"
	  "      \"x\": { \"offset\": 0, \"type\": \"<i4\" },\n"
	  "      \"name\": { \"offset\": 8, \"type\": \"|S16\" },\n"
	  "      \"hp\": { \"offset\": 20, \"type\": \"<i4\" } } }\n"
	  "  },\n"
	  "  \"fields\": { \"a\": { \"offset\": 0, \"type\": \"Hero\" } }\n}\n",
	  "\"hp\"", "types.Hero.members.hp: overlaps member 'name' (bytes "
	  "8-23)" },
	{ "struct size 0", HEAD
	  "  \"types\": {\n"
	  "    \"T\": { \"members\": {\n"
	  "      \"a\": { \"offset\": 0, \"type\": \"<i4\" } },\n"
	  "           \"size\": 0 }\n"
	  "  },\n"
	  "  \"fields\": { \"a\": { \"offset\": 0, \"type\": \"T\" } }\n}\n",
	  "\"size\"", "types.T.size: a struct needs a size of at least 1" },
	{ "struct without members", HEAD
	  "  \"types\": {\n"
	  "    \"T\": { \"size\": 4,\n"
	  "           \"members\": {} }\n"
	  "  },\n"
	  "  \"fields\": { \"a\": { \"offset\": 0, \"type\": \"T\" } }\n}\n",
	  "\"members\"", "types.T.members: a struct needs members: an object of "
	  "name -> {offset, type}" },
	{ "member count 0", HEAD
	  "  \"types\": {\n"
	  "    \"T\": { \"size\": 8, \"members\": {\n"
	  "      \"a\": { \"offset\": 0, \"type\": \"<i4\",\n"
	  "             \"count\": 0 } } }\n"
	  "  },\n"
	  "  \"fields\": { \"a\": { \"offset\": 0, \"type\": \"T\" } }\n}\n",
	  "\"count\"", "types.T.members.a.count: a member's count is a fixed "
	  "integer of at least 1" },
	{ "field count 0", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"offset\": 0, \"type\": \"<i4\",\n"
	  "           \"count\": 0 }\n"
	  "  }\n}\n", "\"count\"", "fields.a.count: a fixed count is at least 1" },
	{ "counted array without max", HEAD
	  "  \"fields\": {\n"
	  "    \"n\": { \"offset\": 0, \"type\": \"<i4\" },\n"
	  "    \"e\": { \"offset\": 8, \"type\": \"<i4\",\n"
	  "           \"count\": \"n\" }\n"
	  "  }\n}\n", "\"e\"",
	  "fields.e: an array counted by 'n' needs \"max\"" },
	{ "max without a count field", HEAD
	  "  \"fields\": {\n"
	  "    \"e\": { \"offset\": 8, \"type\": \"<i4\",\n"
	  "           \"max\": 4 }\n"
	  "  }\n}\n", "\"max\"",
	  "fields.e.max: max goes with a count read from a field" },
	{ "max with a fixed count", HEAD
	  "  \"fields\": {\n"
	  "    \"e\": { \"offset\": 8, \"type\": \"<i4\", \"count\": 2,\n"
	  "           \"max\": 4 }\n"
	  "  }\n}\n", "\"max\"",
	  "fields.e.max: max goes with a count read from a field" },
	{ "max 0", HEAD
	  "  \"fields\": {\n"
	  "    \"n\": { \"offset\": 0, \"type\": \"<i4\" },\n"
	  "    \"e\": { \"offset\": 8, \"type\": \"<i4\", \"count\": \"n\",\n"
	  "           \"max\": 0 }\n"
	  "  }\n}\n", "\"max\"", "fields.e.max: max must be at least 1" },
	{ "count path unknown", HEAD
	  "  \"types\": {\n"
	  "    \"H\": { \"size\": 8, \"members\": {\n"
	  "      \"hp\": { \"offset\": 0, \"type\": \"<u2\" },\n"
	  "      \"f\": { \"offset\": 4, \"type\": \"<f4\" } } }\n"
	  "  },\n"
	  "  \"fields\": {\n"
	  "    \"hero\": { \"offset\": 0, \"type\": \"H\" },\n"
	  "    \"entity_count\": { \"offset\": 8, \"type\": \"<i4\" },\n"
	  "    \"ratio\": { \"offset\": 16, \"type\": \"<f8\" },\n"
	  "    \"entities\": { \"offset\": 8, \"type\": \"<i4\",\n"
	  "                  \"count\": \"entity_cnt\", \"max\": 4 }\n"
	  "  }\n}\n", "\"count\"", "fields.entities.count: 'entity_cnt' is not "
	  "a field (integer fields: hero.hp, entity_count)" },
	{ "count path names a float", HEAD
	  "  \"fields\": {\n"
	  "    \"ratio\": { \"offset\": 16, \"type\": \"<f8\" },\n"
	  "    \"e\": { \"offset\": 8, \"type\": \"<i4\",\n"
	  "           \"count\": \"ratio\", \"max\": 4 }\n"
	  "  }\n}\n", "\"count\"",
	  "fields.e.count: 'ratio' is not a single integer" },
	{ "count path names an array element", HEAD
	  "  \"types\": {\n"
	  "    \"H\": { \"size\": 16, \"members\": {\n"
	  "      \"stats\": { \"offset\": 0, \"type\": \"<i4\", \"count\": 4 } } }\n"
	  "  },\n"
	  "  \"fields\": {\n"
	  "    \"hero\": { \"offset\": 0, \"type\": \"H\" },\n"
	  "    \"e\": { \"offset\": 8, \"type\": \"<i4\",\n"
	  "           \"count\": \"hero.stats\", \"max\": 4 }\n"
	  "  }\n}\n", "\"count\": \"hero.stats\"",
	  "fields.e.count: 'hero.stats' is not a single integer" },
	{ "pointers not a list", HEAD
	  "  \"fields\": {\n"
	  "    \"p\": { \"symbol\": \"p\", \"type\": \"<i4\",\n"
	  "           \"pointers\": 8 }\n"
	  "  }\n}\n", "\"pointers\"", "fields.p.pointers: pointers is a list of "
	  "1 to 16 integer offsets" },
	{ "pointers empty", HEAD
	  "  \"fields\": {\n"
	  "    \"p\": { \"symbol\": \"p\", \"type\": \"<i4\",\n"
	  "           \"pointers\": [] }\n"
	  "  }\n}\n", "\"pointers\"", "fields.p.pointers: pointers is a list of "
	  "1 to 16 integer offsets" },
	{ "pointer step not an integer", HEAD
	  "  \"fields\": {\n"
	  "    \"p\": { \"symbol\": \"p\", \"type\": \"<i4\",\n"
	  "           \"pointers\": [0, \"8\"] }\n"
	  "  }\n}\n", "\"pointers\"",
	  "fields.p.pointers: step 1 is not an integer offset" },
	{ "build_id not hex", HEAD
	  "  \"build_id\": \"3f0g\",\n"
	  "  \"fields\": { \"a\": { \"offset\": 0, \"type\": \"<i4\" } }\n}\n",
	  "\"build_id\"", "build_id: a build id is lower-case hex, as readelf -n "
	  "prints it" },
	{ "build_id odd length", HEAD
	  "  \"build_id\": \"3f0\",\n"
	  "  \"fields\": { \"a\": { \"offset\": 0, \"type\": \"<i4\" } }\n}\n",
	  "\"build_id\"", "build_id: a build id is lower-case hex, as readelf -n "
	  "prints it" },
	{ "fields missing", HEAD
	  "  \"types\": {}\n}\n", NULL,
	  "fields: missing: \"fields\" names at least one field" },
	{ "fields empty", HEAD
	  "  \"types\": {},\n"
	  "  \"fields\": {}\n}\n", "\"fields\"",
	  "fields: missing: \"fields\" names at least one field" },
	{ "type used before it is declared", HEAD
	  "  \"types\": {\n"
	  "    \"A\": { \"size\": 8, \"members\": {\n"
	  "      \"b\": { \"offset\": 0,\n"
	  "             \"type\": \"B\" } } },\n"
	  "    \"B\": { \"size\": 4, \"members\": {\n"
	  "      \"x\": { \"offset\": 0, \"type\": \"<i4\" } } }\n"
	  "  },\n"
	  "  \"fields\": { \"a\": { \"offset\": 0, \"type\": \"A\" } }\n}\n",
	  "\"type\": \"B\"", "types.A.members.b.type: unknown type 'B' (not a "
	  "dtype, nor in \"types\")" },
	{ "error inside an inline struct", HEAD
	  "  \"fields\": {\n"
	  "    \"a\": { \"offset\": 0, \"type\": { \"size\": 4, \"members\": {\n"
	  "      \"x\": { \"offset\": 0,\n"
	  "             \"type\": \"<q4\" } } } }\n"
	  "  }\n}\n", "\"<q4\"", "fields.a.type.members.x.type: bad dtype "
	  "'<q4': unknown dtype kind (use i, u, f, b, S or V)" },
};

static void
every_error_names_its_path_and_line(void)
{
	for (size_t i = 0; i < sizeof errcases / sizeof errcases[0]; i++) {
		const struct errcase *e = &errcases[i];
		char err[1024], want[1024];
		int line = e->marker ? line_of(e->json, e->marker) : 1;

		if (line < 0) {
			FAIL("%s: marker not in the text", e->name);
			continue;
		}
		snprintf(want, sizeof want, "layout " SRC ":%d: %s", line, e->want);
		struct layout *l = parse(e->json, err, sizeof err);
		if (l != NULL) {
			FAIL("%s: parsed", e->name);
			layout_free(l);
			continue;
		}
		size_t n = strlen(want);
		int ok;
		if (want[n - 1] == '*')
			ok = strncmp(err, want, n - 1) == 0;
		else
			ok = strcmp(err, want) == 0;
		if (!ok)
			FAIL("%s: got [%s], want [%s]", e->name, err, want);
		else
			CHECK(ok);
	}
}

/* --- rendering ------------------------------------------------------------ */

static void
put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The hand-built state of the good layout. */
static void
fill_blob(uint8_t *b)
{
	memset(b, 0, BLOB_SIZE);
	put_le(b + OFF_TICK, 123456, 4);
	put_le(b + OFF_HERO, (uint16_t)-5, 2);
	b[OFF_HERO + 2] = 1;
	b[OFF_HERO + 3] = 200;
	float fx = 1.5f, fy = NAN;
	memcpy(b + OFF_HERO + 4, &fx, 4);
	memcpy(b + OFF_HERO + 8, &fy, 4);
	int32_t st[4] = { 1, -2, 3, 2147483647 };
	memcpy(b + OFF_HERO + 12, st, 16);
	memcpy(b + OFF_HERO + 28, "A\"\xe9z", 4);
	b[OFF_HERO + 36] = 1;
	b[OFF_HERO + 37] = 2;
	b[OFF_HERO + 38] = 3;
	b[OFF_HERO + 39] = 4;
	double xp = 0.25, ratio = -2.5;
	memcpy(b + OFF_HERO + 40, &xp, 8);
	b[OFF_COUNT] = 3;
	for (int i = 0; i < 5; i++) {
		uint8_t *e = b + OFF_ENT + 12 * i;
		put_le(e, (uint64_t)(10 + i), 2);
		put_le(e + 4, (uint64_t)(100 * i), 4);
		put_le(e + 8, (uint64_t)i, 2);
		put_le(e + 10, (uint16_t)-i, 2);
	}
	b[OFF_GRID] = 0xff;
	b[OFF_GRID + 1] = 0;
	b[OFF_GRID + 2] = 127;
	memcpy(b + OFF_MSG, "hi", 2);
	memcpy(b + OFF_RAW, "\xde\xad\xbe\xef\x00\x01\x02\xff", 8);
	memcpy(b + OFF_RATIO, &ratio, 8);
	b[OFF_INLINE] = 7;
	b[OFF_INLINE + 1] = 1;
	b[OFF_INLINE + 2] = 2;
}

static const char whole_json[] =
    "{\"tick\":123456,\"hero\":{\"hp\":-5,\"alive\":true,\"lvl\":200,"
    "\"pos\":{\"x\":1.5,\"y\":null},\"stats\":[1,-2,3,2147483647],"
    "\"name\":\"A\\\"\\u00e9z\",\"big\":16909060,\"xp\":0.25},"
    "\"entity_count\":3,\"entities\":[{\"id\":10,\"hp\":0,\"pos\":[0,0]},"
    "{\"id\":11,\"hp\":100,\"pos\":[1,-1]},{\"id\":12,\"hp\":200,"
    "\"pos\":[2,-2]}],\"grid\":[-1,0,127],\"first_msg\":\"hi\","
    "\"raw\":\"deadbeef000102ff\",\"ratio\":-2.5,\"inline\":{\"a\":7,"
    "\"b\":258}}";

/* layout_json of PATH must be WANT. */
static void
expect_json(const struct layout *l, const uint8_t *b, const uint8_t *unr,
    const char *path, const char *want)
{
	char out[2048], err[512];
	err[0] = '\0';
	long n = layout_json(l, b, unr, path, out, sizeof out, err, sizeof err);
	if (n < 0) {
		FAIL("%s: error %s", path ? path : "(all)", err);
		return;
	}
	CHECK_EQ_INT(n, (long)strlen(want));
	if (strcmp(out, want) != 0)
		FAIL("%s: got %s, want %s", path ? path : "(all)", out, want);
	else
		CHECK(1);
}

static void
expect_json_err(const struct layout *l, const uint8_t *b, const char *path,
    const char *want)
{
	char out[256], err[512];
	strcpy(err, "(unset)");
	long n = layout_json(l, b, NULL, path, out, sizeof out, err, sizeof err);
	CHECK_EQ_INT(n, -1);
	if (strcmp(err, want) != 0)
		FAIL("%s: error [%s], want [%s]", path, err, want);
	else
		CHECK(1);
}

static void
json_renders_state_and_paths(void)
{
	struct layout *l = good_layout();
	uint8_t b[BLOB_SIZE], unr[9] = { 0 };

	if (l == NULL)
		return;
	fill_blob(b);
	expect_json(l, b, NULL, NULL, whole_json);
	expect_json(l, b, unr, NULL, whole_json);
	expect_json(l, b, NULL, "tick", "123456");
	expect_json(l, b, NULL, "hero.hp", "-5");
	expect_json(l, b, NULL, "hero.alive", "true");
	expect_json(l, b, NULL, "hero.lvl", "200");
	expect_json(l, b, NULL, "hero.big", "16909060");
	expect_json(l, b, NULL, "hero.pos", "{\"x\":1.5,\"y\":null}");
	expect_json(l, b, NULL, "hero.pos.y", "null");
	expect_json(l, b, NULL, "hero.stats", "[1,-2,3,2147483647]");
	expect_json(l, b, NULL, "hero.stats[3]", "2147483647");
	expect_json(l, b, NULL, "hero.name", "\"A\\\"\\u00e9z\"");
	expect_json(l, b, NULL, "hero", "{\"hp\":-5,\"alive\":true,\"lvl\":200,"
	    "\"pos\":{\"x\":1.5,\"y\":null},\"stats\":[1,-2,3,2147483647],"
	    "\"name\":\"A\\\"\\u00e9z\",\"big\":16909060,\"xp\":0.25}");
	expect_json(l, b, NULL, "entities", "[{\"id\":10,\"hp\":0,\"pos\":[0,0]},"
	    "{\"id\":11,\"hp\":100,\"pos\":[1,-1]},{\"id\":12,\"hp\":200,"
	    "\"pos\":[2,-2]}]");
	expect_json(l, b, NULL, "entities[1]",
	    "{\"id\":11,\"hp\":100,\"pos\":[1,-1]}");
	expect_json(l, b, NULL, "entities[1].hp", "100");
	expect_json(l, b, NULL, "entities[2].pos[1]", "-2");
	expect_json(l, b, NULL, "entities.hp", "[0,100,200]");
	expect_json(l, b, NULL, "entities.pos", "[[0,0],[1,-1],[2,-2]]");
	expect_json(l, b, NULL, "entities.pos[1]", "[0,-1,-2]");
	expect_json(l, b, NULL, "grid", "[-1,0,127]");
	expect_json(l, b, NULL, "grid[0]", "-1");
	expect_json(l, b, NULL, "raw", "\"deadbeef000102ff\"");
	expect_json(l, b, NULL, "ratio", "-2.5");
	expect_json(l, b, NULL, "inline.b", "258");

	/* The count comes from the blob, clamped to [0, max]. */
	b[OFF_COUNT] = 9;
	expect_json(l, b, NULL, "entities.id", "[10,11,12,13,14]");
	b[OFF_COUNT] = 0;
	expect_json(l, b, NULL, "entities", "[]");
	expect_json(l, b, NULL, "entities.hp", "[]");
	b[OFF_COUNT] = 3;

	/* Unreadable fields are null, whole or by path. */
	unr[7] = 1;
	unr[3] = 1;
	char want[2048];
	snprintf(want, sizeof want, "%s", whole_json);
	char *p = strstr(want, "\"entities\":[");
	char *q = strstr(want, ",\"grid\"");
	memmove(p + strlen("\"entities\":null"), q, strlen(q) + 1);
	memcpy(p, "\"entities\":null", strlen("\"entities\":null"));
	p = strstr(want, "\"ratio\":-2.5");
	memmove(p + strlen("\"ratio\":null"), p + strlen("\"ratio\":-2.5"),
	    strlen(p + strlen("\"ratio\":-2.5")) + 1);
	memcpy(p, "\"ratio\":null", strlen("\"ratio\":null"));
	expect_json(l, b, unr, NULL, want);
	expect_json(l, b, unr, "ratio", "null");
	expect_json(l, b, unr, "entities[1].hp", "null");
	expect_json(l, b, unr, "tick", "123456");

	/* Bad paths. */
	expect_json_err(l, b, "nope", "unknown field 'nope' (fields: tick, hero, "
	    "entity_count, entities, grid, first_msg, raw, ratio, inline)");
	expect_json_err(l, b, "hero.mana", "hero.mana: no member 'mana' "
	    "(members: hp, alive, lvl, pos, stats, name, big, xp)");
	expect_json_err(l, b, "entities[3]",
	    "entities[3]: index 3 is out of range (3 elements)");
	expect_json_err(l, b, "entities[3].hp",
	    "entities[3].hp: index 3 is out of range (3 elements)");
	expect_json_err(l, b, "hero.stats[4]",
	    "hero.stats[4]: index 4 is out of range (4 elements)");
	expect_json_err(l, b, "tick[0]",
	    "tick[0]: '[0]' indexes something that is not an array");
	expect_json_err(l, b, "hero.hp[1]",
	    "hero.hp[1]: '[1]' indexes something that is not an array");
	expect_json_err(l, b, "entities[x]",
	    "entities[x]: '[x]' indexes badly (use [N])");
	expect_json_err(l, b, "tick.x",
	    "tick.x: '.x' follows a value that has no members");
	layout_free(l);
}

static void
json_output_truncates_and_returns_the_length_needed(void)
{
	struct layout *l = good_layout();
	uint8_t b[BLOB_SIZE];
	char out[64], err[64];
	long full = (long)strlen(whole_json);

	if (l == NULL)
		return;
	fill_blob(b);
	for (size_t cap = 1; cap <= sizeof out; cap += 7) {
		memset(out, 'X', sizeof out);
		long n = layout_json(l, b, NULL, NULL, out, cap, err, sizeof err);
		CHECK_EQ_INT(n, full);
		CHECK_EQ_INT(strnlen(out, sizeof out), cap - 1);
		CHECK(strncmp(out, whole_json, cap - 1) == 0);
		if (cap < sizeof out)
			CHECK_EQ_INT(out[cap], 'X');
	}
	CHECK_EQ_INT(layout_json(l, b, NULL, NULL, NULL, 0, err, sizeof err),
	    full);
	memset(out, 'X', sizeof out);
	CHECK_EQ_INT(layout_json(l, b, NULL, "hero.name", out, 5, err,
	    sizeof err), (long)strlen("\"A\\\"\\u00e9z\""));
	CHECK_EQ_STR(out, "\"A\\\"");
	layout_free(l);
}

/* Names are unbounded ([A-Za-z_][A-Za-z0-9_]*): a long one renders whole. */
static void
long_names_render_whole(void)
{
	char name[81], json[512], err[512], out[512], want[512];

	memset(name, 'n', 80);
	name[80] = '\0';
	snprintf(json, sizeof json, "{ \"gamehook_layout\": 1, \"fields\": {\n"
	    "  \"%s\": { \"offset\": 0, \"type\": { \"size\": 1, \"members\": {\n"
	    "    \"m%s\": { \"offset\": 0, \"type\": \"|u1\" } } } } } }\n",
	    name, name);
	struct layout *l = parse(json, err, sizeof err);
	if (!CHECK(l != NULL)) {
		FAIL("%s", err);
		return;
	}
	uint8_t b[8] = { 42 };
	snprintf(want, sizeof want, "{\"%s\":{\"m%s\":42}}", name, name);
	long n = layout_json(l, b, NULL, NULL, out, sizeof out, err, sizeof err);
	CHECK_EQ_INT(n, (long)strlen(want));
	CHECK_EQ_STR(out, want);
	layout_free(l);
}

/* Names up to LT_NAME_MAX work by path and in errors; longer ones are
 * refused at their line. */
static void
long_names_are_reachable_by_path_and_in_errors(void)
{
	char name[LT_NAME_MAX + 2], json[1024], err[1024], out[64], want[1024];

	memset(name, 'q', LT_NAME_MAX);
	name[LT_NAME_MAX] = '\0';
	snprintf(json, sizeof json, "{ \"gamehook_layout\": 1, \"fields\": {\n"
	    "  \"%s\": { \"offset\": 0, \"type\": \"|u1\" },\n"
	    "  \"b\": { \"offset\": 0, \"type\": \"|u1\" } } }\n", name);
	struct layout *l = parse(json, err, sizeof err);
	if (!CHECK(l != NULL)) {
		FAIL("%s", err);
		return;
	}
	uint8_t b[16] = { 42 };
	long n = layout_json(l, b, NULL, name, out, sizeof out, err, sizeof err);
	if (n < 0)
		FAIL("get %.20s...: %s", name, err);
	else
		CHECK_EQ_STR(out, "42");
	layout_free(l);

	snprintf(json, sizeof json, "{ \"gamehook_layout\": 1, \"fields\": {\n"
	    "  \"b\": { \"offset\": 0, \"type\": \"|u1\" },\n"
	    "  \"%s\": { \"offset\": 0,\n"
	    "     \"type\": \"<i3\" } } }\n", name);
	snprintf(want, sizeof want, "layout " SRC ":4: fields.%s.type: bad dtype "
	    "'<i3': integers are 1, 2, 4 or 8 bytes", name);
	l = parse(json, err, sizeof err);
	CHECK(l == NULL);
	CHECK_EQ_STR(err, want);
	layout_free(l);

	strcat(name, "q");   /* one too many */
	snprintf(json, sizeof json, "{ \"gamehook_layout\": 1, \"fields\": {\n"
	    "  \"b\": { \"offset\": 0, \"type\": \"|u1\" },\n"
	    "  \"%s\": { \"offset\": 0, \"type\": \"|u1\" } } }\n", name);
	snprintf(want, sizeof want, "layout " SRC ":3: fields.%s: a field name "
	    "is letters, digits and '_', at most %d of them", name, LT_NAME_MAX);
	l = parse(json, err, sizeof err);
	CHECK(l == NULL);
	CHECK_EQ_STR(err, want);
	layout_free(l);
}

/* --- set ------------------------------------------------------------------ */

static void
place_finds_scalars_and_refuses_the_rest(void)
{
	struct layout *l = good_layout();
	uint8_t b[BLOB_SIZE];
	struct lt_place p;
	char err[256];
	static const struct {
		const char *path, *field, *dtype;
		size_t off;
	} ok[] = {
		{ "tick", "tick", "<u4", 0 },
		{ "hero.hp", "hero", "<i2", 0 },
		{ "hero.pos.y", "hero", "<f4", 8 },
		{ "hero.stats[2]", "hero", "<i4", 20 },
		{ "hero.name", "hero", "|S8", 28 },
		{ "entities[2].hp", "entities", "<i4", 2 * 12 + 4 },
		{ "entities[1].pos[1]", "entities", "<i2", 12 + 10 },
		{ "grid[2]", "grid", "|i1", 2 },
		{ "raw", "raw", "|V8", 0 },
		{ "inline.b", "inline", ">u2", 1 },
	};
	static const struct { const char *path, *want; } bad[] = {
		{ "hero", "hero is a struct; set one value, such as "
		  "hero.<member>" },
		{ "hero.pos", "hero.pos is a struct; set one value, such as "
		  "hero.pos.<member>" },
		{ "entities", "entities is a list; set one value, such as "
		  "entities[0]" },
		{ "hero.stats", "hero.stats is a list; set one value, such as "
		  "hero.stats[0]" },
		{ "entities[3].hp", "entities[3].hp: index 3 is out of range "
		  "(3 elements)" },
		{ "nope", "unknown field 'nope' (fields: tick, hero, entity_count, "
		  "entities, grid, first_msg, raw, ratio, inline)" },
	};

	if (l == NULL)
		return;
	fill_blob(b);
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		memset(&p, 0, sizeof p);
		if (layout_place(l, ok[i].path, b, &p, err, sizeof err) != 0) {
			FAIL("%s: %s", ok[i].path, err);
			continue;
		}
		CHECK_EQ_INT(p.field, field_index(l, ok[i].field));
		CHECK_EQ_INT(p.off, ok[i].off);
		CHECK_EQ_STR(p.type->dtype, ok[i].dtype);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		CHECK_EQ_INT(layout_place(l, bad[i].path, b, &p, err, sizeof err),
		    -1);
		if (strcmp(err, bad[i].want) != 0)
			FAIL("%s: [%s], want [%s]", bad[i].path, err, bad[i].want);
	}
	/* A column is a list too. */
	err[0] = '\0';
	CHECK_EQ_INT(layout_place(l, "entities.hp", b, &p, err, sizeof err), -1);
	CHECK(strstr(err, "entities.hp is a list") == err);
	/* ... and what it suggests is not the path it refused. */
	if (strstr(err, "(such as entities.hp)") != NULL)
		FAIL("suggests the refused path itself: %s", err);
	else
		CHECK(1);
	/* Without a blob, indexes go up to max. */
	CHECK_EQ_INT(layout_place(l, "entities[4].hp", NULL, &p, err,
	    sizeof err), 0);
	CHECK_EQ_INT(p.off, 4 * 12 + 4);
	CHECK_EQ_INT(layout_place(l, "entities[5].hp", NULL, &p, err,
	    sizeof err), -1);
	CHECK_EQ_STR(err, "entities[5].hp: index 5 is out of range (5 elements)");
	layout_free(l);
}

/* Encode VALUE for the scalar at PATH; WANT NULL expects an error. */
static void
enc(const struct layout *l, const char *path, const char *value,
    const char *want, size_t n)
{
	struct lt_place p;
	uint8_t out[16];
	char err[256];

	if (layout_place(l, path, NULL, &p, err, sizeof err) != 0) {
		FAIL("%s: %s", path, err);
		return;
	}
	memset(out, 0xaa, sizeof out);
	err[0] = '\0';
	int r = layout_encode(p.type, value, out, err, sizeof err);
	if (want == NULL) {
		if (r != -1 || err[0] == '\0')
			FAIL("%s = '%s': accepted (r %d)", path, value, r);
		else
			CHECK(1);
		return;
	}
	if (r != 0) {
		FAIL("%s = '%s': %s", path, value, err);
		return;
	}
	CHECK_EQ_INT(n, p.type->size);
	if (memcmp(out, want, n) != 0)
		FAIL("%s = '%s': wrong bytes", path, value);
	else
		CHECK(1);
	CHECK_EQ_INT(out[p.type->size], 0xaa);
}

static void
encode_checks_ranges_and_formats(void)
{
	static const char json[] =
	    "{ \"gamehook_layout\": 1, \"fields\": {\n"
	    "  \"i1\": { \"offset\": 0, \"type\": \"|i1\" },\n"
	    "  \"i2\": { \"offset\": 0, \"type\": \"<i2\" },\n"
	    "  \"i8\": { \"offset\": 0, \"type\": \"<i8\" },\n"
	    "  \"u1\": { \"offset\": 0, \"type\": \"|u1\" },\n"
	    "  \"u8\": { \"offset\": 0, \"type\": \"<u8\" },\n"
	    "  \"bi\": { \"offset\": 0, \"type\": \">i4\" },\n"
	    "  \"bu\": { \"offset\": 0, \"type\": \">u2\" },\n"
	    "  \"f4\": { \"offset\": 0, \"type\": \"<f4\" },\n"
	    "  \"f8\": { \"offset\": 0, \"type\": \">f8\" },\n"
	    "  \"b\": { \"offset\": 0, \"type\": \"|b1\" },\n"
	    "  \"s\": { \"offset\": 0, \"type\": \"|S4\" },\n"
	    "  \"v\": { \"offset\": 0, \"type\": \"|V3\" } } }\n";
	char err[512];
	struct layout *l = parse(json, err, sizeof err);

	if (!CHECK(l != NULL)) {
		FAIL("%s", err);
		return;
	}
	enc(l, "i1", "127", "\x7f", 1);
	enc(l, "i1", "-128", "\x80", 1);
	enc(l, "i1", "128", NULL, 0);
	enc(l, "i1", "-129", NULL, 0);
	enc(l, "i2", "32767", "\xff\x7f", 2);
	enc(l, "i2", "-32768", "\x00\x80", 2);
	enc(l, "i2", "32768", NULL, 0);
	enc(l, "i2", "-32769", NULL, 0);
	enc(l, "i2", "0x10", "\x10\x00", 2);
	enc(l, "i2", "-0x8000", "\x00\x80", 2);
	enc(l, "i2", "", NULL, 0);
	enc(l, "i2", "12abc", NULL, 0);
	enc(l, "i2", "1.5", NULL, 0);
	enc(l, "i8", "9223372036854775807", "\xff\xff\xff\xff\xff\xff\xff\x7f", 8);
	enc(l, "i8", "-9223372036854775808", "\0\0\0\0\0\0\0\x80", 8);
	enc(l, "i8", "9223372036854775808", NULL, 0);
	enc(l, "u1", "255", "\xff", 1);
	enc(l, "u1", "0x10", "\x10", 1);
	enc(l, "u1", "256", NULL, 0);
	enc(l, "u1", "-1", NULL, 0);
	enc(l, "u8", "18446744073709551615", "\xff\xff\xff\xff\xff\xff\xff\xff",
	    8);
	enc(l, "u8", "18446744073709551616", NULL, 0);
	enc(l, "u8", "-1", NULL, 0);
	enc(l, "u8", " -1", NULL, 0);   /* not 2^64 - 1 */
	enc(l, "u1", " -1", NULL, 0);
	enc(l, "bi", "0x01020304", "\x01\x02\x03\x04", 4);
	enc(l, "bi", "-2", "\xff\xff\xff\xfe", 4);
	enc(l, "bu", "258", "\x01\x02", 2);
	enc(l, "bu", "65536", NULL, 0);
	float f = 1.5f;
	double d = -2.5;
	uint8_t fb[4], db[8];
	memcpy(fb, &f, 4);
	memcpy(&db, &d, 8);
	uint8_t dbe[8];
	for (int i = 0; i < 8; i++)
		dbe[i] = db[7 - i];
	enc(l, "f4", "1.5", (const char *)fb, 4);
	enc(l, "f8", "-2.5", (const char *)dbe, 8);
	enc(l, "f4", "abc", NULL, 0);
	enc(l, "f4", "", NULL, 0);
	enc(l, "b", "true", "\x01", 1);
	enc(l, "b", "false", "\x00", 1);
	enc(l, "b", "1", "\x01", 1);
	enc(l, "b", "0", "\x00", 1);
	enc(l, "b", "yes", NULL, 0);
	enc(l, "s", "\"ab\"", "ab\0\0", 4);
	enc(l, "s", "ab", "ab\0\0", 4);
	enc(l, "s", "abcd", "abcd", 4);
	enc(l, "s", "\"abcd\"", "abcd", 4);
	enc(l, "s", "abcde", NULL, 0);
	enc(l, "v", "deadbe", "\xde\xad\xbe", 3);
	enc(l, "v", "DEADBE", "\xde\xad\xbe", 3);
	enc(l, "v", "dead", NULL, 0);
	enc(l, "v", "deadbeef", NULL, 0);
	enc(l, "v", "zzadbe", NULL, 0);

	/* The messages name the value and the type. */
	struct lt_place p;
	uint8_t out[8];
	CHECK_EQ_INT(layout_place(l, "i2", NULL, &p, err, sizeof err), 0);
	CHECK_EQ_INT(layout_encode(p.type, "32768", out, err, sizeof err), -1);
	CHECK_EQ_STR(err, "'32768' is not an integer that fits <i2");
	CHECK_EQ_INT(layout_place(l, "s", NULL, &p, err, sizeof err), 0);
	CHECK_EQ_INT(layout_encode(p.type, "abcde", out, err, sizeof err), -1);
	CHECK_EQ_STR(err, "the text is 5 bytes; |S4 holds 4");
	CHECK_EQ_INT(layout_place(l, "v", NULL, &p, err, sizeof err), 0);
	CHECK_EQ_INT(layout_encode(p.type, "dead", out, err, sizeof err), -1);
	CHECK_EQ_STR(err, "|V3 takes 6 hex digits");
	/* A struct cannot be encoded. */
	struct layout *g = good_layout();
	if (g != NULL) {
		CHECK_EQ_INT(layout_encode(g->fields[1].type, "1", out, err,
		    sizeof err), -1);
		CHECK_EQ_STR(err, "a struct cannot be set whole");
		layout_free(g);
	}
	layout_free(l);
}

/* A value beyond what a float holds is no more a float than 32768 is an
 * <i2. */
static void
encode_refuses_floats_out_of_f4_range(void)
{
	static const char json[] =
	    "{ \"gamehook_layout\": 1, \"fields\": {\n"
	    "  \"f4\": { \"offset\": 0, \"type\": \"<f4\" } } }\n";
	char err[512];
	struct layout *l = parse(json, err, sizeof err);

	if (!CHECK(l != NULL))
		return;
	float big = 3.4e38f;
	uint8_t bb[4];
	memcpy(bb, &big, 4);
	enc(l, "f4", "3.4e38", (const char *)bb, 4);
	enc(l, "f4", "1e39", NULL, 0);
	enc(l, "f4", "-1e39", NULL, 0);
	layout_free(l);
}

/* --- naming bytes ---------------------------------------------------------- */

static void
name_at_names_every_byte(void)
{
	struct layout *l = good_layout();
	static const struct { size_t off; const char *want; } w[] = {
		{ 0, "tick" }, { 3, "tick" }, { 4, "(padding at 4)" },
		{ OFF_HERO, "hero.hp" }, { OFF_HERO + 1, "hero.hp" },
		{ OFF_HERO + 8, "hero.pos.y" }, { OFF_HERO + 28, "hero.name" },
		{ OFF_HERO + 20, "hero.stats[2]" }, { OFF_HERO + 23, "hero.stats[2]" },
		{ OFF_HERO + 31, "hero.name+3" }, { OFF_HERO + 47, "hero.xp" },
		{ OFF_COUNT, "entity_count" },
		{ OFF_ENT + 3 * 12 + 4, "entities[3].hp" },
		{ OFF_ENT + 3 * 12 + 7, "entities[3].hp" },
		{ OFF_ENT + 2, "entities[0]+2" },
		{ OFF_ENT + 12 + 10, "entities[1].pos[1]" },
		{ OFF_ENT + 4 * 12 + 11, "entities[4].pos[1]" },
		{ OFF_GRID + 2, "grid[2]" }, { OFF_MSG + 3, "first_msg+3" },
		{ OFF_RAW, "raw" }, { OFF_RAW + 5, "raw+5" },
		{ OFF_INLINE + 2, "inline.b" }, { BLOB_SIZE, "(padding at 163)" },
	};
	char buf[128];

	if (l == NULL)
		return;
	for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
		const char *want = w[i].want;
		memset(buf, 'X', sizeof buf);
		layout_name_at(l, w[i].off, buf, sizeof buf);
		if (strcmp(buf, want) != 0)
			FAIL("byte %zu: named %s, want %s", w[i].off, buf, want);
		else
			CHECK(1);
	}
	/* Truncated to the buffer, NUL-terminated. */
	memset(buf, 'X', sizeof buf);
	layout_name_at(l, OFF_ENT + 3 * 12 + 4, buf, 8);
	CHECK_EQ_STR(buf, "entitie");
	layout_free(l);
}

/* --- resolving in this process ------------------------------------------- */

struct exe_segs {
	int n;
	uintptr_t base;
	uintptr_t lo[16];
	size_t size[16];
};

static int
exe_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct exe_segs *s = arg;
	(void)size;
	s->base = info->dlpi_addr;
	for (int i = 0; i < info->dlpi_phnum && s->n < 16; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W)) {
			s->lo[s->n] = info->dlpi_addr + ph->p_vaddr;
			s->size[s->n++] = ph->p_memsz;
		}
	}
	return 1;   /* the first is the executable */
}

static void
raw_layout_of_this_binary_parses_and_resolves(void)
{
	struct exe_segs s = { 0 };
	char err[512];

	dl_iterate_phdr(exe_cb, &s);
	if (!CHECK_GT_INT(s.n, 0))
		return;
	char *json = layout_raw_json(err, sizeof err);
	if (!CHECK(json != NULL)) {
		FAIL("%s", err);
		return;
	}
	struct layout *l = layout_parse(json, strlen(json), "raw", err,
	    sizeof err);
	if (!CHECK(l != NULL)) {
		FAIL("%s: %s", err, json);
		free(json);
		return;
	}
	CHECK_EQ_INT(l->nfields, s.n);
	size_t total = 0;
	for (int i = 0; i < l->nfields && i < s.n; i++) {
		const struct lt_field *f = &l->fields[i];
		char name[16], dt[32];
		snprintf(name, sizeof name, "seg%d", i);
		snprintf(dt, sizeof dt, "|V%zu", s.size[i]);
		CHECK_EQ_STR(f->name, name);
		CHECK_EQ_STR(f->type->dtype, dt);
		CHECK_EQ_INT(f->extent, s.size[i]);
		CHECK(f->symbol == NULL && f->module == NULL);
		total = (total + 7) & ~(size_t)7;
		total += s.size[i];
	}
	CHECK_EQ_INT(l->blob_size, total);
	CHECK_EQ_INT(layout_resolve(l, "", err, sizeof err), 0);
	for (int i = 0; i < l->nfields && i < s.n; i++)
		CHECK_EQ_U64(l->fields[i].addr, s.lo[i]);
	/* And this file's global lies in one of them. */
	int in = 0;
	for (int i = 0; i < s.n; i++)
		in |= (uintptr_t)test_layout_global >= s.lo[i] &&
		    (uintptr_t)test_layout_global < s.lo[i] + s.size[i];
	CHECK(in);
	layout_free(l);
	free(json);
}

/* Parse and resolve JSON; returns the layout, or NULL with ERR. */
static struct layout *
parse_resolve(const char *json, const char *exe_id, char *err, size_t errlen,
    int *rc)
{
	struct layout *l = parse(json, err, errlen);
	*rc = -2;
	if (l == NULL) {
		FAIL("does not parse: %s", err);
		return NULL;
	}
	err[0] = '\0';
	*rc = layout_resolve(l, exe_id, err, errlen);
	return l;
}

static void
resolve_finds_globals_by_symbol_and_offset(void)
{
	struct exe_segs s = { 0 };
	char json[1024], err[1024];
	int rc;

	dl_iterate_phdr(exe_cb, &s);
	snprintf(json, sizeof json, "{\n  \"gamehook_layout\": 1,\n"
	    "  \"build_id\": \"00ff\",\n"
	    "  \"fields\": {\n"
	    "    \"g\": { \"symbol\": \"test_layout_global\", \"type\": \"<i4\",\n"
	    "           \"count\": 4 },\n"
	    "    \"g2\": { \"symbol\": \"test_layout_global\", \"offset\": 8,\n"
	    "            \"type\": \"<i4\" },\n"
	    "    \"p\": { \"symbol\": \"test_layout_ptr\", \"pointers\": [0],\n"
	    "           \"type\": \"<i4\" },\n"
	    "    \"m\": { \"module\": \"\", \"offset\": %llu, \"type\": \"<i4\" }\n"
	    "  }\n}\n", (unsigned long long)((uintptr_t)test_layout_global -
	    s.base));
	struct layout *l = parse_resolve(json, "00ff", err, sizeof err, &rc);
	if (l == NULL)
		return;
	if (!CHECK_EQ_INT(rc, 0))
		FAIL("%s", err);
	CHECK_EQ_U64(l->fields[0].addr, (uintptr_t)test_layout_global);
	CHECK_EQ_U64(l->fields[1].addr, (uintptr_t)&test_layout_global[2]);
	CHECK_EQ_U64(l->fields[2].addr, (uintptr_t)&test_layout_ptr);
	CHECK_EQ_U64(l->fields[3].addr, (uintptr_t)test_layout_global);
	CHECK_EQ_INT(*(int *)l->fields[1].addr, 3);
	layout_free(l);

	/* A library, by name prefix, from its .dynsym. */
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *sym = libc ? dlsym(libc, "printf") : NULL;
	if (!CHECK(sym != NULL))
		return;
	l = parse_resolve("{ \"gamehook_layout\": 1, \"fields\": {\n"
	    "  \"f\": { \"module\": \"libc\", \"symbol\": \"printf\",\n"
	    "         \"type\": \"|u1\" } } }\n", "", err, sizeof err, &rc);
	if (l != NULL) {
		if (!CHECK_EQ_INT(rc, 0))
			FAIL("%s", err);
		CHECK_EQ_U64(l->fields[0].addr, (uintptr_t)sym);
		layout_free(l);
	}
	dlclose(libc);
}

static void
resolve_errors_name_what_is_missing(void)
{
	char err[1024], want[1024];
	int rc;
	struct layout *l;
	char exe[512];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);

	exe[k > 0 ? k : 0] = '\0';

	static const char nosym[] = "{\n  \"gamehook_layout\": 1,\n"
	    "  \"fields\": {\n"
	    "    \"g\": { \"symbol\": \"test_layout_global\", \"type\": \"<i4\" },\n"
	    "    \"x\": { \"symbol\": \"test_layout_no_such\", \"type\": \"<i4\" }\n"
	    "  }\n}\n";
	l = parse_resolve(nosym, "", err, sizeof err, &rc);
	if (l != NULL) {
		CHECK_EQ_INT(rc, -1);
		snprintf(want, sizeof want, "layout " SRC ":5: fields.x.symbol: no "
		    "symbol 'test_layout_no_such' in %s (.symtab and .dynsym)", exe);
		CHECK_EQ_STR(err, want);
		layout_free(l);
	}

	static const char nomod[] = "{\n  \"gamehook_layout\": 1,\n"
	    "  \"fields\": {\n"
	    "    \"g\": { \"symbol\": \"test_layout_global\", \"type\": \"<i4\" },\n"
	    "\n"
	    "    \"x\": { \"module\": \"libgamehook_absent.so.3\",\n"
	    "           \"symbol\": \"foo\", \"type\": \"<i4\" }\n"
	    "  }\n}\n";
	l = parse_resolve(nomod, "", err, sizeof err, &rc);
	if (l != NULL) {
		CHECK_EQ_INT(rc, -1);
		CHECK_EQ_STR(err, "layout " SRC ":6: fields.x.module: no loaded "
		    "library is called 'libgamehook_absent.so.3'");
		layout_free(l);
	}

	static const char badid[] = "{\n  \"gamehook_layout\": 1,\n"
	    "  \"build_id\": \"aabbccdd\",\n"
	    "  \"fields\": {\n"
	    "    \"g\": { \"symbol\": \"test_layout_global\", \"type\": \"<i4\" }\n"
	    "  }\n}\n";
	l = parse_resolve(badid, "11223344", err, sizeof err, &rc);
	if (l != NULL) {
		CHECK_EQ_INT(rc, -1);
		CHECK(strstr(err, "aabbccdd") != NULL);
		CHECK(strstr(err, "11223344") != NULL);
		CHECK_EQ_STR(err, "layout " SRC ":1: build_id: written for build "
		    "aabbccdd, but the executable is build 11223344");
		layout_free(l);
	}
	l = parse_resolve(badid, "", err, sizeof err, &rc);
	if (l != NULL) {
		CHECK_EQ_INT(rc, -1);
		CHECK(strstr(err, "aabbccdd") != NULL);
		layout_free(l);
	}

	static const char outside[] = "{\n  \"gamehook_layout\": 1,\n"
	    "  \"fields\": {\n"
	    "    \"g\": { \"symbol\": \"test_layout_global\", \"type\": \"<i4\",\n"
	    "           \"count\": 4 },\n"
	    "    \"big\": { \"symbol\": \"test_layout_global\", \"type\": \"<i4\",\n"
	    "             \"count\": 16777216 }\n"
	    "  }\n}\n";
	l = parse_resolve(outside, "", err, sizeof err, &rc);
	if (l != NULL) {
		CHECK_EQ_INT(rc, -1);
		CHECK(strncmp(err, "layout " SRC ":6: fields.big: bytes 0x",
		    strlen("layout " SRC ":6: fields.big: bytes 0x")) == 0);
		CHECK(strstr(err, "lies outside") != NULL);
		const char *base = strrchr(exe, '/');
		CHECK(strstr(err, base ? base + 1 : exe) != NULL);
		layout_free(l);
	}

	static const char nowhere[] = "{\n  \"gamehook_layout\": 1,\n"
	    "  \"fields\": {\n"
	    "    \"far\": { \"offset\": 1099511627776, \"type\": \"<i4\" }\n"
	    "  }\n}\n";
	l = parse_resolve(nowhere, "", err, sizeof err, &rc);
	if (l != NULL) {
		CHECK_EQ_INT(rc, -1);
		CHECK(strstr(err, "layout " SRC ":4: fields.far: bytes "
		    "0x10000000000-0x10000000003 lies outside") == err);
		layout_free(l);
	}
}

static const struct unit_case cases[] = {
	UNIT_CASE(valid_layout_parses_into_offsets_extents_and_leaves),
	UNIT_CASE(dtypes_normalize_and_scalars_are_shared),
	UNIT_CASE(every_error_names_its_path_and_line),
	UNIT_CASE(json_renders_state_and_paths),
	UNIT_CASE(json_output_truncates_and_returns_the_length_needed),
	UNIT_CASE(long_names_render_whole),
	UNIT_CASE(long_names_are_reachable_by_path_and_in_errors),
	UNIT_CASE(place_finds_scalars_and_refuses_the_rest),
	UNIT_CASE(encode_checks_ranges_and_formats),
	UNIT_CASE(encode_refuses_floats_out_of_f4_range),
	UNIT_CASE(name_at_names_every_byte),
	UNIT_CASE(raw_layout_of_this_binary_parses_and_resolves),
	UNIT_CASE(resolve_finds_globals_by_symbol_and_offset),
	UNIT_CASE(resolve_errors_name_what_is_missing),
};

int
main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, UNIT_NCASES(cases));
}
