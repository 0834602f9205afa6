/* The state commands: `get`, `set`, `watch` and `trace`. Reading and
 * writing the game happens on the frame thread, at a boundary (or at once
 * while the game is stopped); JSON is made here, on the control thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/alloc.h"
#include "../common/layout.h"
#include "../common/sbuf.h"
#include "../common/textproto.h"
#include "capture.h"
#include "ctl-client.h"
#include "frame.h"
#include "record.h"
#include "shim.h"
#include "state.h"
#include "vclock.h"

/* Filled on the frame thread by a request, read here once it is done. */
static struct {
	uint8_t *blob;
	uint8_t *unread;
	int64_t frame, vtime;
	int rc;
	char err[512];
	char field[TP_LINE_MAX];
	char value[TP_LINE_MAX];
} req;

/* The replies' JSON, made on this (the control) thread. */
static struct sbuf json;

static int
need_layout(struct client *c)
{
	if (state_layout() != NULL)
		return 0;
	ctl_err(c, ERR_LAYOUT, "no layout loaded: %s", state_error());
	return -1;
}

static int
check_paths(struct client *c, int argc, char **argv)
{
	char err[512];
	for (int i = 1; i < argc; i++) {
		if (layout_check_path(state_layout(), argv[i], err, sizeof err) != 0) {
			ctl_err(c, ERR_FIELD, "%s", err);
			return -1;
		}
	}
	return 0;
}

/* ARGV[1..] joined by spaces, for the request or the watch. */
static char *
join(int argc, char **argv)
{
	size_t n = 1;
	for (int i = 1; i < argc; i++)
		n += strlen(argv[i]) + 1;
	char *s = malloc(n);
	if (s == NULL)
		return NULL;
	s[0] = '\0';
	for (int i = 1; i < argc; i++) {
		if (i > 1)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static int
get_blob(void)
{
	const struct layout *l = state_layout();
	if (req.blob == NULL) {
		req.blob = gh_calloc(1, l->blob_size ? l->blob_size : 1);
		req.unread = gh_calloc(1, (size_t)l->nfields);
	}
	return req.blob != NULL && req.unread != NULL ? 0 : -1;
}

/* Append the JSON of PATH (NULL: the whole state) to `json`. Returns 0,
 * or -1 with ERR set. */
static int
render(const uint8_t *blob, const uint8_t *unread, const char *path,
    char *err, size_t errlen)
{
	return layout_json_sb(&json, state_layout(), blob, unread, path, err,
	    errlen);
}

/* Append S to `json`. Returns 0, or -1 out of memory. */
static int
append(const char *s)
{
	sb_puts(&json, s);
	return json.failed ? -1 : 0;
}

/* The values of the space-separated PATHS ("" for the whole state) as
 * one JSON text appended to `json`: the state object, one value, or an
 * object of path -> value. PREFIX opens an object ("{\"frame\":1,") when
 * given. */
static int
render_paths(const char *paths, const uint8_t *blob, const uint8_t *unread,
    const char *prefix, char *err, size_t errlen)
{
	if (paths[0] == '\0')   /* the caller adds any frame number */
		return render(blob, unread, NULL, err, errlen);
	int many = strchr(paths, ' ') != NULL || prefix != NULL;
	if (many && append(prefix ? prefix : "{") != 0)
		return -1;
	const char *p = paths;
	int first = 1;
	while (*p) {
		char one[TP_LINE_MAX];
		size_t k = strcspn(p, " ");
		snprintf(one, sizeof one, "%.*s", (int)k, p);
		p += k + (p[k] == ' ');
		if (many) {
			if (!first)
				append(",");
			sb_json_str(&json, one);
			if (append(":") != 0)
				return -1;
		}
		first = 0;
		if (render(blob, unread, one, err, errlen) != 0) {
			/* An index past this frame's count: say so, go on. */
			if (!many || json.failed)
				return -1;
			if (append("null") != 0)
				return -1;
		}
	}
	if (many && append("}") != 0)
		return -1;
	return 0;
}

/* --- get ------------------------------------------------------------------- */

static void
get_run(void *arg)
{
	struct trace_run dummy[1];
	(void)arg;
	state_sync(req.blob, req.unread, dummy, 0, NULL);
	req.frame = frame_current();
	req.vtime = vclock_now();
}

static void
get_reply(struct client *c)
{
	char err[512];

	sb_reset(&json);
	if (c->binary) {
		if (render_paths(c->post_args ? c->post_args : "", req.blob,
		    req.unread, NULL, err, sizeof err) != 0)
			ctl_err(c, ERR_FIELD, "%s", err);
		else
			bin_reply(c, ERR_NONE, json.p);
		return;
	}

	if (append("ok ") != 0 ||
	    render_paths(c->post_args ? c->post_args : "", req.blob,
	    req.unread, NULL, err, sizeof err) != 0 || append("\n") != 0) {
		ctl_err(c, ERR_FIELD, "%s", json.failed ? "out of memory" : err);
		return;
	}
	if (json.len > (32u << 20)) {
		ctl_err(c, ERR_RANGE, "the reply would be %zu bytes: get fewer "
		    "fields, or record a trace", json.len);
		return;
	}
	ctl_send(c, json.p, json.len);
}

void
state_cmd_get(struct client *c, int argc, char **argv)
{
	if (need_layout(c) != 0 || check_paths(c, argc, argv) != 0)
		return;
	if (get_blob() != 0) {
		ctl_err(c, ERR_MEMORY, "out of memory");
		return;
	}
	free(c->post_args);
	c->post_args = join(argc, argv);
	cmd_post_request(c, get_run, get_reply);
}

/* --- set ------------------------------------------------------------------- */

/* Split "FIELD VALUE" into req.field and req.value. */
static int
split_set(const char *rest)
{
	size_t k = strcspn(rest, " ");
	if (rest[k] == '\0' || k >= sizeof req.field)
		return -1;
	snprintf(req.field, sizeof req.field, "%.*s", (int)k, rest);
	rest += k;
	while (*rest == ' ')
		rest++;
	snprintf(req.value, sizeof req.value, "%s", rest);
	return req.value[0] ? 0 : -1;
}

static void
set_run(void *arg)
{
	const struct layout *l = state_layout();
	struct trace_run dummy[1];
	struct lt_place p;
	uint8_t val[4096];

	req.rc = -1;
	if (split_set(arg) != 0) {
		snprintf(req.err, sizeof req.err, "usage: set FIELD VALUE");
		return;
	}
	state_sync(req.blob, req.unread, dummy, 0, NULL);
	req.frame = frame_current();
	if (layout_place(l, req.field, req.blob, &p, req.err, sizeof req.err) != 0)
		return;
	if (p.type->size > sizeof val) {
		snprintf(req.err, sizeof req.err, "%s: over %zu bytes", req.field,
		    sizeof val);
		return;
	}
	if (layout_encode(p.type, req.value, val, req.err, sizeof req.err) != 0)
		return;
	if (req.unread[p.field]) {
		snprintf(req.err, sizeof req.err, "%s: unreadable now",
		    l->fields[p.field].name);
		return;
	}
	req.rc = state_write(&p, val, p.type->size, req.err, sizeof req.err);
}

static void
set_reply(struct client *c)
{
	if (req.rc != 0) {
		ctl_err(c, ERR_SET, "%s", req.err);
		return;
	}
	struct trace_input in = { .kind = TI_SET };
	snprintf(in.name, sizeof in.name, "%s", req.field);
	snprintf(in.value, sizeof in.value, "%s", req.value);
	capture_note_input(req.frame + 1, &in);
	ctl_ok(c, "%lld", (long long)req.frame);
}

void
state_cmd_set(struct client *c, const char *rest)
{
	char err[512];
	struct lt_place p;
	uint8_t val[4096];

	if (need_layout(c) != 0)
		return;
	if (get_blob() != 0) {
		ctl_err(c, ERR_MEMORY, "out of memory");
		return;
	}
	if (split_set(rest) != 0) {
		ctl_err(c, ERR_USAGE, "usage: set FIELD VALUE");
		return;
	}
	/* Check what can be checked now; the frame thread checks again. */
	if (layout_place(state_layout(), req.field, NULL, &p, err,
	    sizeof err) != 0 || (p.type->size <= sizeof val &&
	    layout_encode(p.type, req.value, val, err, sizeof err) != 0)) {
		ctl_err(c, ERR_FIELD, "%s", err);
		return;
	}
	free(c->post_args);
	c->post_args = strdup(rest);
	cmd_post_request(c, set_run, set_reply);
}

/* --- watch ----------------------------------------------------------------- */

void
state_cmd_watch(struct client *c, int argc, char **argv)
{
	if (need_layout(c) != 0 || check_paths(c, argc, argv) != 0)
		return;
	char *w = join(argc, argv);
	if (w == NULL) {
		ctl_err(c, ERR_MEMORY, "out of memory");
		return;
	}
	if (c->watch == NULL)
		capture_watchers(1);
	free(c->watch);
	c->watch = w;
	ctl_ok(c, "watching from frame %lld", (long long)frame_current() + 1);
}

static void
watch_one(int64_t f, int64_t vtime, const uint8_t *blob,
    const uint8_t *unread)
{
	for (struct client *c = ctl.clients; c != NULL; c = c->next) {
		if (c->watch == NULL || c->closing)
			continue;
		char prefix[80], err[512];
		snprintf(prefix, sizeof prefix, "{\"frame\":%lld,\"vtime_ns\":%lld,",
		    (long long)f, (long long)vtime);
		sb_reset(&json);
		if (c->watch[0] == '\0') {
			/* The whole state, its members beside the frame's. */
			if (append(prefix) != 0)
				continue;
			size_t at = json.len;
			if (render(blob, unread, NULL, err, sizeof err) != 0)
				continue;
			/* Its opening brace is the prefix's. */
			memmove(json.p + at, json.p + at + 1, json.len - at);
			json.len--;
		} else if (render_paths(c->watch, blob, unread, prefix, err,
		    sizeof err) != 0) {
			continue;
		}
		if (append("\n") != 0)
			continue;
		ctl_send(c, json.p, json.len);
		ctl_set_events(c);
	}
}

void
state_watch_drain(void)
{
	capture_watch_drain(watch_one);
}

/* --- trace ----------------------------------------------------------------- */

/* On the frame thread: it is not inside record_frame now, so the
 * recording can end (stop) or be replaced (start). */
static void
trace_fence(void *arg)
{
	if (strcmp(arg, "stop") == 0)
		record_end();
}

static void
trace_start_reply(struct client *c)
{
	char err[700];
	char path[TP_LINE_MAX];
	snprintf(path, sizeof path, "%s", c->post_args + strlen("start "));
	int screen = shim_cfg.trace_screen, pix = shim_cfg.trace_pixels;
	int pw = shim_cfg.trace_pixels_w, ph = shim_cfg.trace_pixels_h;
	int pg = shim_cfg.trace_pixels_gray;
	/* The options after PATH (checked by state_cmd_trace). */
	char *opt;
	while ((opt = strrchr(path, ' ')) != NULL && opt[1] == '-') {
		if (strcmp(opt + 1, "--screen") == 0) {
			screen = 1;
		} else {
			const char *spec = opt + 1 + strlen("--pixels");
			pix = 1;
			record_pixels_parse(*spec == '=' ? spec + 1 : "", &pw, &ph,
			    &pg);
		}
		*opt = '\0';
	}

	if (!record_active())
		record_close(5000);   /* a trace that ended by itself */
	record_screen(screen);
	record_pixels(pix, pw, ph, pg);
	if (record_open(path, shim_cfg.keyframe, err, sizeof err) != 0) {
		ctl_err(c, ERR_TRACE, "%s", err);
		return;
	}
	ctl_ok(c, "recording to %s from frame %lld", path,
	    (long long)frame_current() + 1);
}

static void
trace_stop_reply(struct client *c)
{
	char desc[1024];
	int stuck = record_close(5000) != 0;
	record_describe(desc, sizeof desc);
	if (stuck)
		ctl_err(c, ERR_TRACE, "the trace's reader stopped reading; "
		    "abandoned: %s", desc);
	else
		ctl_ok(c, "%s", desc);
}

void
state_cmd_trace(struct client *c, int argc, char **argv)
{
	if (need_layout(c) != 0)
		return;
	int opts_ok = argc >= 3 && argc <= 5;
	for (int i = 3; i < argc && opts_ok; i++) {
		int w, h, g;
		const char *a = argv[i];
		if (strcmp(a, "--screen") == 0)
			continue;
		if (strncmp(a, "--pixels", 8) != 0 || (a[8] != '\0' &&
		    (a[8] != '=' || record_pixels_parse(a + 9, &w, &h, &g) != 0)))
			opts_ok = 0;
	}
	if (strcmp(argv[1], "start") == 0 && opts_ok) {
		if (record_active()) {
			ctl_err(c, ERR_TRACE, "already recording (trace stop first)");
			return;
		}
		free(c->post_args);
		c->post_args = join(argc, argv);
		cmd_post_request(c, trace_fence, trace_start_reply);
	} else if (strcmp(argv[1], "stop") == 0 && argc == 2) {
		if (record_idle()) {
			ctl_err(c, ERR_STATE, "not recording");
			return;
		}
		free(c->post_args);
		c->post_args = join(argc, argv);
		cmd_post_request(c, trace_fence, trace_stop_reply);
	} else {
		ctl_err(c, ERR_USAGE, "usage: trace start PATH [--screen] "
		    "[--pixels[=WxH[,gray]]] | trace stop");
	}
}

/* A binary step's observation, read by the frame thread as the step ends
 * (frame_read_at): its reply needs no request posted to the frame thread
 * and no second wake-up of it. `done` is the frame it was read at. */
static struct {
	uint8_t *blob;
	uint8_t *unread;
	int64_t frame, vtime;
	_Atomic int64_t done;
} early = { .done = -1 };

/* The frame thread, stopping at frame F: read the state. */
static void
early_run(int64_t f)
{
	struct trace_run dummy[1];
	state_sync(early.blob, early.unread, dummy, 0, NULL);
	early.frame = f;
	early.vtime = vclock_now();
	atomic_store_explicit(&early.done, f, memory_order_release);
}

void
state_observe_arm(int64_t target)
{
	const struct layout *l = state_layout();

	if (l == NULL)
		return;
	if (early.blob == NULL) {
		early.blob = gh_calloc(1, l->blob_size ? l->blob_size : 1);
		early.unread = gh_calloc(1, (size_t)l->nfields);
		if (early.blob == NULL || early.unread == NULL) {
			gh_free(early.blob);
			gh_free(early.unread);
			early.blob = early.unread = NULL;
			return;         /* the reply is posted as before */
		}
	}
	atomic_store(&early.done, -1);
	frame_read_at(target, early_run);
}

/* Answer C's step with the observation in BLOB and UNREAD. */
static void
observe_send(struct client *c, const uint8_t *blob, const uint8_t *unread,
    int64_t frame, int64_t vtime)
{
	const struct layout *l = state_layout();
	char err[512];
	const char *paths = c->obs_all ? "" : c->post_args ? c->post_args : "";

	c->observing = 0;
	sb_reset(&json);
	if (paths[0] == '\0' && !c->obs_all) {
		/* Only the raw state was asked for. */
		if (append("") != 0) {
			ctl_err(c, ERR_MEMORY, "out of memory");
			return;
		}
	} else if (render_paths(paths, blob, unread, NULL, err,
	    sizeof err) != 0) {
		ctl_err(c, ERR_FIELD, "%s", err);
		return;
	}
	bin_reply_observation(c, json.p, blob, l->blob_size, unread,
	    l->nfields, frame, vtime);
}

static void
observe_reply(struct client *c)
{
	observe_send(c, req.blob, req.unread, req.frame, req.vtime);
}

void
state_observe(struct client *c)
{
	/* Read by the frame thread as it stopped here: the frame it stands
	 * at is the one read, and with no step scheduled past it, it stays
	 * there (and the reading untouched) until this thread lets it go. */
	int64_t cur = frame_current();
	if (frame_stopped() && frame_paused() && cur >= c->target &&
	    ctl.sched_until <= cur && atomic_load_explicit(&early.done,
	    memory_order_acquire) == cur) {
		atomic_store(&early.done, -1);
		observe_send(c, early.blob, early.unread, early.frame,
		    early.vtime);
		return;
	}
	if (get_blob() != 0) {
		ctl_err(c, ERR_MEMORY, "out of memory");
		return;
	}
	cmd_post_request(c, get_run, observe_reply);
}

void
cmd_client_gone(struct client *c)
{
	if (ctl.snap_owner == c)
		ctl.snap_owner = NULL;
	if (c->watch != NULL)
		capture_watchers(-1);
	free(c->watch);
	free(c->post_args);
	c->watch = NULL;
	c->post_args = NULL;
}
