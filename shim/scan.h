/* The memory scan (in the manner of scanmem and Cheat Engine): every
 * aligned value of a type in the game's writable memory is a candidate;
 * passes between frames keep those that match (=, !=, <, >, a range,
 * changed, unchanged, increased, decreased). Candidates are a bitmap per
 * region while there are many and a sorted list of (address, value) once
 * that is smaller. All of it lives in one arena the scan maps itself,
 * never in the game's heap. No shim dependency: the shim (ctl-scan.c),
 * the unit test and the bench drive it alike. */
#ifndef GH_SCAN_H
#define GH_SCAN_H

#include <stddef.h>
#include <stdint.h>

enum scan_type {
	SCAN_I8, SCAN_U8, SCAN_I16, SCAN_U16, SCAN_I32, SCAN_U32,
	SCAN_I64, SCAN_U64, SCAN_F32, SCAN_F64, SCAN_TYPES
};

enum scan_op {
	SCAN_EQ, SCAN_NE, SCAN_LT, SCAN_GT, SCAN_RANGE, SCAN_CHANGED,
	SCAN_UNCHANGED, SCAN_INCREASED, SCAN_DECREASED, SCAN_OPS
};

/* A range of the game's memory, [lo, hi), page-aligned. */
struct scan_region {
	uintptr_t lo, hi;
};

/* The seam for page-level write tracking. MARK is called as each pass
 * begins, before it reads (it may bring the tracker's knowledge up to
 * date), and returns a mark of that moment (0: none); EXACT at a start,
 * whose mark is the baseline every later write must be seen against.
 * WRITTEN then says which pages of [LO, HI) may have been written since
 * SINCE, the mark of the pass before: it fills OUT (one byte a page, 1:
 * maybe written) and returns 1, or returns 0 when it cannot tell (every
 * page is read). */
struct scan_tracker {
	uint64_t (*mark)(int exact);
	int (*written)(uintptr_t lo, uintptr_t hi, uint64_t since, uint8_t *out);
};

/* What the last pass did, for the reply and the bench. */
struct scan_stats {
	uint64_t candidates;
	uint64_t pages_read;     /* pages whose memory was read */
	uint64_t pages_skipped;  /* pages not written since the last pass */
	uint64_t regions_gone;   /* regions (or parts) unmapped since */
};

/* The type named NAME (i8..u64, f32, f64, or a numpy dtype such as "<i4",
 * "|u1", "<f8"); -1 when none. */
int scan_type_parse(const char *name);
/* Its numpy dtype ("<i4") and size in bytes. */
const char *scan_type_dtype(int type);
int scan_type_size(int type);
/* The operator named NAME (=, !=, <, >, range, changed, unchanged,
 * increased, decreased; eq ne lt gt as words); -1 when none. */
int scan_op_parse(const char *name);
const char *scan_op_name(int op);
/* How many values the operator takes (0, 1 or 2). */
int scan_op_args(int op);

/* At most LIMIT bytes for candidates (default 2 GiB), in an arena of that
 * many bytes taken on the first start from RESERVE (readable, writable,
 * committed only as used; the shim's shim_pages), or mapped by the scan
 * itself when RESERVE is NULL. */
void scan_configure(size_t limit, void *(*reserve)(size_t len));
void scan_set_tracker(const struct scan_tracker *t);

/* Start a scan of TYPE over the NR regions R (sorted, disjoint): with
 * VALUE, the values equal to it; with NULL, every value (its old value is
 * kept, so that a first pass needs a copy of the memory scanned). Returns
 * 0, or -1 with ERR set (a bad value, too little memory: no scan then). */
int scan_start(int type, const char *value, const struct scan_region *r,
    int nr, struct scan_stats *st, char *err, size_t errlen);

/* Keep the candidates for which OP holds (A and B its values as text,
 * NULL when it takes fewer), reading them now; CUR, NCUR: the regions
 * mapped now (sorted), candidates elsewhere are dropped. Returns 0, or
 * -1 with ERR set: a bad value (nothing changed), or no memory for the
 * candidates' values (then the scan is ended, and ERR says so). */
int scan_narrow(int op, const char *a, const char *b,
    const struct scan_region *cur, int ncur, struct scan_stats *st,
    char *err, size_t errlen);

/* Whether a scan is on; its type, candidates, bytes in use, mode. */
int scan_active(void);
int scan_current_type(void);
uint64_t scan_count(void);
size_t scan_memory(void);
/* Bytes of the arena written so far: kept for the next scan until
 * scan_stop() gives them back. */
size_t scan_held(void);
size_t scan_limit(void);
const char *scan_mode(void);
uint64_t scan_passes(void);

/* Visit candidates FROM to FROM+N-1 (in address order): FN gets the
 * index, address and the value the last pass saw (raw bits). Returns how
 * many were visited. */
uint64_t scan_each(uint64_t from, uint64_t n,
    void (*fn)(uint64_t i, uintptr_t addr, uint64_t old, void *arg),
    void *arg);

/* Format the raw value bits V of TYPE as JSON into BUF. */
void scan_format(int type, uint64_t v, char *buf, size_t len);
/* Read the value of TYPE at ADDR (which the caller knows is mapped). */
uint64_t scan_read(int type, uintptr_t addr);

/* End the scan; its memory goes back to the system. */
void scan_stop(void);

#endif
