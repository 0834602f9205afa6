/* Page-level write tracking (see wtrack.h). Per tracked page, the mark of
 * the sync that last found it written, in tables laid end to end in one of
 * two reserved mappings: when the game's mappings change, the tables are
 * laid out again in the other one (marks of pages still there are kept),
 * so nothing is allocated and no table ever has to grow in place. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "real.h"
#include "snapshot.h"
#include "wtrack-kernel.h"
#include "wtrack.h"

#define PAGE ((uintptr_t)4096)
#define TREG_MAX 1024
/* The most memory tracked: 16 GiB, 16 MiB of marks. Regions past it are
 * not tracked (they count as written at every sync). */
#define TRACK_PAGES ((size_t)4 << 20)

struct treg {
	uintptr_t lo, hi;
	uint32_t *mark;             /* a mark per page; NULL: not tracked */
};

static struct {
	enum wtrack_method method;
	char why[512];              /* why a better method was not taken */
	_Atomic int holds;
	int on;
	uint32_t now;
	long found;                 /* unprotected pages at the last sync */
	long working;               /* at the sync after protecting; -1 */
	struct treg reg[TREG_MAX], next[TREG_MAX];
	int nreg;
	int relay;                  /* lay out again at the next sync */
	struct mrange cur[TREG_MAX];
	int ncur;                   /* cur[] as the last sync read it; -1 */
	struct mrange stack;        /* and the main stack */
	uint8_t fresh[TREG_MAX];    /* reg[i] has pages new to the tracker */
	uint32_t *buf[2];           /* the two table areas */
	int in;                     /* the area reg[] uses */
	int logged;                 /* region failures logged so far */
	/* for info (read by the control thread) */
	_Atomic int a_on, a_regions;
	_Atomic uint64_t tracked_pages, syncs, sync_ns, written, changes;
	_Atomic uint64_t protects;
	_Atomic uint64_t fr_ns[2], fr_n[2];
	int64_t resume_ns;
	int resume_on;
} wt;

static int64_t
real_ns(void)
{
	struct timespec ts;
	real_clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
wtrack_parse(const char *v)
{
	if (v == NULL || !v[0] || strcmp(v, "auto") == 0)
		return -1;
	if (strcmp(v, "wp") == 0)
		return WTRACK_WP;
	if (strcmp(v, "soft-dirty") == 0)
		return WTRACK_SOFTDIRTY;
	if (strcmp(v, "off") == 0)
		return WTRACK_NONE;
	return -2;
}

const char *
wtrack_method_name(enum wtrack_method m)
{
	return m == WTRACK_WP ? "wp" : m == WTRACK_SOFTDIRTY ? "soft-dirty" :
	    "none";
}

enum wtrack_method
wtrack_method(void)
{
	return wt.method;
}

void
wtrack_init(int want)
{
	wt.method = WTRACK_NONE;
	if (want == WTRACK_NONE) {
		snprintf(wt.why, sizeof wt.why, "HOOK_TRACK=off");
		return;
	}
	if ((want < 0 || want == WTRACK_WP) &&
	    wtk_wp_probe(wt.why, sizeof wt.why) == 0)
		wt.method = WTRACK_WP;
	else if ((want < 0 || want == WTRACK_SOFTDIRTY) &&
	    wtk_sd_probe(wt.why, sizeof wt.why) == 0)
		wt.method = WTRACK_SOFTDIRTY;
	if (wt.method == WTRACK_NONE)
		hlog("write tracking: none, every page compared (%s)", wt.why);
	else
		hlog("write tracking: %s%s%s", wtrack_method_name(wt.method),
		    wt.why[0] ? "; " : "", wt.why);
	if (want >= 0 && wt.method != (enum wtrack_method)want)
		hlog("HOOK_TRACK=%s cannot be had: capture, snapshots and scans "
		    "compare and copy every page", wtrack_method_name(want));
}

/* --- on, off, sync ------------------------------------------------------ */

void
wtrack_hold(int delta)
{
	atomic_fetch_add(&wt.holds, delta);
}

/* Start tracking: the two table areas (reserved once), the userfaultfd. */
static int
start(void)
{
	size_t bytes = TRACK_PAGES * sizeof(uint32_t);
	for (int i = 0; i < 2; i++) {
		if (wt.buf[i] != NULL)
			continue;
		void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE |
		    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED) {
			hlog("write tracking: no room for its marks");
			return -1;
		}
		snapshot_exclude(p, bytes);
		wt.buf[i] = p;
	}
	if (wt.method == WTRACK_WP && wtk_wp_open() != 0) {
		hlog("write tracking: userfaultfd: %s", strerror(errno));
		return -1;
	}
	if (wt.method == WTRACK_SOFTDIRTY)
		wtk_sd_clear();
	wt.nreg = 0;
	wt.found = 0;
	wt.working = -1;
	wt.on = 1;
	atomic_store(&wt.a_on, 1);
	return 0;
}

/* Stop: closing the userfaultfd unregisters every range. */
static void
stop(void)
{
	wtk_wp_close();
	wt.nreg = 0;
	wt.on = 0;
	atomic_store(&wt.a_on, 0);
	atomic_store(&wt.a_regions, 0);
	atomic_store(&wt.tracked_pages, 0);
}

struct mark_arg {
	struct treg *r;
	uint32_t now;
	uint64_t n;
};

static void
mark_run(uintptr_t lo, uintptr_t hi, void *arg)
{
	struct mark_arg *m = arg;
	struct treg *r = m->r;
	if (lo < r->lo)
		lo = r->lo;
	if (hi > r->hi)
		hi = r->hi;
	for (uintptr_t a = lo; a < hi; a += PAGE)
		r->mark[(a - r->lo) / PAGE] = m->now;
	m->n += (hi - lo) / PAGE;
}

/* Lay out the tables for wt.cur[0..N) in the other area, keeping the
 * marks of pages that were tracked and still are; new pages get NOW and
 * are registered and protected. Then wt.reg is that. */
static void
relayout(int n, uint32_t now)
{
	uint32_t *area = wt.buf[!wt.in];
	size_t used = 0;
	int k = 0;
	uint64_t pages = 0;

	for (int j = 0; j < n; j++) {
		struct treg *r = &wt.next[j];
		r->lo = wt.cur[j].lo;
		r->hi = wt.cur[j].hi;
		size_t np = (r->hi - r->lo) / PAGE;
		r->mark = NULL;
		wt.fresh[j] = 0;
		if (used + np > TRACK_PAGES) {
			if (wt.logged++ < 8)
				hlog("write tracking: past %zu GiB; 0x%lx-0x%lx is not "
				    "tracked", TRACK_PAGES * PAGE >> 30,
				    (unsigned long)r->lo, (unsigned long)r->hi);
			continue;
		}
		r->mark = area + used;
		/* The old regions overlapping this one (both lists sorted). */
		while (k < wt.nreg && wt.reg[k].hi <= r->lo)
			k++;
		uintptr_t pos = r->lo;
		int gaps = 0;
		for (int i = k; i < wt.nreg && wt.reg[i].lo < r->hi; i++) {
			struct treg *o = &wt.reg[i];
			uintptr_t a = o->lo > r->lo ? o->lo : r->lo;
			uintptr_t b = o->hi < r->hi ? o->hi : r->hi;
			if (o->mark == NULL || a >= b)
				continue;
			for (; pos < a; pos += PAGE, gaps++)
				r->mark[(pos - r->lo) / PAGE] = now;
			memcpy(r->mark + (a - r->lo) / PAGE, o->mark + (a - o->lo) / PAGE,
			    (b - a) / PAGE * sizeof(uint32_t));
			pos = b;
		}
		for (; pos < r->hi; pos += PAGE, gaps++)
			r->mark[(pos - r->lo) / PAGE] = now;
		wt.fresh[j] = gaps > 0;
		/* Pages new to the tracker: register the whole region (its
		 * tracked parts are registered already). They are found
		 * unprotected, written, until a sync protects them. */
		if (gaps && wt.method == WTRACK_WP &&
		    wtk_wp_register(r->lo, r->hi) != 0) {
			if (wt.logged++ < 8)
				hlog("write tracking: cannot protect 0x%lx-0x%lx (%s): "
				    "not tracked", (unsigned long)r->lo,
				    (unsigned long)r->hi, strerror(errno));
			r->mark = NULL;
			continue;
		}
		used += np;
		pages += np;
	}
	memcpy(wt.reg, wt.next, sizeof *wt.reg * (size_t)n);
	wt.nreg = n;
	wt.in = !wt.in;
	atomic_store(&wt.a_regions, n);
	atomic_store(&wt.tracked_pages, pages);
	atomic_fetch_add(&wt.changes, 1);
}

uint32_t
wtrack_sync(int exact)
{
	char err[256];
	struct mrange stack;

	wt.ncur = -1;
	if (wt.method == WTRACK_NONE || atomic_load(&wt.holds) <= 0)
		return 0;
	int64_t t0 = real_ns();
	int starting = !wt.on;
	if (starting && start() != 0) {
		stop();
		return 0;
	}
	uint32_t now = ++wt.now;
	/* What was written since the last sync, in what is tracked: the
	 * pages not write-protected, all marked NOW. A region whose mapping
	 * was replaced (or joined by one never registered) fails the scan:
	 * all of it counts as written.
	 *
	 * Protecting them again is what costs: the kernel flushes the TLB
	 * once per 2 MiB holding a page it protects, and a flush can cost an
	 * interrupt to the other processors (measured here, in a virtual
	 * machine: 0.2 ms to protect 655 adjacent pages of 256 MiB, 20 to
	 * 40 ms for 655 pages 400 KiB apart), and so does the game's first
	 * write to a protected page (15 to 50 us here). So pages are
	 * protected again only when EXACT asks, or when the pages found
	 * unprotected have grown past twice the game's working set (what a
	 * sync just after protecting finds) and 64 pages. A page left
	 * unprotected is found, and marked, at every sync: never missed,
	 * only compared or copied again; the pages a game writes every frame
	 * stay unprotected and are written without a fault. */
	struct mark_arg m = { NULL, now, 0 };
	int lost = 0;
	int protect = exact ||
	    (wt.working >= 0 && wt.found > 2 * wt.working + 64);
	for (int i = 0; i < wt.nreg; i++) {
		struct treg *r = &wt.reg[i];
		if (r->mark == NULL)
			continue;
		m.r = r;
		if (wt.method == WTRACK_SOFTDIRTY) {
			wtk_sd_scan(r->lo, r->hi, mark_run, &m);
		} else if (wtk_wp_scan(r->lo, r->hi, protect, mark_run, &m) != 0) {
			mark_run(r->lo, r->hi, &m);
			r->mark = NULL;   /* laid out, registered again below */
			lost = 1;
		}
	}
	/* Unprotected pages found a sync after protecting: the game's
	 * working set, which it writes every frame. */
	if (protect)
		wt.working = -1;
	else if (wt.working < 0)
		wt.working = (long)m.n;
	wt.found = (long)m.n;
	if (protect)
		atomic_fetch_add(&wt.protects, 1);
	if (wt.method == WTRACK_SOFTDIRTY)
		wtk_sd_clear();
	atomic_fetch_add(&wt.written, m.n);
	/* The mappings now: laid out again when they differ. */
	int n = snapshot_regions(wt.cur, TREG_MAX, &stack, err, sizeof err);
	wt.ncur = n;
	wt.stack = stack;
	if (n < 0) {
		hlog("write tracking: %s; stopped", err);
		stop();
		return 0;
	}
	int same = !lost && !wt.relay && n == wt.nreg;
	for (int i = 0; i < n && same; i++)
		same = wt.cur[i].lo == wt.reg[i].lo && wt.cur[i].hi == wt.reg[i].hi;
	if (!same) {
		relayout(n, now);
		wt.relay = 0;
		/* Registering and protecting took time in which the shim's
		 * other threads may have mapped or unmapped memory of their
		 * own: a snapshot lists the mappings again. */
		wt.ncur = -1;
		/* Memory new to the tracker is protected now, once. */
		for (int i = 0; i < wt.nreg && wt.method == WTRACK_WP; i++) {
			struct treg *r = &wt.reg[i];
			m.r = r;
			if (wt.fresh[i] && r->mark != NULL &&
			    wtk_wp_scan(r->lo, r->hi, 1, mark_run, &m) != 0) {
				r->mark = NULL;   /* replaced already */
				wt.relay = 1;
			}
		}
	}
	/* Everything was protected as it came: the working set is what the
	 * next sync finds. */
	if (starting)
		wt.working = -1;
	atomic_fetch_add(&wt.syncs, 1);
	atomic_fetch_add(&wt.sync_ns, (uint64_t)(real_ns() - t0));
	return now;
}

int
wtrack_last_regions(const struct mrange **regions, struct mrange *stack)
{
	if (wt.ncur < 0)
		return -1;
	*regions = wt.cur;
	*stack = wt.stack;
	return wt.ncur;
}

/* Whether any of the 64 marks at MK is after M. */
static inline int
any_after(const uint32_t *mk, uint32_t m)
{
	uint32_t any = 0;
	for (int i = 0; i < 64; i++)
		any |= mk[i] > m;
	return any != 0;
}

int
wtrack_written(uint32_t m, uintptr_t lo, uintptr_t hi,
    int (*fn)(uintptr_t lo, uintptr_t hi, void *arg), void *arg)
{
	if (m == 0 || !wt.on)
		return -1;
	uintptr_t plo = lo & ~(PAGE - 1), phi = (hi + PAGE - 1) & ~(PAGE - 1);
	uintptr_t run_lo = 0, run_hi = 0;   /* a run not yet handed over */
	/* The first region ending past PLO. */
	int a = 0, b = wt.nreg;
	while (a < b) {
		int mid = (a + b) / 2;
		if (wt.reg[mid].hi <= plo)
			a = mid + 1;
		else
			b = mid;
	}
#define EMIT(x, y) do { \
		uintptr_t x_ = (x), y_ = (y); \
		if (run_hi == x_ && run_hi) { \
			run_hi = y_; \
		} else { \
			if (run_hi && fn(run_lo < lo ? lo : run_lo, \
			    run_hi > hi ? hi : run_hi, arg)) \
				return 1; \
			run_lo = x_; \
			run_hi = y_; \
		} \
	} while (0)
	uintptr_t pos = plo;
	for (int i = a; i < wt.nreg && wt.reg[i].lo < phi; i++) {
		const struct treg *r = &wt.reg[i];
		if (pos < r->lo)
			EMIT(pos, r->lo);   /* not tracked: written */
		uintptr_t s = pos > r->lo ? pos : r->lo;
		uintptr_t e = phi < r->hi ? phi : r->hi;
		if (r->mark == NULL) {
			EMIT(s, e);
		} else {
			const uint32_t *mk = r->mark + (s - r->lo) / PAGE;
			size_t np = (e - s) / PAGE;
			for (size_t p = 0; p < np; p++) {
				/* Most pages are not written: 64 marks at a time
				 * (a loop the compiler vectorises) to skip them. */
				if ((p & 63) == 0 && p + 64 <= np &&
				    !any_after(mk + p, m)) {
					p += 63;
					continue;
				}
				if (mk[p] > m)
					EMIT(s + p * PAGE, s + (p + 1) * PAGE);
			}
		}
		pos = e;
	}
	if (pos < phi)
		EMIT(pos, phi);
	if (run_hi && fn(run_lo < lo ? lo : run_lo, run_hi > hi ? hi : run_hi,
	    arg))
		return 1;
#undef EMIT
	return 0;
}

void
wtrack_boundary(void)
{
	if (wt.resume_ns) {
		int64_t d = real_ns() - wt.resume_ns;
		atomic_fetch_add_explicit(&wt.fr_ns[wt.resume_on], (uint64_t)d,
		    memory_order_relaxed);
		atomic_fetch_add_explicit(&wt.fr_n[wt.resume_on], 1,
		    memory_order_relaxed);
	}
	if (wt.on && atomic_load_explicit(&wt.holds, memory_order_relaxed) <= 0)
		stop();
}

void
wtrack_resume(void)
{
	wt.resume_on = wt.on;
	wt.resume_ns = real_ns();
}

void
wtrack_describe(char *buf, size_t len)
{
	uint64_t n[2], ns[2];
	for (int i = 0; i < 2; i++) {
		n[i] = atomic_load_explicit(&wt.fr_n[i], memory_order_relaxed);
		ns[i] = atomic_load_explicit(&wt.fr_ns[i], memory_order_relaxed);
	}
	size_t o = (size_t)snprintf(buf, len, "{\"method\":\"%s\",\"why\":\"",
	    wtrack_method_name(wt.method));
	/* The reasons hold no quotes or backslashes of their own; errno
	 * strings neither. */
	for (const char *p = wt.why; *p && o + 2 < len; p++)
		if (*p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
			buf[o++] = *p;
	if (o >= len)
		return;
	snprintf(buf + o, len - o, "\",\"on\":%s,\"regions\":%d,"
	    "\"tracked_bytes\":%llu,\"syncs\":%llu,\"sync_ns\":%llu,"
	    "\"written_pages\":%llu,\"protects\":%llu,\"layouts\":%llu,"
	    "\"frames_on\":%llu,\"frame_ns_on\":%llu,"
	    "\"frames_off\":%llu,\"frame_ns_off\":%llu}",
	    atomic_load(&wt.a_on) ? "true" : "false", atomic_load(&wt.a_regions),
	    (unsigned long long)(atomic_load(&wt.tracked_pages) * PAGE),
	    (unsigned long long)atomic_load(&wt.syncs),
	    (unsigned long long)atomic_load(&wt.sync_ns),
	    (unsigned long long)atomic_load(&wt.written),
	    (unsigned long long)atomic_load(&wt.protects),
	    (unsigned long long)atomic_load(&wt.changes),
	    (unsigned long long)n[1], (unsigned long long)(n[1] ? ns[1] / n[1] : 0),
	    (unsigned long long)n[0], (unsigned long long)(n[0] ? ns[0] / n[0] : 0));
}
