/* The `scan` command: find a value in a game without symbols, in the
 * manner of scanmem. The words are checked here, on the control thread;
 * the work runs on the frame thread at a boundary (the game held, as for
 * `get`), over the memory a snapshot covers, into the scan's own arena
 * (scan.c) and this file's static reply: the game's heap is not touched. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cmdtab.h"
#include "../common/textproto.h"
#include "alloc.h"
#include "ctl-client.h"
#include "frame.h"
#include "scan-ptr.h"
#include "scan.h"
#include "shim.h"
#include "snapshot.h"
#include "wtrack.h"

#define REGION_MAX 1024
#define LIST_MAX 1000
#define LIST_DEFAULT 20
#define PTR_DEPTH 3
#define PTR_RANGE 4096

/* Filled on the frame thread, sent from here. */
static struct {
	char buf[262144];
	size_t len;
	enum err_code code;
} rep;

static struct mrange ranges[REGION_MAX];
static struct scan_region mem[REGION_MAX];
static int configured;
static int holding;      /* this scan holds write tracking on */

static void
rep_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
rep_printf(const char *fmt, ...)
{
	va_list ap;
	if (rep.len >= sizeof rep.buf)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(rep.buf + rep.len, sizeof rep.buf - rep.len, fmt, ap);
	va_end(ap);
	if (n > 0)
		rep.len += (size_t)n;
	if (rep.len >= sizeof rep.buf)
		rep.len = sizeof rep.buf - 1;
}

static void
rep_err(enum err_code code, const char *msg)
{
	rep.len = 0;
	rep.code = code;
	rep_printf("scan: %s", msg);
}


/* --- page-level write tracking (wtrack.h) as the scan's tracker --------- */

static uint64_t
track_mark(int exact)
{
	return wtrack_sync(exact);
}

struct pages_arg {
	uintptr_t lo;
	uint8_t *out;
};

static int
track_run(uintptr_t lo, uintptr_t hi, void *arg)
{
	struct pages_arg *a = arg;
	for (uintptr_t p = lo & ~(uintptr_t)4095; p < hi; p += 4096)
		a->out[(p - a->lo) / 4096] = 1;
	return 0;
}

static int
track_written(uintptr_t lo, uintptr_t hi, uint64_t since, uint8_t *out)
{
	struct pages_arg a = { lo, out };
	if (since == 0)
		return 0;
	memset(out, 0, (hi - lo) / 4096);
	return wtrack_written((uint32_t)since, lo, hi, track_run, &a) < 0 ?
	    0 : 1;
}

static const struct scan_tracker tracker = { track_mark, track_written };

/* Hold write tracking on while a scan lives, and only then. */
static void
track_follow(void)
{
	if (scan_active() && !holding) {
		wtrack_hold(1);
		holding = 1;
	} else if (!scan_active() && holding) {
		wtrack_hold(-1);
		holding = 0;
	}
}

/* The game's memory now, into mem[]. Returns the count or -1 (replied). */
static int
game_memory(void)
{
	char err[256];
	struct mrange stack;
	int n = snapshot_regions(ranges, REGION_MAX, &stack, err, sizeof err);
	if (n < 0) {
		rep_err(ERR_STATE, err);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		mem[i].lo = ranges[i].lo;
		mem[i].hi = ranges[i].hi;
	}
	return n;
}

static void
stats_reply(const char *what, const struct scan_stats *st)
{
	rep_printf("{\"%s\":\"%s\",\"type\":\"%s\",\"candidates\":%llu,"
	    "\"frame\":%lld,\"mode\":\"%s\",\"pages_read\":%llu,"
	    "\"pages_skipped\":%llu,\"memory\":%zu}", strcmp(what, "start") == 0 ?
	    "scan" : "op", what, scan_type_dtype(scan_current_type()),
	    (unsigned long long)st->candidates, (long long)frame_current(),
	    scan_mode(), (unsigned long long)st->pages_read,
	    (unsigned long long)st->pages_skipped, scan_memory());
}

static void
do_start(int argc, char **argv)
{
	char err[512];
	struct scan_stats st;
	int type = scan_type_parse(argv[2]);

	int n = game_memory();
	if (n < 0)
		return;
	/* Tracking starts at the start's own sync. */
	if (!holding) {
		wtrack_hold(1);
		holding = 1;
	}
	if (scan_start(type, argc > 3 ? argv[3] : NULL, mem, n, &st, err,
	    sizeof err) != 0) {
		rep_err(strstr(err, "MiB") ? ERR_MEMORY : ERR_USAGE, err);
		return;
	}
	stats_reply("start", &st);
}

static void
do_narrow(int op, int argc, char **argv)
{
	char err[512];
	struct scan_stats st;

	int n = game_memory();
	if (n < 0)
		return;
	if (scan_narrow(op, argc > 2 ? argv[2] : NULL, argc > 3 ? argv[3] :
	    NULL, mem, n, &st, err, sizeof err) != 0) {
		rep_err(strstr(err, "MiB") ? ERR_MEMORY : strncmp(err, "no scan",
		    7) == 0 ? ERR_STATE : ERR_USAGE, err);
		return;
	}
	stats_reply(scan_op_name(op), &st);
}

/* Whether [A, A+LEN) lies in the game's memory now. */
static int
mapped(uintptr_t a, size_t len, int n)
{
	for (int i = 0; i < n; i++)
		if (mem[i].lo <= a && a + len <= mem[i].hi)
			return 1;
	return 0;
}

struct list_arg {
	int n, first;
};

static void
list_one(uint64_t i, uintptr_t addr, uint64_t old, void *arg)
{
	struct list_arg *l = arg;
	char now[64], was[64];
	struct scanptr_chain ch;
	int type = scan_current_type();

	if (mapped(addr, (size_t)scan_type_size(type), l->n))
		scan_format(type, scan_read(type, addr), now, sizeof now);
	else
		snprintf(now, sizeof now, "null");
	scan_format(type, old, was, sizeof was);
	rep_printf("%s{\"index\":%llu,\"address\":\"0x%lx\",\"value\":%s,"
	    "\"previous\":%s,\"where\":", l->first ? "" : ",",
	    (unsigned long long)i, (unsigned long)addr, now, was);
	if (scanptr_static(addr, &ch)) {
		const char *exe = strrchr(shim_cfg.exe, '/');
		rep_printf("\"%s+0x%lx\"}", ch.module[0] ? ch.module : exe ?
		    exe + 1 : shim_cfg.exe, (unsigned long)ch.offset);
	} else {
		rep_printf("\"dynamic\"}");
	}
	l->first = 0;
}

static int
parse_count(const char *s, unsigned long long max, unsigned long long *out)
{
	return tp_parse_u64(s, out) != 0 || *out > max ? -1 : 0;
}

static void
do_list(int argc, char **argv)
{
	unsigned long long n = LIST_DEFAULT, from = 0;

	if (argc > 2 && parse_count(argv[2], LIST_MAX, &n) != 0) {
		rep_err(ERR_USAGE, "list N: N is 0 to 1000");
		return;
	}
	if (argc > 3 && parse_count(argv[3], UINT64_MAX, &from) != 0) {
		rep_err(ERR_USAGE, "list N FROM: FROM is an index");
		return;
	}
	struct list_arg l = { 0, 1 };
	l.n = game_memory();
	if (l.n < 0)
		return;
	rep_printf("{\"type\":\"%s\",\"candidates\":%llu,\"frame\":%lld,"
	    "\"list\":[", scan_type_dtype(scan_current_type()),
	    (unsigned long long)scan_count(), (long long)frame_current());
	scan_each(from, n, list_one, &l);
	rep_printf("]}");
}

struct find_arg {
	uint64_t want;
	uintptr_t addr;
	int found;
};

static void
find_one(uint64_t i, uintptr_t addr, uint64_t old, void *arg)
{
	struct find_arg *f = arg;
	(void)old;
	if (i == f->want) {
		f->addr = addr;
		f->found = 1;
	}
}

static void
do_layout(int argc, char **argv)
{
	unsigned long long idx, depth = PTR_DEPTH, range = PTR_RANGE;
	const char *name = "value";
	char err[512];
	int i;

	if (parse_count(argv[2], UINT64_MAX, &idx) != 0) {
		rep_err(ERR_USAGE, "layout I: I is a candidate's index (scan "
		    "list)");
		return;
	}
	for (i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--depth") == 0 && i + 1 < argc) {
			if (parse_count(argv[++i], SCANPTR_DEPTH_MAX, &depth) != 0 ||
			    depth == 0) {
				rep_err(ERR_USAGE, "--depth: 1 to 4 pointers");
				return;
			}
		} else if (strcmp(argv[i], "--range") == 0 && i + 1 < argc) {
			if (parse_count(argv[++i], 1u << 20, &range) != 0) {
				rep_err(ERR_USAGE, "--range: 0 to 1048576 bytes");
				return;
			}
		} else if (argv[i][0] != '-' && i == 3) {
			name = argv[i];
		} else {
			rep_err(ERR_USAGE, "usage: scan layout I [NAME] [--depth N] "
			    "[--range BYTES]");
			return;
		}
	}
	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_") != strlen(name) || (name[0] >= '0' && name[0] <= '9')) {
		rep_err(ERR_USAGE, "a field's name is letters, digits and '_', "
		    "not starting with a digit");
		return;
	}
	struct find_arg f = { idx, 0, 0 };
	scan_each(idx, 1, find_one, &f);
	if (!f.found) {
		rep.len = 0;
		rep.code = ERR_RANGE;
		rep_printf("scan: no candidate %llu (there are %llu)", idx,
		    (unsigned long long)scan_count());
		return;
	}
	struct scanptr_chain ch;
	if (!scanptr_static(f.addr, &ch)) {
		int n = game_memory();
		if (n < 0)
			return;
		int r = scanptr_find(f.addr, mem, n, (int)depth, (uintptr_t)range,
		    &ch, err, sizeof err);
		if (r < 0) {
			rep_err(ERR_USAGE, err);
			return;
		}
		if (r == 0) {
			rep.len = 0;
			rep.code = ERR_RANGE;
			rep_printf("scan: 0x%lx is not in a module's data, and no "
			    "chain of up to %llu pointers (each at most %llu bytes "
			    "before what it leads to) reaches it from one: try "
			    "--depth or --range", (unsigned long)f.addr, depth, range);
			return;
		}
	}
	rep_printf("{\"gamehook_layout\":1,\"fields\":{\"%s\":{", name);
	if (ch.module[0])
		rep_printf("\"module\":\"%s\",", ch.module);
	rep_printf("\"offset\":%lu,", (unsigned long)ch.offset);
	if (ch.nptr > 0) {
		rep_printf("\"pointers\":[");
		for (i = 0; i < ch.nptr; i++)
			rep_printf("%s%ld", i ? "," : "", (long)ch.ptr[i]);
		rep_printf("],");
	}
	rep_printf("\"type\":\"%s\"}}}", scan_type_dtype(scan_current_type()));
}

static void
do_info(void)
{
	rep_printf("{\"active\":%s,\"type\":", scan_active() ? "true" : "false");
	if (scan_active())
		rep_printf("\"%s\"", scan_type_dtype(scan_current_type()));
	else
		rep_printf("null");
	rep_printf(",\"candidates\":%llu,\"passes\":%llu,\"mode\":\"%s\","
	    "\"memory\":%zu,\"held\":%zu,\"limit\":%zu,"
	    "\"tracking\":\"%s\"}", (unsigned long long)scan_count(),
	    (unsigned long long)scan_passes(), scan_mode(), scan_memory(),
	    scan_held(), scan_limit(), wtrack_method_name(wtrack_method()));
}

/* Frame thread: run the scan line ARG. */
static void
scan_run(void *arg)
{
	char line[TP_LINE_MAX + 2], *argv[TP_WORDS_MAX];
	int argc = 0;

	rep.len = 0;
	rep.code = ERR_NONE;
	snprintf(line, sizeof line, "%s", (const char *)arg);
	if (tp_split(line, argv, &argc) != TP_OK || argc < 2) {
		rep_err(ERR_USAGE, "usage: scan start|OP|list|layout|info|stop");
		return;
	}
	const char *sub = argv[1];
	int op = scan_op_parse(sub);
	if (!scan_active() && (strcmp(sub, "list") == 0 ||
	    strcmp(sub, "layout") == 0)) {
		rep_err(ERR_STATE, "no scan: start one (scan start TYPE [VALUE])");
		return;
	}
	if (strcmp(sub, "start") == 0)
		do_start(argc, argv);
	else if (strcmp(sub, "list") == 0)
		do_list(argc, argv);
	else if (strcmp(sub, "layout") == 0)
		do_layout(argc, argv);
	else if (strcmp(sub, "info") == 0)
		do_info();
	else if (strcmp(sub, "stop") == 0) {
		scan_stop();
		rep_printf("stopped");
	} else if (op >= 0)
		do_narrow(op, argc, argv);
	track_follow();
}

static void
scan_reply(struct client *c)
{
	rep.buf[rep.len] = '\0';
	if (rep.code != ERR_NONE) {
		ctl_err(c, rep.code, "%s", rep.buf);
	} else if (c->binary) {
		bin_reply(c, ERR_NONE, rep.buf);
	} else {
		ctl_send(c, "ok ", 3);
		ctl_send(c, rep.buf, rep.len);
		ctl_send(c, "\n", 1);
	}
}

/* The words are checked here, so a bad line never holds the game. */
static int
check(struct client *c, int argc, char **argv)
{
	const char *sub = argv[1];
	int op = scan_op_parse(sub);

	/* No number is longer (and libc's parsers may take heap memory for
	 * a very long one: they run on the game's main thread). */
	for (int i = 2; i < argc; i++) {
		if (strlen(argv[i]) > 64) {
			ctl_err(c, ERR_USAGE, "scan: '%.20s...' is longer than a "
			    "value or a name can be", argv[i]);
			return -1;
		}
	}

	if (strcmp(sub, "start") == 0) {
		if (argc < 3 || argc > 4 || scan_type_parse(argv[2]) < 0) {
			ctl_err(c, ERR_USAGE, "usage: scan start TYPE [VALUE] (TYPE: "
			    "i8 u8 i16 u16 i32 u32 i64 u64 f32 f64, or a dtype "
			    "such as <i4)");
			return -1;
		}
		return 0;
	}
	if (op >= 0) {
		if (argc - 2 != scan_op_args(op)) {
			ctl_err(c, ERR_USAGE, "usage: scan %s%s", scan_op_name(op),
			    scan_op_args(op) == 2 ? " LOW HIGH" :
			    scan_op_args(op) == 1 ? " VALUE" : "");
			return -1;
		}
		return 0;
	}
	if ((strcmp(sub, "list") == 0 && argc <= 4) ||
	    (strcmp(sub, "layout") == 0 && argc >= 3) ||
	    ((strcmp(sub, "info") == 0 || strcmp(sub, "stop") == 0) &&
	    argc == 2))
		return 0;
	ctl_err(c, ERR_USAGE, "usage: scan start TYPE [VALUE] | scan OP "
	    "[VALUE] (= != < > range changed unchanged increased decreased) | "
	    "scan list [N [FROM]] | scan layout I [NAME] | scan info | "
	    "scan stop");
	return -1;
}

void
scan_cmd(struct client *c, int argc, char **argv)
{
	if (check(c, argc, argv) != 0)
		return;
	if (!configured) {
		const char *v = getenv("HOOK_SCAN_MEMORY");
		unsigned long long mib = 0;
		if (v != NULL && v[0] && (tp_parse_u64(v, &mib) != 0 || mib == 0 ||
		    mib > (1ULL << 20))) {
			ctl_err(c, ERR_USAGE, "HOOK_SCAN_MEMORY: expected MiB (1 to "
			    "1048576), not '%s'", v);
			return;
		}
		scan_configure((size_t)mib << 20, shim_pages);
		scan_set_tracker(&tracker);
		configured = 1;
	}
	size_t n = 1;
	for (int i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	free(c->post_args);
	c->post_args = malloc(n);
	if (c->post_args == NULL) {
		ctl_err(c, ERR_MEMORY, "out of memory");
		return;
	}
	c->post_args[0] = '\0';
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(c->post_args, " ");
		strcat(c->post_args, argv[i]);
	}
	cmd_post_request(c, scan_run, scan_reply);
}
