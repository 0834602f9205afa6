/* Replaying a trace's inputs (see replay.h). `dumper replay` writes them
 * as a replayfile (common/replayfile.h) that is mapped read-only here, so
 * replaying allocates nothing in the game; the frame thread then feeds
 * them: keys into the input queue tagged with their frame, `set` writes
 * straight into the game at the boundary before that frame (where the
 * recording ran them). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/keys.h"
#include "../common/layout.h"
#include "../common/replayfile.h"
#include "capture.h"
#include "gfxin.h"
#include "input.h"
#include "log.h"
#include "replay.h"
#include "state.h"

static struct {
	int active;
	const struct replayfile_entry *v;
	uint64_t n, next;
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
	struct stat sb;
	const struct replayfile_header *h;

	if (fd < 0 || fstat(fd, &sb) != 0) {
		snprintf(err, errlen, "HOOK_REPLAY: %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	size_t size = (size_t)sb.st_size;
	void *m = size >= sizeof *h ? mmap(NULL, size, PROT_READ, MAP_PRIVATE,
	    fd, 0) : MAP_FAILED;
	close(fd);
	h = m;
	if (m == MAP_FAILED || memcmp(h->magic, REPLAYFILE_MAGIC,
	    sizeof REPLAYFILE_MAGIC) != 0 ||
	    h->entry_size != sizeof(struct replayfile_entry) ||
	    h->count > (size - sizeof *h) / sizeof(struct replayfile_entry)) {
		snprintf(err, errlen, "HOOK_REPLAY: %s is not an inputs file of "
		    "this build (dumper replay writes them)", path);
		if (m != MAP_FAILED)
			munmap(m, size);
		return -1;
	}
	rp.v = (const struct replayfile_entry *)(h + 1);
	rp.n = h->count;
	rp.active = 1;
	hlog("replay: %llu inputs from %s", (unsigned long long)rp.n, path);
	return 0;
}

static void
apply_set(const struct trace_input *in, int64_t frame)
{
	const struct layout *l = state_layout();
	struct lt_place p;
	uint8_t val[4096];
	char err[512] = "no layout";

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
		const struct replayfile_entry *e = &rp.v[rp.next++];
		const struct trace_input *in = &e->in;
		struct key_def k = { .code = in->code };
		k.seqlen = in->seqlen < KEY_SEQ_MAX ? in->seqlen : KEY_SEQ_MAX;
		memcpy(k.seq, in->seq, k.seqlen);
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
		case TI_KEY_PRESS: case TI_KEY_RELEASE: case TI_MOUSE_MOVE:
		case TI_MOUSE_DOWN: case TI_MOUSE_UP: case TI_WHEEL: case TI_TEXT: {
			struct gfx_event g;
			if (gfxin_from_trace(in, e->frame, &g) == 0)
				gfxin_push(&g);
			break;
		}
		default:
			break;   /* speed: pacing, not the simulation */
		}
		/* The replayed trace records what was fed, as the original did. */
		capture_note_input(e->frame, in);
	}
}
