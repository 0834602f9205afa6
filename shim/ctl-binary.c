/* The binary control protocol (schema/control.proto): framed protobuf
 * requests carrying a text command or a step with an observation, each
 * answered by one Response with its id, in order. The commands themselves
 * are the text protocol's: a binary client's replies are turned into
 * Responses where they are made (ctl_ok, ctl_err). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/alloc.h"
#include "../common/layout.h"
#include "control.pb-c.h"
#include "ctl-client.h"
#include "frame.h"
#include "shim.h"
#include "state.h"

#define BIN_MAGIC "\0GHB"
#define BIN_VERSION 1

typedef Gamehook__Control__Response PbResponse;

/* The little-endian uint32 at P. */
static uint32_t
le32(const char *p)
{
	const unsigned char *b = (const unsigned char *)p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
}

void
bin_send_response(struct client *c, PbResponse *r)
{
	size_t len = gamehook__control__response__get_packed_size(r);
	uint8_t small[1024];
	uint8_t *buf = len + 4 <= sizeof small ? small : gh_malloc(len + 4);
	if (buf == NULL) {
		c->closing = 2;
		return;
	}
	uint32_t n = (uint32_t)len;
	for (int i = 0; i < 4; i++)
		buf[i] = (uint8_t)(n >> (8 * i));
	gamehook__control__response__pack(r, buf + 4);
	ctl_send(c, (const char *)buf, len + 4);
	if (buf != small)
		gh_free(buf);
	ctl_set_events(c);
}

void
bin_reply(struct client *c, enum err_code code, const char *text)
{
	PbResponse r = GAMEHOOK__CONTROL__RESPONSE__INIT;
	r.has_id = 1;
	r.id = c->req_id;
	r.has_ok = 1;
	r.ok = code == ERR_NONE;
	r.code = r.ok ? NULL : (char *)err_name(code);
	r.text = (char *)text;
	bin_send_response(c, &r);
}

void
bin_reply_observation(struct client *c, const char *json,
    const uint8_t *state, size_t size, const uint8_t *unreadable,
    int nfields, int64_t frame, int64_t vtime)
{
	PbResponse r = GAMEHOOK__CONTROL__RESPONSE__INIT;
	Gamehook__Control__Observation o = GAMEHOOK__CONTROL__OBSERVATION__INIT;
	uint32_t un[256];
	char text[32];

	snprintf(text, sizeof text, "%lld", (long long)frame);
	r.has_id = 1;
	r.id = c->req_id;
	r.has_ok = 1;
	r.ok = 1;
	r.text = text;
	o.has_frame = 1;
	o.frame = frame;
	o.has_vtime_ns = 1;
	o.vtime_ns = vtime;
	o.json = (char *)json;
	if (c->obs_raw) {
		o.has_state = 1;
		o.state.data = (uint8_t *)state;
		o.state.len = size;
	}
	for (int i = 0; i < nfields && o.n_unreadable < 256; i++)
		if (unreadable[i])
			un[o.n_unreadable++] = (uint32_t)i;
	o.unreadable = un;
	r.observation = &o;
	bin_send_response(c, &r);
}

static void
hello(struct client *c)
{
	PbResponse r = GAMEHOOK__CONTROL__RESPONSE__INIT;
	Gamehook__Control__Hello h = GAMEHOOK__CONTROL__HELLO__INIT;
	const struct layout *l = state_layout();

	h.has_protocol = 1;
	h.protocol = BIN_VERSION;
	h.version = (char *)GAMEHOOK_VERSION;
	h.has_pid = 1;
	h.pid = (int)shim_getpid();
	h.exe = shim_cfg.exe;
	h.build_id = shim_cfg.build_id;
	h.layout_json = (char *)state_layout_json();
	h.has_frame = 1;
	h.frame = frame_current();
	h.has_state_size = 1;
	h.state_size = l ? (uint32_t)l->blob_size : 0;
	r.has_id = 1;
	r.id = 0;
	r.has_ok = 1;
	r.ok = 1;
	r.hello = &h;
	bin_send_response(c, &r);
}

static void
step(struct client *c, const Gamehook__Control__Step *s)
{
	char line[TP_LINE_MAX + 1];
	char err[512];

	if (s->frames == 0 || s->frames > (1ULL << 40)) {
		bin_reply(c, ERR_USAGE, "step: frames must be 1 or more");
		return;
	}
	if ((s->n_observe || s->all_state || s->raw) && state_layout() == NULL) {
		bin_reply(c, ERR_LAYOUT, state_error());
		return;
	}
	size_t len = 0;
	line[0] = '\0';
	for (size_t i = 0; i < s->n_observe; i++) {
		if (layout_check_path(state_layout(), s->observe[i], err,
		    sizeof err) != 0) {
			bin_reply(c, ERR_FIELD, err);
			return;
		}
		int n = snprintf(line + len, sizeof line - len, "%s%s",
		    i ? " " : "", s->observe[i]);
		if (n < 0 || (size_t)n >= sizeof line - len) {
			bin_reply(c, ERR_TOOLONG, "too many paths to observe");
			return;
		}
		len += (size_t)n;
	}
	free(c->post_args);
	c->post_args = strdup(line);
	c->obs_all = s->all_state;
	c->obs_raw = s->raw;
	c->observing = s->n_observe > 0 || s->all_state || s->raw;
	snprintf(line, sizeof line, "step %llu", (unsigned long long)s->frames);
	cmd_exec(c, line);
}

static void
request(struct client *c, const uint8_t *p, size_t n)
{
	Gamehook__Control__Request *r =
	    gamehook__control__request__unpack(NULL, n, p);
	if (r == NULL) {
		c->req_id = 0;
		bin_reply(c, ERR_BINARY, "the request does not decode as a "
		    "gamehook.control.Request");
		return;
	}
	c->req_id = r->id;
	c->observing = 0;
	if (r->step != NULL) {
		step(c, r->step);
	} else if (r->command != NULL) {
		char line[TP_LINE_MAX + 1];
		char verb[16];
		snprintf(line, sizeof line, "%s", r->command);
		if (tp_verb(line, verb, sizeof verb) == NULL)
			bin_reply(c, ERR_USAGE, "an empty command");
		else
			cmd_exec(c, line);
	} else {
		bin_reply(c, ERR_USAGE, "a request needs a command or a step");
	}
	gamehook__control__request__free_unpacked(r, NULL);
}

void
bin_process(struct client *c)
{
	if (!c->bin_ready) {
		if (c->inlen < 8)
			return;
		uint32_t v = le32(c->in + 4);
		if (memcmp(c->in, BIN_MAGIC, 4) != 0) {
			/* Not our binary protocol: junk, answered as text. */
			c->binary = 0;
			ctl_err(c, ERR_BINARY, "this socket speaks the text protocol "
			    "(one command a line, try 'help') or the binary one "
			    "(opening with \\0GHB and a version)");
			c->closing = 1;
			return;
		}
		if (v != BIN_VERSION) {
			c->req_id = 0;
			bin_reply(c, ERR_BINARY, "this shim speaks binary "
			    "protocol version 1");
			c->closing = 1;
			return;
		}
		c->bin_ready = 1;
		memmove(c->in, c->in + 8, c->inlen - 8);
		c->inlen -= 8;
		hello(c);
	}
	while (c->wait == WAIT_NONE && !c->closing && c->inlen >= 4) {
		uint32_t n = le32(c->in);
		if (n > sizeof c->in - 4) {
			/* Framing is lost with it: say so and close. */
			c->req_id = 0;
			bin_reply(c, ERR_TOOLONG, "a request over 4 KiB");
			c->closing = 1;
			return;
		}
		if (c->inlen < 4 + (size_t)n) {
			if (c->eof)
				c->inlen = 0;
			return;
		}
		request(c, (const uint8_t *)c->in + 4, n);
		memmove(c->in, c->in + 4 + n, c->inlen - 4 - n);
		c->inlen -= 4 + n;
	}
}
