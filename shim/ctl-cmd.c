/* The control commands (the table is common/cmdtab.c): each runs on the
 * control thread, replying at once or when the frame thread is done. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cmdtab.h"
#include "../common/jstr.h"
#include "../common/textproto.h"
#include "capture.h"
#include "ctl-client.h"
#include "ctl-pixels.h"
#include "fastpath.h"
#include "frame.h"
#include "gfxin.h"
#include "input.h"
#include "record.h"
#include "replay.h"
#include "screen.h"
#include "snapshot.h"
#include "term.h"
#include "state.h"
#include "shim.h"
#include "vclock.h"
#include "xalloc.h"
#include "vtimer.h"
#include "wtrack.h"

#define PROTOCOL_VERSION 1

/* The reply of a frame-thread request, filled on that thread. */
static struct {
	char buf[262144];
	long len;
} post;

static const char *
state_name(void)
{
	if (vclock_detached())
		return "detached";
	if (!frame_paused())
		return "running";
	return frame_stopped() ? "paused" : "stepping";
}

static void
speed_str(char *buf, size_t len)
{
	double s = vclock_speed();
	if (s <= 0.0)
		snprintf(buf, len, "\"max\"");
	else
		snprintf(buf, len, "%g", s);
}

/* The fields hello and info share, without the closing brace. */
static size_t
hello_json(char *buf, size_t cap)
{
	size_t len = 0;
	int n = snprintf(buf, cap, "{\"protocol\":%d,\"version\":\"%s\","
	    "\"pid\":%d,\"exe\":", PROTOCOL_VERSION, GAMEHOOK_VERSION,
	    (int)shim_getpid());
	len = (size_t)n;
	jstr_append(buf, cap, &len, shim_cfg.exe, strlen(shim_cfg.exe));
	n = snprintf(buf + len, cap - len, ",\"build_id\":\"%s\",\"mode\":\"%s\","
	    "\"state\":\"%s\",\"frame\":%lld,\"layout\":", shim_cfg.build_id,
	    shim_cfg.lockstep ? "lockstep" : "run", state_name(),
	    (long long)frame_current());
	len += (size_t)n;
	const char *src = state_layout_source();
	jstr_append(buf, cap, &len, src, strlen(src));
	len += (size_t)snprintf(buf + len, cap - len, ",\"layout_error\":");
	jstr_append(buf, cap, &len, state_error(), strlen(state_error()));
	if (shim_cfg.seeded)
		len += (size_t)snprintf(buf + len, cap - len, ",\"seed\":%llu",
		    (unsigned long long)shim_cfg.seed);
	else
		len += (size_t)snprintf(buf + len, cap - len, ",\"seed\":null");
	return len;
}

static void
do_hello(struct client *c)
{
	char buf[4096];
	hello_json(buf, sizeof buf);
	ctl_ok(c, "%s}", buf);
}

static void
do_info(struct client *c)
{
	char buf[8192], sp[32];
	size_t len = hello_json(buf, sizeof buf);

	speed_str(sp, sizeof sp);
	len += (size_t)snprintf(buf + len, sizeof buf - len, ",\"speed\":%s,"
	    "\"vtime_ns\":%lld,\"keyboard\":\"%s\",\"input\":\"%s\","
	    "\"frame_rule\":\"%s\","
	    "\"presenting\":%s,\"frame_tid\":%ld,\"settle_gave_up\":%llu,"
	    "\"clients\":%d,\"socket\":", sp, (long long)vclock_now(),
	    input_ignore_real() ? "ignore" : "real", gfxin_lib_name(),
	    framerule_name(shim_cfg.frame_rule),
	    frame_presented() ? "true" : "false", frame_tid(),
	    (unsigned long long)vclock_settle_gave_up(), ctl.nclients);
	jstr_append(buf, sizeof buf, &len, shim_cfg.socket_path,
	    strlen(shim_cfg.socket_path));
	len += (size_t)snprintf(buf + len, sizeof buf - len, ",\"log\":");
	jstr_append(buf, sizeof buf, &len, shim_cfg.log_path,
	    strlen(shim_cfg.log_path));
	len += (size_t)snprintf(buf + len, sizeof buf - len, ",\"listen\":");
	jstr_append(buf, sizeof buf, &len, shim_cfg.listen_bound,
	    strlen(shim_cfg.listen_bound));
	const struct layout *l = state_layout();
	len += (size_t)snprintf(buf + len, sizeof buf - len, ",\"state_bytes\":%zu,"
	    "\"fields\":%d,\"keyframe\":%u,\"capturing\":%s,\"trace\":",
	    l ? l->blob_size : 0, l ? l->nfields : 0, shim_cfg.keyframe,
	    atomic_load(&capture_want) ? "true" : "false");
	record_describe(buf + len, sizeof buf - len);
	len += strlen(buf + len);
	size_t xlive, xdeferred;
	int xlibs;
	xalloc_stats(&xlive, &xdeferred, &xlibs);
	len += (size_t)snprintf(buf + len, sizeof buf - len, ",\"xarena\":"
	    "{\"live\":%zu,\"deferred\":%zu,\"code_ranges\":%d}", xlive,
	    xdeferred, xlibs);
	len += (size_t)snprintf(buf + len, sizeof buf - len, ",\"terminal\":");
	term_describe(buf + len, sizeof buf - len);
	len += strlen(buf + len);
	len += (size_t)snprintf(buf + len, sizeof buf - len, ",\"track\":");
	wtrack_describe(buf + len, sizeof buf - len);
	len += strlen(buf + len);
	len += (size_t)snprintf(buf + len, sizeof buf - len, ",\"snapshots\":");
	snapshot_list(buf + len, sizeof buf - len);
	len += strlen(buf + len);
	/* Audio and the clock's own advances (gfx-determinism). */
	len += (size_t)snprintf(buf + len, sizeof buf - len, ",\"audio\":\"%s\","
	    "\"self_advanced\":%llu,\"start_gave_up\":%llu,"
	    "\"takeover_forced\":%llu", shim_cfg.audio_dummy ? "dummy" : "real",
	    (unsigned long long)vclock_self_advanced(),
	    (unsigned long long)vclock_start_gave_up(),
	    (unsigned long long)frame_takeover_forced());
	len += (size_t)snprintf(buf + len, sizeof buf - len,
	    ",\"snapshot_images\":");
	snapshot_images(buf + len, sizeof buf - len);
	len += strlen(buf + len);
	ctl_ok(c, "%s}", buf);
}

static void
do_help(struct client *c)
{
	char buf[8192];
	size_t len = 0;

	buf[len++] = '[';
	for (int i = 0; i < CMD_COUNT; i++) {
		const struct cmd_entry *e = &cmd_table[i];
		len += (size_t)snprintf(buf + len, sizeof buf - len,
		    "%s{\"name\":\"%s\",\"args\":", i ? "," : "", e->name);
		jstr_append(buf, sizeof buf, &len, e->args, strlen(e->args));
		len += (size_t)snprintf(buf + len, sizeof buf - len, ",\"help\":");
		jstr_append(buf, sizeof buf, &len, e->help, strlen(e->help));
		buf[len++] = '}';
	}
	buf[len++] = ']';
	buf[len] = '\0';
	ctl_ok(c, "%s", buf);
}

/* The frame the next step counts from: the last one already scheduled, or
 * where the game is now (the first boundary is frame 0). */
static int64_t
step_base(void)
{
	int64_t cur = frame_current();
	if (cur < 0)
		cur = 0;
	return ctl.sched_until > cur ? ctl.sched_until : cur;
}

static void
do_step(struct client *c, int argc, char **argv)
{
	unsigned long long n = 1;

	if (argc > 1 && (tp_parse_u64(argv[1], &n) != 0 || n == 0)) {
		ctl_err(c, ERR_USAGE, "step: N must be a positive integer, not '%s'",
		    argv[1]);
		return;
	}
	if (n > (unsigned long long)(INT64_MAX / 2)) {
		ctl_err(c, ERR_RANGE, "step: %llu frames is more than a game will run", n);
		return;
	}
	int64_t target = step_base() + (int64_t)n;
	ctl.sched_until = target;
	c->wait = WAIT_STEP;
	c->target = target;
	/* One stepping client at a time gets its reply straight from the
	 * frame thread, without waking this one. */
	if (fast_state() == FAST_IDLE && !c->binary) {
		c->fast = 1;
		fast_arm(c->fd, target);
	}
	if (c->binary && c->observing)
		state_observe_arm(target);   /* read as the step ends */
	if (frame_paused())
		frame_run_until(target);
	ctl_update_notify();
	cmd_progress();
}

/* Finish C's step if the frame thread got to its reply: returns 1 when
 * the step is over (the reply sent, or its rest queued here). */
static int
finish_fast_step(struct client *c)
{
	int st = fast_state();
	size_t sent = 0;

	if (st != FAST_SENT && st != FAST_FAILED && st != FAST_RETURNED)
		return 0;
	st = fast_disarm(&sent);
	c->fast = 0;
	c->lent = 0;
	c->wait = WAIT_NONE;
	if (st == FAST_FAILED) {
		char buf[32];
		size_t len = fast_reply(c->target, buf, sizeof buf);
		ctl_send(c, buf + sent, len - sent);
	}
	return 1;
}

void
cmd_reclaim(void)
{
	for (struct client *c = ctl.clients; c != NULL; c = c->next) {
		if (!c->lent)
			continue;
		c->lent = 0;
		int st = fast_reclaim();
		if (st == FAST_LENT) {
			/* Its last step is done and answered. */
			c->fast = 0;
			c->wait = WAIT_NONE;
		} else if (st == FAST_ARMED) {
			/* A step the frame thread took itself is under way. */
			c->target = fast_target();
			if (c->target > ctl.sched_until)
				ctl.sched_until = c->target;
		}
		ctl_set_events(c);   /* we read it again */
	}
}

void
cmd_maybe_lend(struct client *c)
{
	if (!c->fast || c->lent || c->wait != WAIT_STEP || c->inlen > 0 ||
	    c->eof || c->closing || c->outlen > 0 || ctl.nclients != 1 ||
	    ctl.post_busy || !frame_paused())
		return;
	/* Stop reading it ourselves before the frame thread may. */
	c->lent = 1;
	ctl_set_events(c);
	if (!fast_lend()) {
		c->lent = 0;
		ctl_set_events(c);
		cmd_progress();
	}
}

void
cmd_reschedule(void)
{
	int64_t last = -1;

	for (struct client *o = ctl.clients; o != NULL; o = o->next)
		if (o->wait == WAIT_STEP && o->target > last)
			last = o->target;
	ctl.sched_until = last;
	if (frame_paused())
		frame_run_until(last < 0 ? 0 : last);
}

void
cmd_stop_now(const char *why)
{
	cmd_reclaim();
	for (struct client *o = ctl.clients; o != NULL; o = o->next) {
		if (o->wait == WAIT_STEP && !(o->fast && finish_fast_step(o))) {
			if (o->fast) {
				fast_disarm(NULL);
				o->fast = 0;
			}
			o->wait = WAIT_NONE;
			ctl_err(o, ERR_STATE, "step interrupted by %s before frame "
			    "%lld", why, (long long)o->target);
		}
	}
	frame_set_paused(1);
	cmd_reschedule();
}

static void
do_pause(struct client *c)
{
	/* Pause means now: steps still running are cut short. */
	cmd_stop_now("pause");
	c->wait = WAIT_PAUSE;
	cmd_progress();
}

static void
do_resume(struct client *c)
{
	frame_set_paused(0);
	for (struct client *o = ctl.clients; o != NULL; o = o->next) {
		if (o->wait == WAIT_PAUSE) {
			o->wait = WAIT_NONE;
			ctl_err(o, ERR_STATE, "resumed before the game stopped");
		}
	}
	ctl_ok(c, "%lld", (long long)frame_current());
}

static void
do_speed(struct client *c, char **argv)
{
	double s;
	char *end;

	if (strcmp(argv[1], "max") == 0) {
		s = 0.0;
	} else {
		errno = 0;
		s = strtod(argv[1], &end);
		if (errno || *end || !isfinite(s) || s <= 0.0 || s > 1e6) {
			ctl_err(c, ERR_USAGE, "speed: expected a factor in "
			    "(0, 1e6] or 'max', not '%s'", argv[1]);
			return;
		}
	}
	vclock_set_speed(s);
	char sp[32];
	speed_str(sp, sizeof sp);
	cmd_note_input(TI_SPEED, frame_current() + 1, NULL, "speed", argv[1]);
	ctl_ok(c, "%s", sp[0] == '"' ? "max" : sp);
}

/* Runs on the frame thread. The reply is written after room for "ok ",
 * and sent whole (it is larger than ctl_ok's buffer). */
static void
screen_run(void *arg)
{
	post.len = screen_capture(post.buf + 3, sizeof post.buf - 4,
	    strcmp((const char *)arg, "--attrs") == 0);
}

static void
screen_reply(struct client *c)
{
	char *text = post.buf + 3;
	if (post.len < 0) {
		ctl_err(c, ERR_UNSUPPORTED, "screen: %s", text);
	} else if (c->binary) {
		bin_reply(c, ERR_NONE, text);
	} else {
		memcpy(post.buf, "ok ", 3);
		post.buf[3 + post.len] = '\n';
		ctl_send(c, post.buf, 3 + (size_t)post.len + 1);
	}
}

/* A copy of the arguments of the request in flight: the frame thread's
 * until it completes, whatever becomes of the client. */
static char post_arg_buf[TP_LINE_MAX + 2];

/* Queue a frame-thread request for C; it runs when the slot is free. */
void
cmd_post_request(struct client *c, void (*fn)(void *),
    void (*reply)(struct client *))
{
	c->wait = WAIT_POST_QUEUED;
	c->post_fn = fn;
	c->post_reply = reply;
	cmd_post_next();
}

void
cmd_post_next(void)
{
	if (ctl.post_busy)
		return;
	/* The longest-waiting client is last in the list. */
	struct client *pick = NULL;
	for (struct client *c = ctl.clients; c != NULL; c = c->next)
		if (c->wait == WAIT_POST_QUEUED)
			pick = c;
	if (pick == NULL)
		return;
	pick->wait = WAIT_POST;
	ctl.post_owner = pick;
	ctl.post_busy = 1;
	snprintf(post_arg_buf, sizeof post_arg_buf, "%s",
	    pick->post_args ? pick->post_args : "");
	frame_post(pick->post_fn, post_arg_buf);
}

void
cmd_progress(void)
{
	state_watch_drain();
	snap_progress();
	int64_t cur = frame_current();
	int stopped = frame_stopped();

	for (struct client *c = ctl.clients; c != NULL; c = c->next) {
		if (c->wait == WAIT_STEP && c->fast) {
			finish_fast_step(c);
		} else if (c->wait == WAIT_STEP && cur >= c->target) {
			c->wait = WAIT_NONE;
			if (c->observing)
				state_observe(c);   /* replies with the state */
			else
				ctl_ok(c, "%lld", (long long)c->target);
		} else if (c->wait == WAIT_PAUSE && stopped) {
			c->wait = WAIT_NONE;
			ctl_ok(c, "%lld", (long long)cur);
		}
	}
	if (ctl.post_busy && frame_post_done()) {
		struct client *o = ctl.post_owner;
		ctl.post_busy = 0;
		ctl.post_owner = NULL;
		if (o != NULL) {
			o->wait = WAIT_NONE;
			o->post_reply(o);
		}
		cmd_post_next();
	}
	ctl_update_notify();
}

/* Compare without leaking, through timing, how much of it matched. */
static int
token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = (unsigned char)(la != lb);

	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return diff == 0;
}

static void
do_auth(struct client *c, const char *token)
{
	if (!c->need_auth) {
		ctl_ok(c, "%s", "not needed");
		return;
	}
	if (!token_equal(token, shim_cfg.token)) {
		ctl_err(c, ERR_AUTH, "wrong token");
		c->closing = 1;
		return;
	}
	c->need_auth = 0;
	ctl_ok(c, "%s", "welcome");
}

void
cmd_exec(struct client *c, char *line)
{
	char *argv[TP_WORDS_MAX];
	char verb[64];
	int argc = 0, nargs;
	const char *rest = tp_verb(line, verb, sizeof verb);

	if (rest == NULL)
		return;                      /* a blank line: no reply */
	const struct cmd_entry *e = cmd_find(verb);
	if (c->need_auth && (e == NULL || !(e->flags & CMD_NO_AUTH))) {
		ctl_err(c, ERR_AUTH, "authenticate first: auth TOKEN");
		c->closing = 1;
		return;
	}
	if (tp_has_control(line)) {
		ctl_err(c, ERR_BINARY, "control bytes in a command line");
		return;
	}
	if (e == NULL) {
		ctl_err(c, ERR_UNKNOWN, "unknown command '%s' (try 'help')", verb);
		return;
	}
	if (e->flags & CMD_REST_OF_LINE) {
		/* The argument is the rest of the line, spaces and all. */
		argv[0] = verb;
		nargs = *rest ? 1 : 0;
	} else {
		switch (tp_split(line, argv, &argc)) {
		case TP_EMPTY:
			return;
		case TP_CONTROL_BYTES:
			ctl_err(c, ERR_BINARY, "control bytes in a command line");
			return;
		case TP_TOO_MANY_WORDS:
			ctl_err(c, ERR_USAGE, "more than %d words", TP_WORDS_MAX);
			return;
		case TP_OK:
			break;
		}
		nargs = argc - 1;
	}
	if (nargs < e->min_args || (e->max_args >= 0 && nargs > e->max_args)) {
		ctl_err(c, ERR_USAGE, "usage: %s %s", e->name, e->args);
		return;
	}
	if ((e->flags & CMD_TEXT_ONLY) && c->binary) {
		/* Binary clients observe with each step (Request.step.observe). */
		ctl_err(c, ERR_USAGE, "'%s' is for text clients: binary clients "
		    "observe with each step (Request.step.observe)", e->name);
		return;
	}
	if (vclock_detached() && !(e->flags & CMD_WHEN_DETACHED)) {
		ctl_err(c, ERR_STATE, "detached");
		return;
	}
	if ((e->flags & CMD_INPUT) && replay_active()) {
		ctl_err(c, ERR_STATE, "replaying: input comes from the trace");
		return;
	}
	switch (e->id) {
	case CMD_HELLO: do_hello(c); break;
	case CMD_INFO: do_info(c); break;
	case CMD_HELP: do_help(c); break;
	case CMD_PAUSE: do_pause(c); break;
	case CMD_RESUME: do_resume(c); break;
	case CMD_STEP: do_step(c, argc, argv); break;
	case CMD_SPEED: do_speed(c, argv); break;
	case CMD_KEY: cmd_key(c, argc, argv); break;
	case CMD_KEYDOWN: cmd_keydown(c, argv, 1); break;
	case CMD_KEYUP: cmd_keydown(c, argv, 0); break;
	case CMD_TYPE: cmd_type(c, rest); break;
	case CMD_SET: state_cmd_set(c, rest); break;
	case CMD_KEYBOARD: cmd_keyboard(c, argv); break;
	case CMD_SCREEN:
		if (nargs == 1 && strcmp(argv[1], "--attrs") != 0) {
			ctl_err(c, ERR_USAGE, "usage: screen [--attrs]");
			break;
		}
		free(c->post_args);
		c->post_args = strdup(nargs == 1 ? argv[1] : "");
		cmd_post_request(c, screen_run, screen_reply);
		break;
	case CMD_QUIT:
		ctl_ok(c, "bye");
		c->closing = 1;
		break;
	case CMD_DETACH:
		ctl_ok(c, "detached");
		ctl.detaching = 1;
		frame_detach();
		vclock_detach();
		vtimer_detach();
		input_set_ignore_real(0);
		break;
	case CMD_AUTH: do_auth(c, argv[1]); break;
	case CMD_GET: state_cmd_get(c, argc, argv); break;
	case CMD_WATCH: state_cmd_watch(c, argc, argv); break;
	case CMD_SAVE: snap_cmd(c, SNAP_SAVE, argv[1]); break;
	case CMD_LOAD: snap_cmd(c, SNAP_LOAD, argv[1]); break;
	case CMD_RESET: snap_cmd(c, SNAP_LOAD, SNAPSHOT_START); break;
	case CMD_DROP: snap_cmd(c, SNAP_DROP, argv[1]); break;
	case CMD_TRACE: state_cmd_trace(c, argc, argv); break;
	case CMD_SCREENSHOT: cmd_screenshot(c, argc, argv); break;
	case CMD_SCAN: scan_cmd(c, argc, argv); break;
	case CMD_MOUSE: gfx_cmd_mouse(c, argc, argv); break;
	case CMD_CLICK: gfx_cmd_click(c, argc, argv); break;
	case CMD_WHEEL: gfx_cmd_wheel(c, argv); break;
	case CMD_COUNT:
		break;
	}
}
