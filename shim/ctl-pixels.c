/* `screenshot`: the presented picture (pixels.h), taken on the frame
 * thread at the boundary it was read at, scaled there into a buffer from
 * the shim's own range (gh_malloc), then written as a PNG file (text clients) or sent as
 * pixels (binary clients) by the control thread: in the reply, or with
 * --shm into memory the client passed over the socket (a memfd sealed
 * against shrinking), so a full picture costs a copy, not the socket. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

void
pixshm_drop(struct client *c)
{
	if (c->shm_map != NULL)
		munmap(c->shm_map, c->shm_len);
	if (c->shm_fd >= 0)
		close(c->shm_fd);
	c->shm_map = NULL;
	c->shm_len = 0;
	c->shm_fd = -1;
}

void
pixshm_take(struct client *c, int fd)
{
	pixshm_drop(c);
	c->shm_fd = fd;
}

/* C's shared memory mapped, at least NEED bytes: 1; too small (the
 * picture goes in the reply, and the client grows it): 0; unusable: -1
 * with ERR. */
static int
pixshm_ready(struct client *c, size_t need, char *err, size_t errlen)
{
	struct stat st;
	/* A file that shrank under the copy would kill the game (SIGBUS):
	 * only memory that cannot shrink is written. */
	int seals = fcntl(c->shm_fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK)) {
		snprintf(err, errlen, "the memory passed must be a memfd sealed "
		    "against shrinking (F_SEAL_SHRINK)");
		return -1;
	}
	if (fstat(c->shm_fd, &st) != 0) {
		snprintf(err, errlen, "the memory passed: %s", strerror(errno));
		return -1;
	}
	if ((size_t)st.st_size < need)
		return 0;
	if (c->shm_map == NULL || c->shm_len != (size_t)st.st_size) {
		if (c->shm_map != NULL)
			munmap(c->shm_map, c->shm_len);
		c->shm_map = NULL;
		c->shm_len = 0;
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
		    MAP_SHARED, c->shm_fd, 0);
		if (m == MAP_FAILED) {
			snprintf(err, errlen, "the memory passed cannot be "
			    "mapped: %s", strerror(errno));
			return -1;
		}
		c->shm_map = m;
		c->shm_len = (size_t)st.st_size;
	}
	return 1;
}

static void
shot_reply(struct client *c)
{
	char err[512];
	const char *path = strrchr(c->post_args, ' ');
	int shm = 0;

	sscanf(c->post_args, "%*d %*d %*d %d", &shm);
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
	size_t len = (size_t)shot.w * (size_t)shot.h * (size_t)shot.ch;
	int in_shm = 0;
	if (shm && c->shm_fd >= 0) {
		in_shm = pixshm_ready(c, len, err, sizeof err);
		if (in_shm < 0) {
			ctl_err(c, ERR_USAGE, "screenshot --shm: %s", err);
			return;
		}
	}
	if (in_shm) {
		memcpy(c->shm_map, shot.buf, len);
		p.has_shared = 1;
		p.shared = 1;
	} else {
		p.has_data = 1;
		p.data.data = shot.buf;
		p.data.len = len;
	}
	r.pixels = &p;
	bin_send_response(c, &r);
}

void
cmd_screenshot(struct client *c, int argc, char **argv)
{
	const char *path = NULL;
	int w = 0, h = 0, gray = 0, shm = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--gray") == 0) {
			gray = 1;
		} else if (strcmp(argv[i], "--shm") == 0) {
			shm = 1;
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
			    "[--size WxH] [--gray] [--shm]");
			return;
		}
	}
	if (path == NULL && !c->binary) {
		ctl_err(c, ERR_USAGE, "usage: screenshot PATH [--size WxH] "
		    "[--gray] (pixels without a file come over the binary "
		    "protocol)");
		return;
	}
	if (shm && (path != NULL || !c->binary)) {
		ctl_err(c, ERR_USAGE, "screenshot: --shm is for pixels without "
		    "a file, over the binary protocol on the Unix socket");
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
	snprintf(args, len, "%d %d %d %d %s", w, h, gray, shm,
	    path ? path : "-");
	free(c->post_args);
	c->post_args = args;
	cmd_post_request(c, shot_run, shot_reply);
}
