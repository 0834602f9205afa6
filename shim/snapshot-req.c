/* The snapshot request slot: the control thread posts a save or a load,
 * the frame thread serves it at one fixed place of the boundary (so that a
 * load comes back through the place its save was made) and hands the
 * result back. See snapshot.h. */
#include <stdatomic.h>
#include <stdio.h>

#include "frame.h"
#include "log.h"
#include "snapshot.h"

enum { REQ_IDLE, REQ_POSTED, REQ_DONE };

static struct {
	_Atomic int state;           /* REQ_IDLE, REQ_POSTED, REQ_DONE */
	int kind;
	char name[64];
	int result;
	int64_t frame;
	char err[512];
} snapreq;

/* A request was served (R: 0 saved, 1 loaded and back at F, -1 failed):
 * put the boundary in order after a load, and hand the result over. */
static void
finish(int64_t f, int r)
{
	if (r == 1)
		frame_loaded(f);
	snapreq.result = r;
	snapreq.frame = f;
	atomic_store_explicit(&snapreq.state, REQ_DONE, memory_order_release);
	frame_wake_ctl();
}

int
snapshot_serve(int64_t f)
{
	if (atomic_load_explicit(&snapreq.state, memory_order_acquire) !=
	    REQ_POSTED)
		return 0;
	int r;
	snapreq.err[0] = '\0';
	if (snapreq.kind == SNAP_SAVE)
		r = snapshot_save(snapreq.name, f, snapreq.err,
		    sizeof snapreq.err);
	else if (snapreq.kind == SNAP_DROP)
		r = snapshot_drop(snapreq.name, snapreq.err, sizeof snapreq.err);
	else
		r = snapshot_load(snapreq.name, snapreq.err, sizeof snapreq.err);
	finish(f, r);
	return 1;
}

void
snapshot_keep_start(int64_t f)
{
	char err[512];
	int r = snapshot_save(SNAPSHOT_START, f, err, sizeof err);
	if (r == 1)
		finish(f, 1);   /* the reset (or load @start) is done */
	else if (r < 0)
		hlog("snapshot %s: %s", SNAPSHOT_START, err);
}

int
snapshot_post(int kind, const char *name)
{
	if (atomic_load(&snapreq.state) != REQ_IDLE)
		return -1;
	snapreq.kind = kind;
	snprintf(snapreq.name, sizeof snapreq.name, "%s", name);
	atomic_store_explicit(&snapreq.state, REQ_POSTED, memory_order_release);
	frame_kick();
	return 0;
}

int
snapshot_done(int *result, int64_t *frame, char *err, size_t errlen)
{
	if (atomic_load_explicit(&snapreq.state, memory_order_acquire) !=
	    REQ_DONE)
		return 0;
	*result = snapreq.result;
	*frame = snapreq.frame;
	snprintf(err, errlen, "%s", snapreq.err);
	atomic_store(&snapreq.state, REQ_IDLE);
	return 1;
}
