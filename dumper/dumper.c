/* dumper: reads gamehook traces (schema/trace.proto in rec.h envelopes),
 * from files or live pipes. This file has the reader loop shared by the
 * commands, and the `info` command; the command line is main.c, `cat` is
 * in cat.c, `npy` in npy.c, `verify` and `record` in verify.c, `replay` in
 * replay.c. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "dumper.h"
#include "trace.pb-c.h"

typedef Gamehook__Trace__Header PbHeader;

/* --- text ------------------------------------------------------------------ */

void
need_text(const struct sbuf *b)
{
	if (b->failed) {
		dwarn("out of memory");
		exit(EX_USAGE);
	}
}

/* --- messages and options ------------------------------------------------ */

void
dwarn(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("dumper: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* --- the reader loop ----------------------------------------------------- */

void
in_problem(struct input *in, uint64_t off, const char *why)
{
	if (in->verify_style) {
		printf("offset %" PRIu64 ": %s\n", off, why);
		fflush(stdout);
	} else {
		dwarn("%s: offset %" PRIu64 ": %s", in->name, off, why);
	}
}

int
in_open_fd(struct input *in, const char *path)
{
	struct stat st;

	in->name = path;
	if (strcmp(path, "-") == 0) {
		in->fd = STDIN_FILENO;
	} else if ((in->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		dwarn("%s: %s", path, strerror(errno));
		return EX_USAGE;
	}
	if (fstat(in->fd, &st) != 0) {
		dwarn("%s: %s", path, strerror(errno));
		return EX_USAGE;
	}
	in->regular = S_ISREG(st.st_mode);
	if (S_ISDIR(st.st_mode)) {
		dwarn("%s: %s", path, strerror(EISDIR));
		return EX_USAGE;
	}
	return 0;
}

static int
open_trace(struct input *in)
{
	char err[512];

	in->t = trace_open(in->fd, err, sizeof err);
	if (in->t == NULL) {
		if (in->verify_style) {
			printf("offset %" PRIu64 ": %s\n", in->base, err);
			printf("0 records, 0 frames, 0 keyframes, 1 damaged, "
			    "0 frames lost\n");
		} else {
			dwarn("%s: %s", in->name, err);
		}
		return EX_DAMAGED;
	}
	if (in->t->damaged) {
		in_problem(in, in->base, "damaged bytes before the trace header");
		in->damage_seen = 1;
	}
	in->header = in->t->header;
	in->headers = 1;
	return 0;
}

void
in_init(struct input *in, int verify_style)
{
	memset(in, 0, sizeof *in);
	in->fd = -1;
	in->prev_frame = -1;
	in->verify_style = verify_style;
}

int
in_open(struct input *in, const char *path, int verify_style)
{
	in_init(in, verify_style);
	int r = in_open_fd(in, path);
	return r ? r : open_trace(in);
}

int
in_open_at(struct input *in, const char *path, uint64_t hdr, uint64_t at)
{
	in_init(in, 0);
	int r = in_open_fd(in, path);
	if (r)
		return r;
	if (lseek(in->fd, (off_t)hdr, SEEK_SET) < 0) {
		dwarn("%s: %s", path, strerror(errno));
		return EX_USAGE;
	}
	in->base = hdr;
	if ((r = open_trace(in)) != 0)
		return r;
	if (trace_seek(in->t, in->fd, at) != 0) {
		dwarn("%s: %s", path, strerror(errno));
		return EX_USAGE;
	}
	in->base = at;
	return 0;
}

void
in_close(struct input *in)
{
	trace_close(in->t);
	in->t = NULL;
	if (in->fd > STDIN_FILENO)
		close(in->fd);
	in->fd = -1;
}

uint64_t
in_lost(const struct input *in)
{
	return (in->t ? in->t->lost : 0) + in->gap_lost;
}

enum trace_ev
in_next(struct input *in)
{
	struct trace_reader *t = in->t;
	enum trace_ev ev = trace_next(t);
	uint64_t off = in->base + t->offset;

	switch (ev) {
	case TEV_END:
		in->end_offset = off;
		break;
	case TEV_ERROR:
		in->damage_seen = 1;
		in_problem(in, off, t->why);
		break;
	case TEV_DAMAGE:
		in->damage_seen = 1;
		in->after_damage = 1;
		in_problem(in, off, t->why);
		break;
	case TEV_FRAME:
		if (t->header != in->header) {
			/* Recording started again, under a new header. */
			in->header = t->header;
			in->headers++;
			in->prev_frame = -1;
		}
		if (in->after_damage && in->prev_frame >= 0 &&
		    t->frame > in->prev_frame + 1)
			in->gap_lost += (uint64_t)(t->frame - in->prev_frame - 1);
		in->after_damage = 0;
		in->prev_frame = t->frame;
		if (!in->any_frame || t->frame < in->first_frame)
			in->first_frame = t->frame;
		if (!in->any_frame || t->frame > in->last_frame)
			in->last_frame = t->frame;
		in->any_frame = 1;
		if (!t->state_ok) {
			in->damage_seen = 1;
			if (!in->in_loss)
				in_problem(in, off, t->why);
			in->in_loss = 1;
		} else {
			in->in_loss = 0;
		}
		break;
	}
	return ev;
}

void
sb_inputs(struct sbuf *b, const struct trace_reader *t)
{
	static const char *const kinds[] = { "?", "key", "keydown", "keyup",
		"set", "speed", "key_press", "key_release", "mouse_move",
		"mouse_down", "mouse_up", "wheel", "text" };
	int n = trace_ninputs(t);

	sb_put(b, "[", 1);
	for (int i = 0; i < n; i++) {
		struct trace_input buf;
		const struct trace_input *in = trace_input(t, i, &buf);
		if (i)
			sb_put(b, ",", 1);
		sb_puts(b, "{\"kind\":");
		if (in->kind >= TI_KEY && in->kind <= TI_TEXT)
			sb_json_str(b, kinds[in->kind]);
		else
			sb_printf(b, "%d", in->kind);
		if (in->kind != TI_SPEED) {
			sb_puts(b, ",\"name\":");
			sb_json_str(b, in->name);
		}
		if (in->kind >= TI_KEY && in->kind <= TI_KEYUP)
			sb_printf(b, ",\"code\":%d", in->code);
		else if (in->kind == TI_KEY_PRESS || in->kind == TI_KEY_RELEASE)
			sb_printf(b, ",\"code\":%d,\"scancode\":%d,\"mod\":%d",
			    in->code, in->scancode, in->mod);
		else if (in->kind >= TI_MOUSE_MOVE && in->kind <= TI_WHEEL) {
			sb_printf(b, ",\"x\":%d,\"y\":%d", in->x, in->y);
			if (in->kind == TI_MOUSE_DOWN || in->kind == TI_MOUSE_UP)
				sb_printf(b, ",\"button\":%d", in->button);
			if (in->kind == TI_WHEEL)
				sb_printf(b, ",\"wheel\":%d", in->wheel);
		} else {
			sb_puts(b, ",\"value\":");
			sb_json_str(b, in->value);
		}
		sb_put(b, "}", 1);
	}
	sb_put(b, "]", 1);
}

/* --- seeking ------------------------------------------------------------- */

static int
pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = pread(fd, (uint8_t *)buf + got, n - got,
		    (off_t)(off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

/* The record at OFF: 1 when its envelope and crc check out (its envelope
 * parsed into E), 0 when not, -1 at end of file. */
static int
good_record(int fd, uint64_t off, uint8_t **buf, size_t *cap,
    struct rec_envelope *e)
{
	uint8_t env[REC_ENVELOPE];

	if (pread_all(fd, env, REC_ENVELOPE, off) != 0)
		return -1;
	if (rec_envelope_parse(env, e) != 0)
		return 0;
	if (*cap < e->payload_len) {
		uint8_t *p = realloc(*buf, e->payload_len);
		if (p == NULL)
			return -1;
		*buf = p;
		*cap = e->payload_len;
	}
	if (pread_all(fd, *buf, e->payload_len, off + REC_ENVELOPE) != 0)
		return 0;
	return rec_envelope_crc(env, *buf, e->payload_len) == e->crc;
}

/* The offset of the next good record after damage at OFF, or -1. */
static int64_t
next_good(int fd, uint64_t off, uint8_t **buf, size_t *cap)
{
	uint8_t chunk[65536];
	struct rec_envelope e;

	for (off++;;) {
		ssize_t n = pread(fd, chunk, sizeof chunk, (off_t)off);
		if (n < 4)
			return -1;
		for (ssize_t i = 0; i + 4 <= n; i++) {
			if (memcmp(chunk + i, REC_MAGIC, 4) != 0)
				continue;
			int g = good_record(fd, off + (uint64_t)i, buf, cap, &e);
			if (g < 0)
				return -1;
			if (g)
				return (int64_t)(off + (uint64_t)i);
		}
		off += (uint64_t)n - 3;
	}
}

int
seek_plan(int fd, int64_t from, uint64_t *hdr_out, uint64_t *key_out)
{
	struct rec_envelope e;
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint64_t off = 0, hdr = 0;
	int have_hdr = 0, have_key = 0, g;

	/* Envelopes, each checked by its crc but not decompressed, up to a
	 * frame past FROM; past damage to the next good record, as the reader
	 * would. The reader, from the keyframe on, reports what it finds. */
	while ((g = good_record(fd, off, &buf, &cap, &e)) >= 0) {
		if (g == 0) {
			int64_t next = next_good(fd, off, &buf, &cap);
			if (next < 0)
				break;
			off = (uint64_t)next;
			continue;
		}
		if (e.kind == REC_HEADER) {
			hdr = off;
			have_hdr = 1;
			have_key = 0;
		} else if (e.kind == REC_FRAME) {
			if (e.frame > from)
				break;
			if ((e.flags & REC_KEYFRAME) && have_hdr) {
				*key_out = off;
				have_key = 1;
			}
		}
		off += REC_ENVELOPE + (uint64_t)e.payload_len;
	}
	free(buf);
	if (!have_key)
		return -1;
	*hdr_out = hdr;
	return 0;
}

/* --- info ---------------------------------------------------------------- */

static const char *
type_name(const struct lt_type *t)
{
	if (t->kind == LT_STRUCT)
		return t->name ? t->name : "struct";
	return t->dtype;
}

/* The field's count column: "1", "64", "64 (entity_count)". */
static void
field_count(struct sbuf *b, const struct lt_field *f)
{
	if (f->count_path)
		sb_printf(b, "%u (%s)", f->max, f->count_path);
	else
		sb_printf(b, "%u", f->count ? f->count : 1);
}

static void
utc_time(char *buf, size_t len, int64_t ns)
{
	time_t s = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	struct tm tm;

	if (frac < 0) {
		frac += 1000000000;
		s--;
	}
	if (gmtime_r(&s, &tm) == NULL) {
		snprintf(buf, len, "?");
		return;
	}
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09ldZ", frac);
}

static void
json_strv(struct sbuf *b, const char *key, char **v, size_t n)
{
	sb_printf(b, ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_puts(b, ",");
		sb_json_str(b, v[i]);
	}
	sb_puts(b, "]");
}

/* The launch context, as "launch": {...}, or null for an older trace. */
static void
context_json(struct sbuf *b, const PbHeader *h)
{
	if (h->cwd == NULL) {
		sb_puts(b, ",\"launch\":null");
		return;
	}
	sb_puts(b, ",\"launch\":{\"cwd\":");
	sb_json_str(b, h->cwd);
	json_strv(b, "argv", h->argv, h->n_argv);
	if (h->has_term_cols && h->has_term_rows)
		sb_printf(b, ",\"terminal\":{\"cols\":%u,\"rows\":%u}",
		    h->term_cols, h->term_rows);
	else
		sb_puts(b, ",\"terminal\":null");
	sb_puts(b, ",\"term\":");
	if (h->term)
		sb_json_str(b, h->term);
	else
		sb_puts(b, "null");
	json_strv(b, "env", h->env, h->n_env);
	json_strv(b, "shim_env", h->shim_env, h->n_shim_env);
	sb_puts(b, "}");
}

/* ARG as a shell would read it back. */
static void
sb_shell_word(struct sbuf *b, const char *arg)
{
	if (arg[0] != '\0' && arg[strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_./:=@%+,-")] == '\0') {
		sb_puts(b, arg);
		return;
	}
	sb_puts(b, "'");
	for (const char *p = arg; *p; p++) {
		if (*p == '\'')
			sb_puts(b, "'\\''");
		else
			sb_put(b, p, 1);
	}
	sb_puts(b, "'");
}

static void
context_text(struct sbuf *b, const PbHeader *h)
{
	if (h->cwd == NULL) {
		sb_printf(b, "%-20s%s\n", "launch context:", "not recorded (a "
		    "trace from before gamehook kept it)");
		return;
	}
	sb_printf(b, "%-20s", "argv:");
	for (size_t i = 0; i < h->n_argv; i++) {
		if (i)
			sb_puts(b, " ");
		sb_shell_word(b, h->argv[i]);
	}
	sb_printf(b, "\n%-20s%s\n", "cwd:", h->cwd);
	if (h->has_term_cols && h->has_term_rows)
		sb_printf(b, "%-20s%ux%u\n", "terminal:", h->term_cols,
		    h->term_rows);
	else
		sb_printf(b, "%-20s%s\n", "terminal:", "none");
	sb_printf(b, "%-20s%s\n", "TERM:", h->term ? h->term : "(unset)");
	sb_printf(b, "%-20s%zu variables\n", "environment:", h->n_env);
	for (size_t i = 0; i < h->n_env; i++)
		sb_printf(b, "  %s\n", h->env[i]);
	sb_printf(b, "%-20s%zu variables\n", "shim's variables:", h->n_shim_env);
	for (size_t i = 0; i < h->n_shim_env; i++)
		sb_printf(b, "  %s\n", h->shim_env[i]);
}

int
cmd_info(int argc, char **argv)
{
	const char *path = NULL;
	int json = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return usage_error("info", "unknown option '%s'", argv[i]);
		else if (path == NULL)
			path = argv[i];
		else
			return usage_error("info", "one trace at a time");
	}
	if (path == NULL)
		return usage_error("info", "which trace? (- for standard input)");

	struct input in;
	int r = in_open(&in, path, 0);
	if (r) {
		in_close(&in);
		return r;
	}
	/* The first header is shown: keep it past restarts. */
	const PbHeader *h0 = in.t->header;
	size_t hn = gamehook__trace__header__get_packed_size(h0);
	uint8_t *tmp = malloc(hn ? hn : 1);
	PbHeader *h = NULL;
	if (tmp != NULL) {
		gamehook__trace__header__pack(h0, tmp);
		h = gamehook__trace__header__unpack(NULL, hn, tmp);
		free(tmp);
	}
	if (h == NULL) {
		dwarn("out of memory");
		in_close(&in);
		return EX_USAGE;
	}
	struct sbuf hb = { 0 };
	/* The reader checked it parses. */
	struct layout *l = layout_parse(h->layout_json, strlen(h->layout_json),
	    h->layout_source ? h->layout_source : "(trace)", in.t->layout_err,
	    sizeof in.t->layout_err);
	uint64_t hdr_data = hn;

	enum trace_ev ev;
	while ((ev = in_next(&in)) != TEV_END && ev != TEV_ERROR)
		;
	if (ev == TEV_ERROR)
		in.end_offset = in.base + in.t->offset;

	const struct trace_reader *t = in.t;
	uint64_t records = in.headers + t->frames;
	double ratio = t->bytes_payload ? (double)t->bytes_data /
	    (double)t->bytes_payload : 0;
	double mean = t->frames ? (double)(t->bytes_payload + REC_ENVELOPE *
	    t->frames) / (double)t->frames : 0;
	char start[64];
	utc_time(start, sizeof start, h->start_unix_ns);
	const char *exe = h->exe ? h->exe : "";
	const char *bid = h->build_id ? h->build_id : "";
	const char *src = h->layout_source ? h->layout_source : "";
	const char *ver = h->gamehook_version ? h->gamehook_version : "";

	if (json) {
		sb_printf(&hb, "{\"format_version\":%u,\"exe\":", h->format_version);
		sb_json_str(&hb, exe);
		sb_puts(&hb, ",\"build_id\":");
		sb_json_str(&hb, bid);
		sb_puts(&hb, ",\"gamehook_version\":");
		sb_json_str(&hb, ver);
		sb_puts(&hb, ",\"layout_source\":");
		sb_json_str(&hb, src);
		sb_printf(&hb, ",\"state_size\":%u,\"fields\":[", h->state_size);
		for (int i = 0; l && i < l->nfields; i++) {
			const struct lt_field *f = &l->fields[i];
			sb_puts(&hb, i ? ",{\"name\":" : "{\"name\":");
			sb_json_str(&hb, f->name);
			sb_puts(&hb, ",\"type\":");
			sb_json_str(&hb, type_name(f->type));
			sb_printf(&hb, ",\"count\":%u,\"count_field\":",
			    f->count_path ? f->max : f->count ? f->count : 1);
			if (f->count_path)
				sb_json_str(&hb, f->count_path);
			else
				sb_puts(&hb, "null");
			sb_puts(&hb, "}");
		}
		sb_printf(&hb, "],\"keyframe_interval\":%u,\"seeded\":%s,"
		    "\"seed\":", h->keyframe_interval, h->seeded ? "true" :
		    "false");
		if (h->seeded)
			sb_printf(&hb, "%" PRIu64, h->seed);
		else
			sb_puts(&hb, "null");
		sb_printf(&hb, ",\"clock_rate\":%.17g,\"start_frame\":%" PRId64
		    ",\"start_vtime_ns\":%" PRId64 ",\"start_unix_ns\":%" PRId64
		    ",\"start_time\":\"%s\",\"pid\":%d", h->clock_rate,
		    h->start_frame, h->start_vtime_ns, h->start_unix_ns, start,
		    h->pid);
		context_json(&hb, h);
		sb_printf(&hb, ",\"records\":%" PRIu64 ",\"headers\":%" PRIu64
		    ",\"frames\":%" PRIu64 ",\"keyframes\":%" PRIu64
		    ",\"first_frame\":", records, in.headers, t->frames,
		    t->keyframes);
		if (in.any_frame)
			sb_printf(&hb, "%" PRId64 ",\"last_frame\":%" PRId64,
			    in.first_frame, in.last_frame);
		else
			sb_puts(&hb, "null,\"last_frame\":null");
		sb_printf(&hb, ",\"damaged\":%" PRIu64 ",\"lost_frames\":%" PRIu64
		    ",\"bytes\":%" PRIu64 ",\"payload_bytes\":%" PRIu64
		    ",\"decompressed_bytes\":%" PRIu64 ",\"header_bytes\":%"
		    PRIu64 ",\"compression_ratio\":%.2f,\"bytes_per_frame\":%.1f}\n",
		    t->damaged, in_lost(&in), in.end_offset, t->bytes_payload,
		    t->bytes_data, hdr_data, ratio, mean);
	} else {
#define KV(k) sb_printf(&hb, "%-20s", k ":")
		KV("format version"); sb_printf(&hb, "%u\n", h->format_version);
		KV("exe"); sb_printf(&hb, "%s\n", exe);
		KV("build id"); sb_printf(&hb, "%s\n", bid[0] ? bid : "(none)");
		KV("gamehook version"); sb_printf(&hb, "%s\n", ver);
		KV("layout source"); sb_printf(&hb, "%s\n", src);
		KV("state size"); sb_printf(&hb, "%u bytes\n", h->state_size);
		KV("fields"); sb_printf(&hb, "%d\n", l ? l->nfields : 0);
		sb_printf(&hb, "  %-18s %-10s %s\n", "NAME", "TYPE", "COUNT");
		for (int i = 0; l && i < l->nfields; i++) {
			const struct lt_field *f = &l->fields[i];
			sb_printf(&hb, "  %-18s %-10s ", f->name, type_name(f->type));
			field_count(&hb, f);
			sb_puts(&hb, "\n");
		}
		KV("keyframe interval"); sb_printf(&hb, "%u\n", h->keyframe_interval);
		KV("seed");
		if (h->seeded)
			sb_printf(&hb, "%" PRIu64 "\n", h->seed);
		else
			sb_puts(&hb, "none\n");
		KV("clock rate");
		sb_printf(&hb, "%g%s\n", h->clock_rate, h->clock_rate == 0 ?
		    " (max)" : "");
		KV("start frame"); sb_printf(&hb, "%" PRId64 "\n", h->start_frame);
		KV("start vtime"); sb_printf(&hb, "%" PRId64 " ns\n",
		    h->start_vtime_ns);
		KV("start time"); sb_printf(&hb, "%s\n", start);
		KV("pid"); sb_printf(&hb, "%d\n", h->pid);
		context_text(&hb, h);
		KV("records"); sb_printf(&hb, "%" PRIu64 "\n", records);
		if (in.headers > 1) {
			KV("headers"); sb_printf(&hb, "%" PRIu64 "\n", in.headers);
		}
		KV("frames"); sb_printf(&hb, "%" PRIu64 "\n", t->frames);
		KV("keyframes"); sb_printf(&hb, "%" PRIu64 "\n", t->keyframes);
		if (in.any_frame) {
			KV("first frame"); sb_printf(&hb, "%" PRId64 "\n",
			    in.first_frame);
			KV("last frame"); sb_printf(&hb, "%" PRId64 "\n",
			    in.last_frame);
		}
		KV("damaged records"); sb_printf(&hb, "%" PRIu64 "\n", t->damaged);
		KV("lost frames"); sb_printf(&hb, "%" PRIu64 "\n", in_lost(&in));
		KV("bytes on disk"); sb_printf(&hb, "%" PRIu64 "\n", in.end_offset);
		KV("payload bytes"); sb_printf(&hb, "%" PRIu64 "\n",
		    t->bytes_payload);
		KV("decompressed bytes"); sb_printf(&hb, "%" PRIu64 "\n",
		    t->bytes_data);
		KV("compression ratio"); sb_printf(&hb, "%.2f\n", ratio);
		KV("bytes per frame"); sb_printf(&hb, "%.1f\n", mean);
#undef KV
	}
	need_text(&hb);
	fwrite(hb.p, 1, hb.len, stdout);
	fflush(stdout);
	r = ev == TEV_ERROR ? EX_USAGE : in.damage_seen ? EX_DAMAGED : EX_CLEAN;
	sb_free(&hb);
	layout_free(l);
	gamehook__trace__header__free_unpacked(h, NULL);
	in_close(&in);
	return r;
}

void
sb_screen(struct sbuf *b, const struct trace_reader *t)
{
	uint32_t h, cr, cc, row;
	int n = trace_screen(t, &h, &cr, &cc);
	if (n < 0)
		return;
	sb_printf(b, ",\"screen\":{\"height\":%u,\"cursor\":[%u,%u],"
	    "\"rows\":{", h, cr, cc);
	for (int i = 0; i < n; i++) {
		const char *attrs;
		const char *text = trace_screen_row(t, i, &row, &attrs);
		sb_printf(b, "%s\"%u\":", i ? "," : "", row);
		sb_json_str(b, text);
	}
	sb_puts(b, "},\"attrs\":{");
	for (int i = 0; i < n; i++) {
		const char *attrs;
		trace_screen_row(t, i, &row, &attrs);
		/* Raw JSON from the trace: checked, so a forged record cannot
		 * break the line. */
		json_t *j = attrs[0] ? json_loads(attrs, 0, NULL) : NULL;
		sb_printf(b, "%s\"%u\":%s", i ? "," : "", row,
		    json_is_array(j) ? attrs : "null");
		json_decref(j);
	}
	sb_puts(b, "}}");
}
