/* Replaying a trace's inputs (see replay.h). The inputs are read once at
 * start-up; the frame thread then feeds them without allocating: keys into
 * the input queue tagged with their frame, `set` writes straight into the
 * game at the boundary before that frame (where the recording ran them). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/keys.h"
#include "../common/layout.h"
#include "../common/trace.h"
#include "capture.h"
#include "input.h"
#include "log.h"
#include "replay.h"
#include "state.h"

struct entry {
	int64_t frame;
	struct trace_input in;
};

static struct {
	int active;
	struct entry *v;
	size_t n, next;
} rp;

int
replay_active(void)
{
	return rp.active;
}

int
replay_init(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "HOOK_REPLAY: %s: %s", path, strerror(errno));
		return -1;
	}
	char terr[512];
	struct trace_reader *t = trace_open(fd, terr, sizeof terr);
	if (t == NULL) {
		snprintf(err, errlen, "HOOK_REPLAY: %s: %s", path, terr);
		close(fd);
		return -1;
	}
	size_t cap = 0;
	enum trace_ev ev;
	while ((ev = trace_next(t)) != TEV_END && ev != TEV_ERROR) {
		if (ev != TEV_FRAME)
			continue;
		for (int i = 0; i < trace_ninputs(t); i++) {
			if (rp.n == cap) {
				cap = cap ? 2 * cap : 256;
				struct entry *v = realloc(rp.v, cap * sizeof *v);
				if (v == NULL)
					break;
				rp.v = v;
			}
			if (rp.n < cap) {
				rp.v[rp.n].frame = t->frame;
				trace_input(t, i, &rp.v[rp.n].in);
				rp.n++;
			}
		}
	}
	trace_close(t);
	close(fd);
	rp.active = 1;
	hlog("replay: %zu inputs from %s", rp.n, path);
	return 0;
}

static void
apply_set(const struct trace_input *in, int64_t frame)
{
	const struct layout *l = state_layout();
	struct lt_place p;
	uint8_t val[4096];
	char err[512];

	if (l == NULL || layout_place(l, in->name, NULL, &p, err, sizeof err) != 0 ||
	    p.type->size > sizeof val ||
	    layout_encode(p.type, in->value, val, err, sizeof err) != 0 ||
	    state_write(&p, val, p.type->size, err, sizeof err) != 0)
		hlog("replay: frame %lld: set %s %s: %s", (long long)frame,
		    in->name, in->value, err);
}

void
replay_feed(int64_t f)
{
	while (rp.next < rp.n && rp.v[rp.next].frame <= f + 1) {
		const struct entry *e = &rp.v[rp.next++];
		const struct trace_input *in = &e->in;
		struct key_def k = { .code = in->code, .seqlen = in->seqlen };
		memcpy(k.seq, in->seq, in->seqlen < KEY_SEQ_MAX ? in->seqlen :
		    KEY_SEQ_MAX);
		switch (in->kind) {
		case TI_KEY:
			input_push(&k, e->frame);
			break;
		case TI_KEYDOWN:
			input_hold(&k);
			break;
		case TI_KEYUP:
			input_release(&k);
			break;
		case TI_SET:
			apply_set(in, e->frame);
			break;
		default:
			break;   /* speed: pacing, not the simulation */
		}
		/* The replayed trace records what was fed, as the original did. */
		capture_note_input(e->frame, in);
	}
}
