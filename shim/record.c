/* Recording a trace (see record.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "../common/alloc.h"
#include "../common/jstr.h"
#include "../common/textproto.h"
#include "capture.h"
#include "context.h"
#include "frame.h"
#include "futex.h"
#include "log.h"
#include "pixels.h"
#include "real.h"
#include "record.h"
#include "ring.h"
#include "screen.h"
#include "shim.h"
#include "snapshot.h"
#include "state.h"
#include "vclock.h"

enum { R_IDLE, R_OPEN, R_ON, R_ENDED };

static struct {
	_Atomic int phase;
	int fd;
	int fifo_pending;           /* the writer opens the FIFO, blocking */
	char dest[512];
	struct ring ring;
	struct trace_packer pk;
	size_t bound;
	uint8_t *hdr;               /* the header record, packed at open */
	size_t hdr_len, hdr_cap;
	uint32_t interval;
	int64_t last_key, last_frame, first_frame;
	_Atomic uint64_t frames, keyframes, bytes_queued;
	_Atomic uint64_t bytes_written;
	_Atomic uint64_t capture_ns;   /* real time spent capturing, packing */
	pthread_t th;
	_Atomic uint32_t done;      /* futex: the writer finished */
	char werr[256];
	uint32_t *unread_list;
	void *stack;                /* the writer's */
	struct trace_input inputs[TRACE_INPUTS_MAX];
	int screen;                 /* the screen goes in each record */
	int screen_next;            /* for the next record_open */
	struct trace_screen scr;
	/* Pictures (HOOK_TRACE_PIXELS, --pixels): the size asked (0: the
	 * picture's own), gray, and three mapped buffers of ROOM bytes: this
	 * frame's, the last recorded one's, and their XOR. */
	int pix_next, pix_w_next, pix_h_next, pix_gray_next;
	int pix, pix_w, pix_h, pix_gray, pix_requested, pix_prev_ok;
	uint32_t pix_prev_w, pix_prev_h;
	uint8_t *pix_cur, *pix_prev, *pix_xor;
	size_t pix_room;
	int pix_too_big_logged;
} rc = { .fd = -1 };

/* Room for a picture of unknown size: 1920x1200 RGB. */
#define PIX_ROOM_DEFAULT ((size_t)1920 * 1200 * 3)

int
record_pixels_parse(const char *spec, int *w, int *h, int *gray)
{
	*w = *h = *gray = 0;
	if (spec == NULL || spec[0] == '\0' || strcmp(spec, "1") == 0 ||
	    strcmp(spec, "full") == 0)
		return 0;
	if (strcmp(spec, "gray") == 0) {
		*gray = 1;
		return 0;
	}
	char *end;
	long a = strtol(spec, &end, 10);
	if (*end != 'x' || a < 1 || a > 16384)
		return -1;
	long b = strtol(end + 1, &end, 10);
	if (b < 1 || b > 16384)
		return -1;
	if (strcmp(end, ",gray") == 0)
		*gray = 1;
	else if (*end != '\0')
		return -1;
	*w = (int)a;
	*h = (int)b;
	return 0;
}

void
record_pixels(int on, int w, int h, int gray)
{
	rc.pix_next = on;
	rc.pix_w_next = w;
	rc.pix_h_next = h;
	rc.pix_gray_next = gray;
}

static void
pix_release(void)
{
	uint8_t **bufs[] = { &rc.pix_cur, &rc.pix_prev, &rc.pix_xor };
	for (int i = 0; i < 3; i++) {
		gh_free(*bufs[i]);
		*bufs[i] = NULL;
	}
	if (rc.pix_requested)
		pixels_request(0);
	rc.pix_requested = 0;
	rc.pix = 0;
}

/* Open: the pictures' room and buffers. Returns 0, or -1. */
static int
pix_open(void)
{
	rc.pix = rc.pix_next;
	rc.pix_w = rc.pix_w_next;
	rc.pix_h = rc.pix_h_next;
	rc.pix_gray = rc.pix_gray_next;
	rc.pix_prev_ok = 0;
	rc.pix_too_big_logged = 0;
	if (!rc.pix)
		return 0;
	int ch = rc.pix_gray ? 1 : 3;
	rc.pix_room = rc.pix_w ? (size_t)rc.pix_w * (size_t)rc.pix_h * ch :
	    PIX_ROOM_DEFAULT;
	uint8_t **bufs[] = { &rc.pix_cur, &rc.pix_prev, &rc.pix_xor };
	for (int i = 0; i < 3; i++) {
		/* At least GH_BIG_ALLOC: from the shim's own range, never the
		 * game's heap, whichever thread opens the recording. */
		void *p = gh_malloc(rc.pix_room < GH_BIG_ALLOC ? GH_BIG_ALLOC :
		    rc.pix_room);
		if (p == NULL) {
			pix_release();
			return -1;
		}
		*bufs[i] = p;
	}
	if (trace_packer_pixels(&rc.pk, rc.pix_room) != 0) {
		pix_release();
		return -1;
	}
	pixels_request(1);
	rc.pix_requested = 1;
	return 0;
}

/* Frame thread: this frame's picture for the record, or NULL. */
static const struct trace_pixels *
pix_frame(int key, struct trace_pixels *out)
{
	int w, h;
	int64_t at;
	const uint8_t *src = pixels_get(&w, &h, &at);
	if (!rc.pix || src == NULL)
		return NULL;
	int dw = rc.pix_w ? rc.pix_w : w, dh = rc.pix_w ? rc.pix_h : h;
	int ch = rc.pix_gray ? 1 : 3;
	size_t n = (size_t)dw * (size_t)dh * (size_t)ch;
	if (n > rc.pix_room) {
		if (!rc.pix_too_big_logged++)
			hlog("trace: a %dx%d picture is over the %zu bytes kept "
			    "for one; recording pictures with --pixels=WxH "
			    "records them", w, h, rc.pix_room);
		return NULL;
	}
	if (dw == w && dh == h && !rc.pix_gray)
		memcpy(rc.pix_cur, src, n);
	else
		pixels_scale(src, w, h, rc.pix_cur, dw, dh, rc.pix_gray);
	*out = (struct trace_pixels){ .width = (uint32_t)dw,
	    .height = (uint32_t)dh, .channels = (uint32_t)ch, .frame = at };
	if (key || !rc.pix_prev_ok || rc.pix_prev_w != (uint32_t)dw ||
	    rc.pix_prev_h != (uint32_t)dh) {
		out->data = rc.pix_cur;
	} else {
		for (size_t i = 0; i < n; i++)
			rc.pix_xor[i] = rc.pix_cur[i] ^ rc.pix_prev[i];
		out->xor = 1;
		out->data = rc.pix_xor;
	}
	uint8_t *t = rc.pix_prev;
	rc.pix_prev = rc.pix_cur;
	rc.pix_cur = t;
	rc.pix_prev_ok = 1;
	rc.pix_prev_w = (uint32_t)dw;
	rc.pix_prev_h = (uint32_t)dh;
	return out;
}

void
record_screen(int on)
{
	rc.screen_next = on;
}

int
record_active(void)
{
	int ph = atomic_load_explicit(&rc.phase, memory_order_acquire);
	return ph == R_OPEN || ph == R_ON;
}

int
record_idle(void)
{
	return atomic_load(&rc.phase) == R_IDLE;
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		atomic_fetch_add(&rc.bytes_written, (uint64_t)w);
	}
	return 0;
}

static void *
writer_main(void *arg)
{
	(void)arg;
	tls_internal = 1;
	if (rc.fifo_pending) {
		rc.fd = open(rc.dest, O_WRONLY | O_CLOEXEC);
		if (rc.fd < 0)
			snprintf(rc.werr, sizeof rc.werr, "open %s: %s", rc.dest,
			    strerror(errno));
	}
	for (;;) {
		size_t len;
		const uint8_t *e = rc.fd < 0 ? NULL : ring_peek(&rc.ring, &len, 1);
		if (e == NULL)
			break;
		if (write_all(rc.fd, e, len) != 0) {
			snprintf(rc.werr, sizeof rc.werr, "writing %s: %s", rc.dest,
			    strerror(errno));
			break;
		}
		ring_release(&rc.ring);
	}
	if (rc.werr[0]) {
		hlog("trace: %s; recording stopped, the game goes on", rc.werr);
		ring_close(&rc.ring);
		atomic_store(&rc.phase, R_ENDED);
		capture_update_want();
	}
	if (rc.fd >= 0)
		close(rc.fd);
	rc.fd = -1;
	atomic_store(&rc.done, 1);
	futex_wake(&rc.done, INT_MAX);
	return NULL;
}

/* Open DEST for writing: 0, or -1 with ERR set. */
static int
open_dest(const char *dest, char *err, size_t errlen)
{
	struct stat sb;

	rc.fifo_pending = 0;
	if (strncmp(dest, "fd:", 3) == 0) {
		char *end;
		errno = 0;
		long n = strtol(dest + 3, &end, 10);
		int fl = errno || *end || n < 0 || n > INT_MAX ? -1 :
		    fcntl((int)n, F_GETFL);
		if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY) {
			snprintf(err, errlen, "trace: %s is not a descriptor open "
			    "for writing", dest);
			return -1;
		}
		/* Ours from now on: not passed to the game's children. */
		fcntl((int)n, F_SETFD, FD_CLOEXEC);
		rc.fd = (int)n;
		return 0;
	}
	if (stat(dest, &sb) == 0 && S_ISFIFO(sb.st_mode)) {
		rc.fd = open(dest, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (rc.fd < 0 && errno == ENXIO) {
			rc.fifo_pending = 1;    /* no reader yet: wait for one */
			return 0;
		}
		if (rc.fd >= 0) {
			fcntl(rc.fd, F_SETFL, fcntl(rc.fd, F_GETFL) & ~O_NONBLOCK);
			return 0;
		}
	} else {
		rc.fd = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (rc.fd >= 0)
			return 0;
	}
	snprintf(err, errlen, "trace: cannot open %s: %s", dest, strerror(errno));
	return -1;
}

static void
release(void)
{
	pix_release();
	ring_free(&rc.ring);
	trace_packer_free(&rc.pk);
	if (rc.hdr != NULL)
		shim_pages_free(rc.hdr, rc.hdr_cap);
	rc.hdr = NULL;
	free(rc.unread_list);
	rc.unread_list = NULL;
}

int
record_open(const char *dest, uint32_t interval, char *err, size_t errlen)
{
	const struct layout *l = state_layout();

	if (l == NULL) {
		snprintf(err, errlen, "no layout: %s", state_error());
		return -1;
	}
	if (atomic_load(&rc.phase) != R_IDLE) {
		snprintf(err, errlen, "already recording to %s (trace stop first)",
		    rc.dest);
		return -1;
	}
	snprintf(rc.dest, sizeof rc.dest, "%s", dest);
	rc.werr[0] = '\0';
	rc.screen = rc.screen_next;
	rc.interval = interval ? interval : TRACE_KEYFRAME_DEFAULT;
	if (trace_packer_init(&rc.pk, l->blob_size) != 0) {
		snprintf(err, errlen, "trace: out of memory");
		return -1;
	}
	if (pix_open() != 0) {
		trace_packer_free(&rc.pk);
		snprintf(err, errlen, "trace: out of memory for the pictures");
		return -1;
	}
	rc.bound = trace_record_bound(&rc.pk);
	rc.unread_list = calloc((size_t)l->nfields, sizeof *rc.unread_list);
	/* The header's size follows the environment: it is mapped, not taken
	 * from the game's heap, which stays laid out as in any other run. */
	struct trace_context ctx;
	int have_ctx = context_get(&ctx) == 0;
	size_t hcap = rec_bound(strlen(l->json) + 4096 + strlen(shim_cfg.exe) +
	    (have_ctx ? context_bytes(&ctx) : 0));
	rc.hdr = shim_pages(hcap);
	rc.hdr_cap = hcap;
	if (rc.unread_list == NULL || rc.hdr == NULL ||
	    ring_init(&rc.ring, 3 * rc.bound + (1u << 20)) != 0) {
		context_release(&ctx);
		release();
		snprintf(err, errlen, "trace: out of memory for a %zu-byte state",
		    l->blob_size);
		return -1;
	}
	struct timespec now;
	real_clock_gettime(CLOCK_REALTIME, &now);
	struct trace_header_info h = {
		.exe = shim_cfg.exe, .build_id = shim_cfg.build_id,
		.layout_json = l->json, .layout_source = l->source,
		.version = GAMEHOOK_VERSION, .keyframe_interval = rc.interval,
		.state_size = (uint32_t)l->blob_size,
		.clock_rate = vclock_speed(),
		.seeded = shim_cfg.seeded, .seed = shim_cfg.seed,
		.start_frame = frame_current() + 1, .start_vtime_ns = vclock_now(),
		.start_unix_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec,
		.pid = (int)shim_getpid(), .ctx = have_ctx ? &ctx : NULL,
	};
	rc.hdr_len = trace_pack_header(&rc.pk, &h, rc.hdr, hcap);
	context_release(&ctx);
	if (rc.hdr_len == 0 || open_dest(dest, err, errlen) != 0) {
		if (rc.hdr_len == 0)
			snprintf(err, errlen, "trace: cannot pack the header");
		release();
		return -1;
	}
	atomic_store(&rc.frames, 0);
	atomic_store(&rc.keyframes, 0);
	atomic_store(&rc.bytes_queued, 0);
	atomic_store(&rc.bytes_written, 0);
	atomic_store(&rc.capture_ns, 0);
	atomic_store(&rc.done, 0);

	/* The writer blocks every signal: a reader that went away makes its
	 * write fail with EPIPE, and SIGPIPE stays pending on it, unseen. */
	sigset_t all, old;
	pthread_attr_t attr;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	/* One stack for every recording's writer, the shim's (a snapshot
	 * leaves it alone); made again only when a stuck writer kept it. */
	if (rc.stack == NULL) {
		pthread_attr_t once;
		pthread_attr_init(&once);
		if (snapshot_shim_stack(&once, SHIM_STACK_SIZE) == 0)
			pthread_attr_getstack(&once, &rc.stack, &(size_t){ 0 });
		pthread_attr_destroy(&once);
	}
	if (rc.stack != NULL)
		pthread_attr_setstack(&attr, rc.stack, SHIM_STACK_SIZE);
	else
		pthread_attr_setstacksize(&attr, SHIM_STACK_SIZE);
	int r = real_pthread_create(&rc.th, &attr, writer_main, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		snprintf(err, errlen, "trace: cannot start the writer: %s",
		    strerror(r));
		if (rc.fd >= 0)
			close(rc.fd);
		rc.fd = -1;
		release();
		return -1;
	}
	pthread_setname_np(rc.th, "gamehook-rec");
	hlog("trace: recording to %s%s, keyframe every %u frames", dest,
	    rc.fifo_pending ? " (waiting for the FIFO's reader)" : "",
	    rc.interval);
	atomic_store_explicit(&rc.phase, R_OPEN, memory_order_release);
	capture_update_want();
	return 0;
}

void
record_frame(int64_t f, int64_t vtime, const uint8_t *blob, uint64_t hash,
    const uint8_t *unreadable, const struct trace_run *runs, long nruns)
{
	int ph = atomic_load_explicit(&rc.phase, memory_order_acquire);
	if (ph != R_OPEN && ph != R_ON)
		return;
	int key = nruns < 0 || ph == R_OPEN || rc.last_frame != f - 1 ||
	    f - rc.last_key >= rc.interval;
	if (ph == R_OPEN) {
		uint8_t *e = ring_reserve(&rc.ring, rc.hdr_len);
		if (e == NULL)
			goto ended;
		memcpy(e, rc.hdr, rc.hdr_len);
		ring_commit(&rc.ring, rc.hdr_len);
		rc.first_frame = f;
		atomic_store(&rc.phase, R_ON);
	}
	const struct layout *l = state_layout();
	int nun = 0;
	for (int i = 0; i < l->nfields; i++)
		if (unreadable[i])
			rc.unread_list[nun++] = (uint32_t)i;
	int nin = capture_take_inputs(f, rc.inputs, TRACE_INPUTS_MAX);
	uint8_t *out = ring_reserve(&rc.ring, rc.bound);
	if (out == NULL)
		goto ended;
	struct trace_frame_info fi = {
		.frame = f, .vtime_ns = vtime, .keyframe = key, .state = blob,
		.has_hash = 1, .hash = hash, .runs = runs,
		.nruns = key ? 0 : nruns, .unreadable = rc.unread_list,
		.nunreadable = nun, .inputs = rc.inputs, .ninputs = nin,
	};
	if (rc.screen) {
		screen_trace_rows(key, &rc.scr);
		fi.screen = &rc.scr;
	}
	struct trace_pixels px;
	fi.pixels = pix_frame(key, &px);
	size_t n = trace_pack_frame(&rc.pk, &fi, out, rc.bound);
	if (n == 0) {
		hlog("trace: frame %lld could not be packed; recording stopped",
		    (long long)f);
		record_end();
		return;
	}
	ring_commit(&rc.ring, n);
	if (key)
		rc.last_key = f;
	rc.last_frame = f;
	atomic_fetch_add(&rc.frames, 1);
	atomic_fetch_add(&rc.keyframes, (uint64_t)key);
	atomic_fetch_add(&rc.bytes_queued, n);
	return;
ended:
	atomic_store(&rc.phase, R_ENDED);
	capture_update_want();
}

void
record_account(int64_t ns)
{
	if (atomic_load_explicit(&rc.phase, memory_order_relaxed) == R_ON)
		atomic_fetch_add_explicit(&rc.capture_ns, (uint64_t)ns,
		    memory_order_relaxed);
}

void
record_end(void)
{
	int ph = atomic_load(&rc.phase);
	if (ph == R_IDLE)
		return;
	atomic_store(&rc.phase, R_ENDED);
	ring_close(&rc.ring);
	capture_update_want();
}

/* End the recording and wait up to MS for the writer to put out what is
 * queued. Returns whether it finished. */
static int
end_and_drain(int ms)
{
	record_end();
	struct timespec slice = { 0, 10 * 1000 * 1000 };
	for (int waited = 0; !atomic_load(&rc.done) && waited < ms; waited += 10)
		futex_wait(&rc.done, 0, &slice);
	return atomic_load(&rc.done) != 0;
}

int
record_close(int ms)
{
	if (atomic_load(&rc.phase) == R_IDLE)
		return 0;
	int finished = end_and_drain(ms);
	if (finished) {
		pthread_join(rc.th, NULL);
		release();
	} else {
		/* A consumer that stopped reading holds the writer in write():
		 * leave it (and its ring) behind rather than hang. */
		pthread_detach(rc.th);
		rc.stack = NULL;    /* still the stuck writer's */
		hlog("trace: the writer for %s is stuck; left behind", rc.dest);
		memset(&rc.ring, 0, sizeof rc.ring);
		memset(&rc.pk, 0, sizeof rc.pk);
		rc.hdr = NULL;
		rc.unread_list = NULL;
	}
	hlog("trace: %s closed: %llu frames, %llu bytes", rc.dest,
	    (unsigned long long)atomic_load(&rc.frames),
	    (unsigned long long)atomic_load(&rc.bytes_written));
	atomic_store(&rc.phase, R_IDLE);
	return finished ? 0 : -1;
}

void
record_describe(char *buf, size_t len)
{
	static const char *const names[] = { "off", "waiting", "recording",
		"ended" };
	int ph = atomic_load(&rc.phase);
	size_t o = (size_t)snprintf(buf, len, "{\"state\":\"%s\",\"path\":",
	    names[ph]);
	/* After a stop: the last recording's destination and figures. */
	jstr_append(buf, len, &o, rc.dest, strlen(rc.dest));
	o += (size_t)snprintf(buf + o, len - o, ",\"frames\":%llu,"
	    "\"keyframes\":%llu,\"bytes\":%llu,\"capture_ns\":%llu,"
	    "\"screen\":%s,\"error\":",
	    (unsigned long long)atomic_load(&rc.frames),
	    (unsigned long long)atomic_load(&rc.keyframes),
	    (unsigned long long)atomic_load(&rc.bytes_written),
	    (unsigned long long)atomic_load(&rc.capture_ns),
	    rc.screen ? "true" : "false");
	const char *we = rc.werr;
	jstr_append(buf, len, &o, we, strlen(we));
	snprintf(buf + o, len - o, "}");
}

void
record_flush_at_exit(void)
{
	if (atomic_load(&rc.phase) != R_IDLE)
		end_and_drain(3000);
}
