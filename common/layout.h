/* Layouts (schema/LAYOUT.md): a JSON description of where a game keeps its
 * state and what it means. Parsing is shared by the shim and every reader
 * (a trace carries its layout); resolving addresses happens in the game.
 *
 * The state blob: each top-level field has a slot of `extent` bytes at
 * `blob_off` (8-byte aligned), in layout order; a counted array's slot
 * holds `max` elements, those past the count being zero. */
#ifndef GH_LAYOUT_H
#define GH_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define LT_MAXDIM 4
#define LT_NAME_MAX 100        /* characters in a field, member or type name */
#define LT_NAME_MAX_S "100"
#define LT_MAXPTR 16
#define LT_LEAVES_MAX 1000000  /* scalar values a layout may name */

enum lt_kind { LT_INT, LT_UINT, LT_FLOAT, LT_BOOL, LT_STR, LT_BYTES,
	LT_STRUCT };

struct lt_member;
struct sbuf;

struct lt_type {
	char *name;            /* a named struct's name; NULL otherwise */
	enum lt_kind kind;
	int big_endian;
	size_t size;
	char dtype[16];        /* normalized numpy dtype; "" for structs */
	int nmembers;
	struct lt_member *members;
	int open;              /* parsing its members: it cannot hold itself */
};

struct lt_member {
	char *name;
	size_t offset;
	const struct lt_type *type;
	uint32_t count;        /* 0: one value; else a fixed array */
};

struct lt_field {
	char *name;
	int line;              /* in the layout text */
	char *module;          /* NULL: the main executable */
	char *symbol;          /* NULL: by offset from the module base */
	uint8_t *sig, *sig_mask; /* a byte signature (mask 0: wildcard) */
	size_t sig_len;
	int sig_rip;           /* >= 0: a rel32 sits there in the match */
	int sig_rip_end;       /* where the instruction ends (-1: after it) */
	int64_t offset;
	int npointers;
	int64_t pointers[LT_MAXPTR];
	const struct lt_type *type;
	uint32_t count;        /* fixed element count; 0: not an array */
	char *count_path;      /* the field holding the count; NULL: fixed */
	uint32_t max;          /* with count_path */
	size_t count_off;      /* blob offset of the count value */
	int count_field;       /* the field holding it */
	const struct lt_type *count_type;
	size_t blob_off, extent;
	/* Set by layout_resolve: the address of the value (no pointers), or
	 * of the first pointer of the chain. */
	uintptr_t addr;
};

/* A scalar of the state, with the arrays around it: the unit of `dumper
 * npy` (one array per leaf) and of naming a changed byte. */
struct lt_leaf {
	char *path;            /* "entities.hp" */
	const struct lt_type *type;
	int field;
	size_t off;            /* blob offset of the first element */
	int ndim;
	uint32_t dims[LT_MAXDIM];
	size_t strides[LT_MAXDIM];
};

struct layout {
	char *json;            /* the layout text as given */
	/* A path, or "raw". Kept inline: the shim's allocations at start-up
	 * do not depend on where the layout file is, so a seeded game's heap
	 * repeats whatever the path. */
	char source[512];
	char build_id[72];
	int ntypes;
	struct lt_type **types; /* every type, named or not (owned) */
	int nfields;
	struct lt_field *fields;
	int nleaves;
	struct lt_leaf *leaves;
	size_t blob_size;
};

/* Parse layout text. SOURCE names it in error messages. Returns NULL with
 * "layout SOURCE:LINE: PATH: what is wrong" in ERR. */
struct layout *layout_parse(const char *json, size_t len, const char *source,
    char *err, size_t errlen);
struct layout *layout_load_file(const char *path, char *err, size_t errlen);
void layout_free(struct layout *l);

/* In the game: check the build id against EXE_BUILD_ID and find every
 * field's address (libelf symbol lookup, relocated to the load address).
 * Returns 0, or -1 with the error in ERR. */
int layout_resolve(struct layout *l, const char *exe_build_id, char *err,
    size_t errlen);

/* In the game: the layout of the main executable's writable segments,
 * raw (see LAYOUT.md). Returns malloc'd JSON text or NULL. */
char *layout_raw_json(char *err, size_t errlen);

/* The count of field F's array in BLOB (its fixed count, or the value of
 * its count field clamped to [0, max]); 0 when F is not an array. */
uint32_t layout_count(const struct layout *l, int f, const uint8_t *blob);

/* Render state as JSON into OUT (NUL-terminated, truncated to CAP; returns
 * the length it needed). UNREADABLE[f] != 0 marks fields shown as null.
 * PATH NULL: the whole state as an object. Returns -1 with ERR set when
 * the path is bad. */
long layout_json(const struct layout *l, const uint8_t *blob,
    const uint8_t *unreadable, const char *path, char *out, size_t cap,
    char *err, size_t errlen);
/* The same, appended to B. Returns 0, or -1 with ERR set (a bad path, or
 * out of memory). */
int layout_json_sb(struct sbuf *b, const struct layout *l,
    const uint8_t *blob, const uint8_t *unreadable, const char *path,
    char *err, size_t errlen);

/* Check that PATH names something in L (indexes against the maxima).
 * Returns 0, or -1 with ERR set. */
int layout_check_path(const struct layout *l, const char *path, char *err,
    size_t errlen);

/* A settable place: one scalar. */
struct lt_place {
	int field;
	size_t off;            /* in the field's value (from its address) */
	const struct lt_type *type;
};
/* Look PATH up for `set`. BLOB (may be NULL) bounds counted indexes. */
int layout_place(const struct layout *l, const char *path,
    const uint8_t *blob, struct lt_place *p, char *err, size_t errlen);
/* Encode VALUE (JSON-ish text: 12, -3, 1.5, true, "text", hex for |V)
 * for a scalar of TYPE into OUT (TYPE->size bytes). */
int layout_encode(const struct lt_type *t, const char *value, uint8_t *out,
    char *err, size_t errlen);

/* Name the value at blob offset OFF ("entities[3].hp") into BUF. */
void layout_name_at(const struct layout *l, size_t off, char *buf,
    size_t len);

/* Read one scalar of TYPE at P as a double / signed integer. */
double lt_as_double(const struct lt_type *t, const uint8_t *p);
int64_t lt_as_int(const struct lt_type *t, const uint8_t *p);

#endif
