/* The snapshot commands: `save NAME`, `load NAME`, `reset`, `drop NAME`. The frame
 * thread does the work at a boundary (snapshot.c); a load first stops the
 * game like `pause` (steps in progress are cut short), since the game
 * comes back stopped at the frame it was saved at. */
#include <stdio.h>
#include <string.h>

#include "ctl-client.h"
#include "frame.h"
#include "snapshot.h"

void
snap_cmd(struct client *c, int kind, const char *name)
{
	if (ctl.snap_busy) {
		ctl_err(c, ERR_STATE, "a save or load is in progress");
		return;
	}
	/* A snapshot is the main thread's stack and the memory it sees:
	 * frames on another thread (a game presenting from there) have no
	 * place to come back to. */
	if (!frame_thread_is_main()) {
		ctl_err(c, ERR_SNAPSHOT, "this game's frames run on a thread "
		    "that is not its main thread (it presents from there): "
		    "snapshots save and load the main thread's frames only");
		return;
	}
	if (kind == SNAP_LOAD)
		cmd_stop_now("a load");
	ctl.snap_busy = 1;
	ctl.snap_owner = c;
	c->wait = WAIT_SNAP;
	c->snap_kind = kind;
	snprintf(c->snap_name, sizeof c->snap_name, "%s", name);
	/* The slot may be the frame thread's own a moment longer (it keeps
	 * the first boundary): then the request goes when it frees. */
	ctl.snap_posted = snapshot_post(kind, name) == 0;
}

void
snap_progress(void)
{
	int result;
	int64_t frame;
	char err[512];

	if (!ctl.snap_busy)
		return;
	if (!ctl.snap_posted) {
		struct client *o = ctl.snap_owner;
		if (o == NULL) {
			ctl.snap_busy = 0;   /* it left before its turn */
			return;
		}
		ctl.snap_posted = snapshot_post(o->snap_kind,
		    o->snap_name) == 0;
		return;
	}
	if (!snapshot_done(&result, &frame, err, sizeof err))
		return;
	ctl.snap_busy = 0;
	ctl.snap_posted = 0;
	struct client *c = ctl.snap_owner;
	ctl.snap_owner = NULL;
	if (result == 1) {
		/* The game is back at FRAME: steps count from there. */
		ctl.sched_until = frame;
		ctl.tap_next = 0;
		gfx_cmd_loaded();
	}
	if (c == NULL)
		return;
	c->wait = WAIT_NONE;
	if (result < 0) {
		ctl_err(c, ERR_SNAPSHOT, "%s", err);
		return;
	}
	if (c->snap_kind == SNAP_DROP) {
		ctl_ok(c, "{\"name\":\"%s\",\"dropped\":true}", c->snap_name);
		ctl_set_events(c);
		return;
	}
	size_t bytes = 0;
	snapshot_frame(c->snap_name, &bytes);
	ctl_ok(c, "{\"name\":\"%s\",\"frame\":%lld,\"bytes\":%zu,"
	    "\"copied\":%zu,\"%s\":true}", c->snap_name, (long long)frame, bytes,
	    snapshot_last_copied(), result == 1 ? "loaded" : "saved");
	ctl_set_events(c);
}
