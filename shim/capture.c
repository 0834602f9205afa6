/* Capture at frame boundaries (see capture.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "capture.h"
#include "frame.h"
#include "log.h"
#include "real.h"
#include "record.h"
#include "ring.h"
#include "state.h"
#include "vclock.h"
#include "wtrack.h"

#define INLOG 4096

_Atomic int capture_want;

static struct {
	int ready;
	uint8_t *blob;             /* the state at the last capture */
	uint8_t *unread;
	struct trace_run *runs;
	long max_runs;
	struct trace_hash_cache hash;
	struct state_memo memo;     /* what write tracking lets it skip */
	size_t size;
	int nfields;
	_Atomic int watchers;
	struct ring watch;
	/* inputs noted for the trace */
	struct { int64_t frame; struct trace_input in; } *inlog;
	_Atomic uint64_t in_head, in_tail;
} cap;

static void *
map(size_t n)
{
	return shim_pages(n ? n : 1);
}

int
capture_init(void)
{
	const struct layout *l = state_layout();
	if (l == NULL)
		return -1;
	cap.size = l->blob_size;
	cap.nfields = l->nfields;
	cap.blob = map(cap.size);
	cap.unread = map((size_t)l->nfields);
	cap.max_runs = trace_runs_max(cap.size);
	cap.runs = map(sizeof *cap.runs * (size_t)cap.max_runs);
	cap.inlog = map(sizeof *cap.inlog * INLOG);
	/* Room for a few frames of watched state. */
	size_t entry = 16 + (size_t)cap.nfields + cap.size;
	if (cap.blob == NULL || cap.unread == NULL || cap.runs == NULL ||
	    trace_hash_cache_init(&cap.hash, cap.size) != 0 ||
	    cap.inlog == NULL || state_memo_init(&cap.memo) != 0 ||
	    ring_init(&cap.watch, 8 * (entry + 64)) != 0) {
		hlog("capture: out of memory for a %zu-byte state", cap.size);
		return -1;
	}
	cap.ready = 1;
	return 0;
}

void
capture_update_want(void)
{
	int want = cap.ready && (record_active() ||
	    atomic_load(&cap.watchers) > 0);
	/* Capturing holds write tracking: only written pages are compared. */
	if (atomic_exchange(&capture_want, want) != want)
		wtrack_hold(want ? 1 : -1);
}

static int64_t
real_ns(void)
{
	struct timespec ts;
	real_clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
capture_boundary(int64_t f)
{
	int64_t t0 = real_ns();
	long n = state_sync(cap.blob, cap.unread, cap.runs, cap.max_runs,
	    &cap.memo);
	/* Only the blocks the changes touched are hashed again. */
	uint64_t hash = trace_hash_update(&cap.hash, cap.blob, cap.runs, n);
	int64_t vt = vclock_now();

	record_frame(f, vt, cap.blob, hash, cap.unread, cap.runs, n);
	record_account(real_ns() - t0);
	if (atomic_load(&cap.watchers) == 0)
		return;
	size_t len = 16 + (size_t)cap.nfields + cap.size;
	uint8_t *e = ring_reserve(&cap.watch, len);
	if (e == NULL)
		return;
	memcpy(e, &f, 8);
	memcpy(e + 8, &vt, 8);
	memcpy(e + 16, cap.unread, (size_t)cap.nfields);
	memcpy(e + 16 + cap.nfields, cap.blob, cap.size);
	ring_commit(&cap.watch, len);
	frame_wake_ctl();
}

void
capture_watchers(int delta)
{
	atomic_fetch_add(&cap.watchers, delta);
	capture_update_want();
}

void
capture_watch_drain(void (*fn)(int64_t f, int64_t vtime,
    const uint8_t *blob, const uint8_t *unreadable))
{
	const uint8_t *e;
	size_t len;

	if (!cap.ready)
		return;
	while ((e = ring_peek(&cap.watch, &len, 0)) != NULL) {
		int64_t f, vt;
		memcpy(&f, e, 8);
		memcpy(&vt, e + 8, 8);
		if (atomic_load(&cap.watchers) > 0)
			fn(f, vt, e + 16 + cap.nfields, e + 16);
		ring_release(&cap.watch);
	}
}

void
capture_note_input(int64_t frame, const struct trace_input *in)
{
	if (!cap.ready || !record_active())
		return;
	uint64_t h = atomic_load_explicit(&cap.in_head, memory_order_relaxed);
	if (h - atomic_load_explicit(&cap.in_tail, memory_order_acquire) >= INLOG) {
		hlog("trace: input log full; an input of frame %lld is not "
		    "recorded", (long long)frame);
		return;
	}
	cap.inlog[h % INLOG].frame = frame;
	cap.inlog[h % INLOG].in = *in;
	atomic_store_explicit(&cap.in_head, h + 1, memory_order_release);
}

int
capture_take_inputs(int64_t f, struct trace_input *out, int max)
{
	uint64_t t = atomic_load_explicit(&cap.in_tail, memory_order_relaxed);
	uint64_t h = atomic_load_explicit(&cap.in_head, memory_order_acquire);
	uint64_t w = h;
	int n = 0;

	/* Entries come in the order they were queued, not always in frame
	 * order (taps run ahead of a set): take those due, and slide the rest
	 * up against the head, keeping their order. [t, h) is ours alone. */
	for (uint64_t j = h; j-- > t;) {
		if (cap.inlog[j % INLOG].frame <= f && n < max) {
			out[n++] = cap.inlog[j % INLOG].in;
		} else {
			w--;
			if (w != j)
				cap.inlog[w % INLOG] = cap.inlog[j % INLOG];
		}
	}
	for (int i = 0; i < n / 2; i++) {
		struct trace_input x = out[i];
		out[i] = out[n - 1 - i];
		out[n - 1 - i] = x;
	}
	atomic_store_explicit(&cap.in_tail, w, memory_order_release);
	return n;
}
