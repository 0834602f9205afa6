/* `screenshot`: the presented picture (pixels.h), taken on the frame
 * thread at the boundary it was read at, scaled there into a buffer from
 * the shim's own range (gh_malloc), then written as a PNG file (text clients) or sent as
 * pixels (binary clients) by the control thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/alloc.h"
#include "../common/pngfile.h"
#include "control.pb-c.h"
#include "ctl-client.h"
#include "ctl-pixels.h"
#include "frame.h"
#include "pixels.h"

/* A request waits this many boundaries at most for a picture of its own
 * frame, then takes the last one read. */
#define SHOT_DEFER_MAX 120

static struct {
	uint8_t *buf;
	size_t cap;
	int w, h, ch;
	int64_t frame;
	int defers;
	char err[256];
} shot;

/* "W H GRAY PATH" (W, H 0: the picture's own size; PATH "-": none). */
static void
shot_run(void *arg)
{
	int dw = 0, dh = 0, gray = 0, w, h;
	int64_t f;

	sscanf((const char *)arg, "%d %d %d", &dw, &dh, &gray);
	shot.err[0] = '\0';
	const uint8_t *src = pixels_get(&w, &h, &f);
	if ((src == NULL || f != frame_current()) && frame_presented() &&
	    !frame_stopped() && shot.defers < SHOT_DEFER_MAX) {
		if (shot.defers++ == 0)
			pixels_request(1);   /* read it at the next present */
		frame_post_defer();
		return;
	}
	if (shot.defers) {
		pixels_request(0);
		shot.defers = 0;
	}
	if (src == NULL) {
		snprintf(shot.err, sizeof shot.err, "no picture: the game has "
		    "presented none%s", frame_presented() ? " at this frame "
		    "(step once)" : " (not a graphical game, or not yet)");
		return;
	}
	if (dw <= 0 || dh <= 0) {
		dw = w;
		dh = h;
	}
	int ch = gray ? 1 : 3;
	size_t need = (size_t)dw * (size_t)dh * (size_t)ch;
	if (need > shot.cap) {
		size_t cap = (need + 0xfffff) & ~(size_t)0xfffff;
		void *p = gh_malloc(cap);   /* >= GH_BIG_ALLOC: the shim's range */
		if (p == NULL) {
			snprintf(shot.err, sizeof shot.err, "no room for %zu "
			    "bytes", cap);
			return;
		}
		gh_free(shot.buf);
		shot.buf = p;
		shot.cap = cap;
	}
	if (dw == w && dh == h && !gray)
		memcpy(shot.buf, src, need);
	else
		pixels_scale(src, w, h, shot.buf, dw, dh, gray);
	shot.w = dw;
	shot.h = dh;
	shot.ch = ch;
	shot.frame = f;
}

static void
shot_reply(struct client *c)
{
	char err[512];
	const char *path = strrchr(c->post_args, ' ');

	path = path ? path + 1 : "-";
	if (shot.err[0]) {
		ctl_err(c, ERR_STATE, "screenshot: %s", shot.err);
		return;
	}
	if (strcmp(path, "-") != 0) {
		if (png_write(path, shot.buf, shot.w, shot.h, shot.ch, err,
		    sizeof err) != 0) {
			ctl_err(c, ERR_UNSUPPORTED, "screenshot: %s", err);
			return;
		}
		ctl_ok(c, "{\"frame\":%lld,\"width\":%d,\"height\":%d}",
		    (long long)shot.frame, shot.w, shot.h);
		return;
	}
	Gamehook__Control__Response r = GAMEHOOK__CONTROL__RESPONSE__INIT;
	Gamehook__Control__Pixels p = GAMEHOOK__CONTROL__PIXELS__INIT;
	char text[32];
	snprintf(text, sizeof text, "%lld", (long long)shot.frame);
	r.has_id = 1;
	r.id = c->req_id;
	r.has_ok = 1;
	r.ok = 1;
	r.text = text;
	p.has_frame = 1;
	p.frame = shot.frame;
	p.has_width = 1;
	p.width = (uint32_t)shot.w;
	p.has_height = 1;
	p.height = (uint32_t)shot.h;
	p.has_channels = 1;
	p.channels = (uint32_t)shot.ch;
	p.has_data = 1;
	p.data.data = shot.buf;
	p.data.len = (size_t)shot.w * (size_t)shot.h * (size_t)shot.ch;
	r.pixels = &p;
	bin_send_response(c, &r);
}

void
cmd_screenshot(struct client *c, int argc, char **argv)
{
	const char *path = NULL;
	int w = 0, h = 0, gray = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--gray") == 0) {
			gray = 1;
		} else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
			char *end;
			w = (int)strtol(argv[++i], &end, 10);
			if (*end != 'x' || w < 1 || w > 16384 ||
			    (h = (int)strtol(end + 1, &end, 10)) < 1 ||
			    h > 16384 || *end) {
				ctl_err(c, ERR_USAGE, "screenshot: --size WxH, "
				    "from 1x1 to 16384x16384, not '%s'",
				    argv[i]);
				return;
			}
		} else if (argv[i][0] != '-' && path == NULL) {
			path = argv[i];
		} else {
			ctl_err(c, ERR_USAGE, "usage: screenshot PATH "
			    "[--size WxH] [--gray]");
			return;
		}
	}
	if (path == NULL && !c->binary) {
		ctl_err(c, ERR_USAGE, "usage: screenshot PATH [--size WxH] "
		    "[--gray] (pixels without a file come over the binary "
		    "protocol)");
		return;
	}
	if (path != NULL && path[0] != '/') {
		ctl_err(c, ERR_USAGE, "screenshot: PATH must be absolute (the "
		    "game writes it, from its own directory)");
		return;
	}
	size_t len = 64 + (path ? strlen(path) : 1);
	char *args = malloc(len);
	if (args == NULL) {
		ctl_err(c, ERR_MEMORY, "out of memory");
		return;
	}
	snprintf(args, len, "%d %d %d %s", w, h, gray, path ? path : "-");
	free(c->post_args);
	c->post_args = args;
	cmd_post_request(c, shot_run, shot_reply);
}
