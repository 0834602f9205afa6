/* The game's state (see state.h). Fields of the executable with no pointer
 * chain are compared in place (their segment is mapped for the life of the
 * process); everything else is read with process_vm_readv on ourselves,
 * which reports a bad address instead of faulting. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "shim.h"
#include "snapshot.h"
#include "state.h"
#include "wtrack.h"

static struct {
	struct layout *l;
	char *json;
	char err[1024];
	uint8_t *tmp;               /* one field's bytes, read indirectly */
	const uint8_t *zero;        /* as many zero bytes (a read-only map) */
	size_t tmp_size;
	pid_t pid;
} st;

void
state_init(const char *layout_path)
{
	char err[1024] = "";

	st.pid = shim_getpid();
	if (layout_path != NULL && layout_path[0]) {
		st.l = layout_load_file(layout_path, err, sizeof err);
	} else {
		char *raw = layout_raw_json(err, sizeof err);
		if (raw != NULL)
			st.l = layout_parse(raw, strlen(raw), "raw", err, sizeof err);
		free(raw);
	}
	if (st.l != NULL && layout_resolve(st.l, shim_cfg.build_id, err,
	    sizeof err) != 0) {
		layout_free(st.l);
		st.l = NULL;
	}
	if (st.l == NULL) {
		snprintf(st.err, sizeof st.err, "%s", err[0] ? err :
		    "layout: out of memory");
		hlog("%s", st.err);
		return;
	}
	size_t max = 8;
	for (int i = 0; i < st.l->nfields; i++)
		if (st.l->fields[i].extent > max)
			max = st.l->fields[i].extent;
	st.tmp_size = max;
	st.tmp = mmap(NULL, max, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	st.zero = mmap(NULL, max, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	snapshot_exclude(st.tmp, max);
	if (st.tmp == MAP_FAILED || st.zero == MAP_FAILED) {
		snprintf(st.err, sizeof st.err, "layout: no memory for %zu bytes",
		    max);
		layout_free(st.l);
		st.l = NULL;
		return;
	}
	hlog("layout %s: %d fields, %d values, %zu bytes of state",
	    st.l->source, st.l->nfields, st.l->nleaves, st.l->blob_size);
}

const struct layout *
state_layout(void)
{
	return st.l;
}

const char *
state_error(void)
{
	return st.err;
}

const char *
state_layout_json(void)
{
	return st.l ? st.l->json : "";
}

const char *
state_layout_source(void)
{
	return st.l ? st.l->source : "";
}

/* Read N bytes at ADDR into DST; 0, or -1 when any of it is unreadable. */
static int
peek(void *dst, uintptr_t addr, size_t n)
{
	struct iovec local = { dst, n };
	struct iovec remote = { (void *)addr, n };
	return process_vm_readv(st.pid, &local, 1, &remote, 1, 0) == (ssize_t)n ?
	    0 : -1;
}

/* True when field F's own bytes can be read in place: the executable's
 * data, mapped for the life of the process (its range was checked against
 * the segments when the layout was resolved). */
static int
in_place(const struct lt_field *f)
{
	return f->module == NULL;
}

/* Where field F's value is now: its address, or the end of its pointer
 * chain. Returns 0, or -1 when a step leads nowhere. */
static int
locate(const struct lt_field *f, uintptr_t *at)
{
	uintptr_t a = f->addr;
	for (int i = 0; i < f->npointers; i++) {
		uintptr_t p;
		if (i == 0 && in_place(f))
			memcpy(&p, (const void *)a, sizeof p);
		else if (peek(&p, a, sizeof p) != 0)
			return -1;
		if (p == 0)
			return -1;
		a = p + (uintptr_t)f->pointers[i];
	}
	*at = a;
	return 0;
}

/* The current element count of counted field F, read from the game. */
static uint32_t
live_count(const struct layout *l, const struct lt_field *f)
{
	const struct lt_field *cf = &l->fields[f->count_field];
	uint8_t v[8] = { 0 };
	uintptr_t at;
	size_t in = f->count_off - cf->blob_off, n = f->count_type->size;
	if (cf->npointers == 0 && in_place(cf))
		memcpy(v, (const void *)(cf->addr + in), n);
	else if (locate(cf, &at) != 0 || peek(v, at + in, n) != 0)
		return 0;
	int64_t c = lt_as_int(f->count_type, v);
	if (f->count_type->kind == LT_UINT && (uint64_t)c > f->max)
		return f->max;
	return c < 0 ? 0 : c > (int64_t)f->max ? f->max : (uint32_t)c;
}

/* Sync LEN bytes of the blob at OFF from SRC; adds to the runs. */
static void
sync_part(uint8_t *blob, size_t off, const uint8_t *src, size_t len,
    struct trace_run *runs, long max, long *n)
{
	long k = trace_sync(blob + off, src, len, off, *n >= 0 ? runs + *n : runs,
	    *n >= 0 ? max - *n : 0);
	*n = *n < 0 || k < 0 ? -1 : *n + k;
}

int
state_memo_init(struct state_memo *m)
{
	size_t n = st.l ? (size_t)st.l->nfields : 0;
	size_t bytes = n * (sizeof *m->at + sizeof *m->len + sizeof *m->bad) + 1;
	uint8_t *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	snapshot_exclude(p, bytes);
	m->mark = 0;
	m->at = (uintptr_t *)p;
	m->len = (uint32_t *)(p + n * sizeof *m->at);
	m->bad = p + n * (sizeof *m->at + sizeof *m->len);
	return 0;
}

/* Syncing the written pages of a field read in place. */
struct part {
	uint8_t *blob;
	size_t off;                 /* the field's place in the blob */
	uintptr_t addr;             /* and in memory */
	struct trace_run *runs;
	long max, *n;
};

static int
sync_written(uintptr_t lo, uintptr_t hi, void *arg)
{
	struct part *p = arg;
	sync_part(p->blob, p->off + (lo - p->addr), (const uint8_t *)lo, hi - lo,
	    p->runs, p->max, p->n);
	return 0;
}

static int
any_written(uintptr_t lo, uintptr_t hi, void *arg)
{
	(void)lo;
	(void)hi;
	(void)arg;
	return 1;
}

long
state_sync(uint8_t *blob, uint8_t *unreadable, struct trace_run *runs,
    long max, struct state_memo *memo)
{
	const struct layout *l = st.l;
	long n = 0;
	uint32_t now = memo ? wtrack_sync(0) : 0;
	/* Pages written since the last sync, when tracking knows them. */
	uint32_t since = memo && now ? memo->mark : 0;

	/* In blob order, so the runs come out sorted. */
	for (int i = 0; i < l->nfields; i++) {
		const struct lt_field *f = &l->fields[i];
		size_t len = f->extent;
		uintptr_t at = 0;
		int bad = 0;
		if (f->count_path != NULL)
			len = (size_t)live_count(l, f) * f->type->size;
		if (f->npointers == 0 && in_place(f) && f->count_path == NULL) {
			struct part p = { blob, f->blob_off, f->addr, runs, max, &n };
			if (since == 0 || wtrack_written(since, f->addr, f->addr + len,
			    sync_written, &p) < 0)
				sync_part(blob, f->blob_off, (const uint8_t *)f->addr, len,
				    runs, max, &n);
			unreadable[i] = 0;
			continue;
		}
		bad = locate(f, &at) != 0;
		if (memo && !bad && since && !memo->bad[i] && memo->at[i] == at &&
		    memo->len[i] == len && wtrack_written(since, at, at + len,
		    any_written, NULL) == 0) {
			unreadable[i] = 0;   /* where it was, and untouched */
			continue;
		}
		if (f->npointers == 0 && in_place(f)) {
			sync_part(blob, f->blob_off, (const uint8_t *)f->addr, len,
			    runs, max, &n);
		} else {
			bad = bad || (len && peek(st.tmp, at, len) != 0);
			if (bad)
				len = 0;
			sync_part(blob, f->blob_off, st.tmp, len, runs, max, &n);
		}
		/* Past a counted array's count, and in an unreadable field:
		 * zeros. */
		if (len < f->extent)
			sync_part(blob, f->blob_off + len, st.zero, f->extent - len,
			    runs, max, &n);
		unreadable[i] = (uint8_t)bad;
		if (memo) {
			memo->at[i] = at;
			memo->len[i] = (uint32_t)len;
			memo->bad[i] = (uint8_t)bad;
		}
	}
	if (memo)
		memo->mark = now;
	return n;
}

int
state_write(const struct lt_place *p, const uint8_t *val, size_t len,
    char *err, size_t errlen)
{
	const struct lt_field *f = &st.l->fields[p->field];
	uintptr_t at;

	if (locate(f, &at) != 0) {
		snprintf(err, errlen, "%s: its pointer chain leads nowhere now",
		    f->name);
		return -1;
	}
	struct iovec local = { (void *)val, len };
	struct iovec remote = { (void *)(at + p->off), len };
	if (process_vm_writev(st.pid, &local, 1, &remote, 1, 0) != (ssize_t)len) {
		snprintf(err, errlen, "%s: cannot write there: %s", f->name,
		    strerror(errno));
		return -1;
	}
	return 0;
}
