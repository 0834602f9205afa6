/* Page-level write tracking: which pages of the game's memory were written
 * since a given moment, so that capture, snapshots and scans cost what the
 * game changed rather than what it holds.
 *
 * What is tracked: the memory a snapshot covers (snapshot_regions: the
 * game's private writable mappings, not the shim's own, nor the stacks of
 * the game's other threads, nor the main stack). Mappings that appear,
 * grow, move, are replaced or go are followed at each wtrack_sync by
 * reading /proc/self/maps: a page of memory that is new to the tracker
 * counts as written at that sync.
 *
 * How (the method is picked once, at start, by HOOK_TRACK):
 *  - "wp": userfaultfd's asynchronous write-protection (Linux 6.7): every
 *    tracked page is write-protected; the kernel itself lifts the
 *    protection at the first write and remembers the page as written (no
 *    signal, no fault reaches the shim); a sync asks PAGEMAP_SCAN for the
 *    written pages and protects them again in the same call.
 *  - "soft-dirty": the kernel's soft-dirty bits (CONFIG_MEM_SOFT_DIRTY),
 *    read from /proc/self/pagemap and cleared through
 *    /proc/self/clear_refs.
 *  - "none": nothing is known; every caller falls back to comparing or
 *    copying everything (wtrack_written returns -1).
 *
 * Marks: a sync returns a mark, a number that grows with every sync. Every
 * tracked page carries the mark of the sync that last found it written;
 * "written since mark M" means a later sync found it so. A mark is only a
 * number: a consumer keeps as many as it likes, for free. A page written
 * after mark M is always found written since M; a page not written may be
 * found written too (left unprotected since an earlier write, or new to
 * the tracker), never the other way round.
 *
 * For a scan (issue 12 section 4), narrowing between frames:
 *     wtrack_hold(1);                 once, while the scan lives
 *     m = wtrack_sync(1);             at the scan's start (exact)
 *     ... frames ...
 *     now = wtrack_sync(0);           at a narrowing, on the frame thread
 *     wtrack_written(m, lo, hi, fn, arg)  for each candidate range: FN
 *                                     gets the runs to read again; the
 *                                     rest kept its values
 *     m = now;
 *     wtrack_hold(-1);                when the scan ends
 * wtrack_written returning -1 means "no knowledge": read everything.
 *
 * Threads: wtrack_sync, wtrack_written and wtrack_boundary run on the
 * frame thread at a boundary (the game's other threads asleep); hold and
 * describe from any thread. Nothing here allocates: the per-page marks
 * live in one mapping reserved at the first sync. */
#ifndef GH_WTRACK_H
#define GH_WTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

enum wtrack_method { WTRACK_NONE, WTRACK_WP, WTRACK_SOFTDIRTY };

/* The setting (HOOK_TRACK): "auto" (wp, else soft-dirty, else none),
 * "wp", "soft-dirty", "off". Returns the method wanted (-1 when "auto"),
 * or -2 for a bad value. */
int wtrack_parse(const char *v);

/* Once at start: probe the method WANT (-1: the best that works). A
 * method asked for by name that does not work is logged with why, and
 * tracking is off (the full compare, as without it). */
void wtrack_init(int want);

/* The method in use. */
enum wtrack_method wtrack_method(void);
const char *wtrack_method_name(enum wtrack_method m);

/* Count a consumer in (DELTA 1) or out (-1). Tracking is on while any is
 * in (it starts at the next wtrack_sync, and stops at the first boundary
 * with none). Consumers: capture (recording, watching), snapshots (while
 * any is kept), scans. */
void wtrack_hold(int delta);

/* Frame thread: bring the knowledge of written pages up to date and
 * return a new mark (non-zero), or 0 when nothing is tracked (method none,
 * nobody holding, or the kernel refused: then every page counts as
 * written). A page the game wrote may stay unprotected after a sync (to
 * protect it again costs a TLB flush): it is then found written at every
 * later sync too, which is always safe. EXACT (a save, a scan's new
 * baseline) protects every page found, so that "written since this mark"
 * is exactly what is written after it. */
uint32_t wtrack_sync(int exact);

/* Frame thread, right after a wtrack_sync that returned a mark: the
 * regions (snapshot_regions) it read, valid until the next sync, and the
 * main stack into *STACK; their count, or -1 when that sync read none or
 * read them before registering new memory (which takes long enough for
 * another thread to map or unmap: read them again then). */
int wtrack_last_regions(const struct mrange **regions, struct mrange *stack);

/* Frame thread, after a wtrack_sync: call FN(lo, hi, ARG) for each run of
 * pages in [LO, HI) written since mark M, clipped to [LO, HI), in address
 * order; memory not tracked counts as written. FN returns non-zero to
 * stop early. Returns 0 (whether or not FN was called), 1 when FN stopped
 * it, or -1 when nothing is known (M is 0, or tracking is off): the caller
 * treats the whole range as written. */
int wtrack_written(uint32_t m, uintptr_t lo, uintptr_t hi,
    int (*fn)(uintptr_t lo, uintptr_t hi, void *arg), void *arg);

/* Frame thread, at the start and the end of each boundary: stops tracking
 * nobody holds any more, and times the game's frames (from one boundary's
 * end to the next's start) with tracking on and off, for info. */
void wtrack_boundary(void);
void wtrack_resume(void);

/* A JSON object for info: method, why another was not taken, whether it
 * is on, pages tracked, syncs and their time, pages found written, the
 * game's mean frame time with tracking on and off. */
void wtrack_describe(char *buf, size_t len);

#endif
