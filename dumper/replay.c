/* dumper replay TRACE -- GAME ARGS...: drive GAME again under the shim, in
 * lockstep, with the trace's seed and its inputs at their frames
 * (HOOK_REPLAY), record the new run into a pipe, and compare every frame's
 * state hash with the recorded one. The first frame that differs is named
 * with the values that differ. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dumper.h"
#include "launch.h"
#include "libpath.h"
#include "replayfile.h"

#define STEP_CHUNK 100
#define PROGRESS_EVERY 1000
#define DIFF_SHOWN 16

struct recorded {
	char path[PATH_MAX];
	struct replayfile_entry *inputs;
	size_t ninputs;
	int64_t first, last;
	uint64_t *hash;         /* by frame - first; 0: no record */
	uint64_t seed;
	int seeded;
	char *layout_json;
	char layout_source[512];
	/* The launch context (have_ctx 0: an older trace without one). */
	int have_ctx;
	char **argv, **env;     /* env: with the recorded LD_PRELOAD, if any */
	char *cwd;
	unsigned cols, rows;
	int headless;           /* recorded on a private X server */
};

/* What the command line changes of the recorded launch. */
struct overrides {
	char **set, **unset;    /* NULL-terminated */
	size_t nset, nunset;
	const char *cwd;
	unsigned cols, rows;    /* 0: the recorded size */
};

static struct {
	char dir[PATH_MAX];
	pid_t pid;
	pid_t keeper;           /* headless: the X server's keeper */
	int master;
	int sock;
} run = { .pid = -1, .keeper = -1, .master = -1, .sock = -1 };

static void
cleanup(void)
{
	if (run.pid > 0) {
		kill(-run.pid, SIGKILL);
		kill(run.pid, SIGKILL);
		waitpid(run.pid, NULL, 0);
		run.pid = -1;
	}
	/* Headless: done once the game's X server is gone too. */
	if (run.keeper > 0) {
		waitpid(run.keeper, NULL, 0);
		run.keeper = -1;
	}
	if (run.sock >= 0)
		close(run.sock);
	if (run.dir[0]) {
		char p[PATH_MAX + 32];
		static const char *const names[] = { "layout.json", "game.sock",
			"game.log", "inputs" };
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
			snprintf(p, sizeof p, "%s/%s", run.dir, names[i]);
			unlink(p);
		}
		rmdir(run.dir);
		run.dir[0] = '\0';
	}
}

static char **
strv_dup(char **v, const char *extra)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	char **out = calloc(n + 2, sizeof *out);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((out[i] = strdup(v[i])) == NULL)
			return NULL;
	if (extra != NULL && (out[n] = strdup(extra)) == NULL)
		return NULL;
	return out;
}

static void
strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* The header's launch context, copied (the reader goes before we launch).
 * The recorded LD_PRELOAD joins the environment: the launcher keeps the
 * libraries it named besides the shim. */
static int
take_context(const struct trace_reader *t, struct recorded *r)
{
	struct trace_context c;
	int st = trace_context(t, &c);
	if (st <= 0)
		return st;
	const char *preload = NULL;
	for (char **e = c.shim_env; *e; e++) {
		if (strncmp(*e, "LD_PRELOAD=", 11) == 0)
			preload = *e;
		if (strcmp(*e, "HOOK_HEADLESS=1") == 0)
			r->headless = 1;
	}
	r->argv = strv_dup(c.argv, NULL);
	r->env = strv_dup(c.env, preload);
	r->cwd = strdup(c.cwd);
	r->cols = c.cols;
	r->rows = c.rows;
	r->have_ctx = 1;
	trace_context_free(&c);
	return r->argv && r->env && r->cwd ? 0 : -1;
}

/* Read the recorded trace: its header and every frame's hash. */
static int
read_recorded(const char *path, struct recorded *r)
{
	struct input in;
	int st = in_open(&in, path, 0);
	if (st != 0)
		return st;
	struct trace_reader *t = in.t;
	const struct layout *l = t->layout;
	r->seeded = trace_seed(t, &r->seed);
	r->layout_json = strdup(l->json);
	snprintf(r->layout_source, sizeof r->layout_source, "%s", l->source);
	r->first = trace_start_frame(t);
	r->last = -1;
	if (take_context(t, r) != 0) {
		dwarn("out of memory");
		in_close(&in);
		return EX_USAGE;
	}
	size_t cap = 0;
	enum trace_ev ev;
	while ((ev = in_next(&in)) != TEV_END && ev != TEV_ERROR) {
		if (ev != TEV_FRAME)
			continue;
		if (in.headers > 1) {
			dwarn("%s: recording restarted at frame %lld: replay takes "
			    "one recording from its first frame", path,
			    (long long)t->frame);
			in_close(&in);
			return EX_USAGE;
		}
		if (t->frame < r->first || t->frame - r->first > (1 << 28))
			continue;
		size_t i = (size_t)(t->frame - r->first);
		if (i >= cap) {
			size_t nc = cap ? cap : 4096;
			while (nc <= i)
				nc *= 2;
			uint64_t *v = realloc(r->hash, nc * sizeof *v);
			if (v == NULL) {
				dwarn("out of memory");
				in_close(&in);
				return EX_USAGE;
			}
			memset(v + cap, 0, (nc - cap) * sizeof *v);
			r->hash = v;
			cap = nc;
		}
		r->hash[i] = trace_state_hash(t);
		for (int k = 0; k < trace_ninputs(t); k++) {
			struct replayfile_entry *v = realloc(r->inputs,
			    (r->ninputs + 1) * sizeof *v);
			if (v == NULL)
				break;
			r->inputs = v;
			v[r->ninputs].frame = t->frame;
			trace_input(t, k, &v[r->ninputs].in);
			r->ninputs++;
		}
		if (t->frame > r->last)
			r->last = t->frame;
	}
	int damaged = in.damage_seen;
	in_close(&in);
	if (ev == TEV_ERROR)
		return EX_USAGE;
	if (r->last < 0) {
		dwarn("%s: no frames to replay", path);
		return EX_DAMAGED;
	}
	if (damaged)
		fprintf(stderr, "replay: %s is damaged; frames without a record "
		    "are not compared\n", path);
	return 0;
}

/* The recorded state of frame F (read again from the start), into OUT. */
static int
recorded_state(const char *path, int64_t f, uint8_t *out, uint8_t *unread,
    size_t size, int nfields)
{
	struct input in;
	int found = 0;
	if (in_open(&in, path, 0) != 0)
		return 0;
	enum trace_ev ev;
	while ((ev = in_next(&in)) != TEV_END && ev != TEV_ERROR) {
		if (ev == TEV_FRAME && in.t->frame == f && in.t->state_ok &&
		    in.t->state_size == size) {
			memcpy(out, in.t->state, size);
			memcpy(unread, in.t->unreadable, (size_t)nfields);
			found = 1;
			break;
		}
	}
	in_close(&in);
	return found;
}

static int
clean_path(const char *name)
{
	return strchr(name, '+') == NULL && strchr(name, '(') == NULL;
}

/* Say which values differ between the recorded and the replayed state. */
static void
explain(const char *path, const struct trace_reader *rt, int64_t f)
{
	const struct layout *l = rt->layout;
	size_t size = rt->state_size;
	uint8_t *orig = calloc(1, size ? size : 1);
	uint8_t *ounread = calloc(1, (size_t)l->nfields + 1);
	if (orig == NULL || ounread == NULL ||
	    !recorded_state(path, f, orig, ounread, size, l->nfields)) {
		printf("  (the recorded state of frame %lld could not be rebuilt "
		    "to compare values)\n", (long long)f);
		free(orig);
		free(ounread);
		return;
	}
	char prev[256] = "", name[256], err[256];
	int shown = 0, total = 0;
	struct sbuf a = { 0 }, b = { 0 };
	for (int i = 0; i < l->nfields; i++) {
		if (ounread[i] != rt->unreadable[i]) {
			printf("  %s: %s when recorded, %s when replayed\n",
			    l->fields[i].name, ounread[i] ? "unreadable" : "readable",
			    rt->unreadable[i] ? "unreadable" : "readable");
			shown++;
			total++;
		}
	}
	for (size_t off = 0; off < size; off++) {
		if (orig[off] == rt->state[off])
			continue;
		layout_name_at(l, off, name, sizeof name);
		if (strcmp(name, prev) == 0)
			continue;
		snprintf(prev, sizeof prev, "%s", name);
		total++;
		if (shown >= DIFF_SHOWN)
			continue;
		shown++;
		sb_reset(&a);
		sb_reset(&b);
		if (clean_path(name) &&
		    layout_json_sb(&a, l, orig, ounread, name, err, sizeof err) == 0 &&
		    layout_json_sb(&b, l, rt->state, rt->unreadable, name, err,
		    sizeof err) == 0) {
			need_text(&a);
			need_text(&b);
			printf("  %s: recorded %s, replayed %s\n", name, a.p, b.p);
		} else {
			sb_hex(&a, orig + off, 1);
			sb_hex(&b, rt->state + off, 1);
			need_text(&a);
			need_text(&b);
			printf("  %s (byte %zu of the state): recorded %s, replayed "
			    "%s\n", name, off, a.p, b.p);
		}
	}
	if (total > shown)
		printf("  ... and %d more\n", total - shown);
	sb_free(&a);
	sb_free(&b);
	free(orig);
	free(ounread);
}

static void *
drain(void *arg)
{
	char buf[4096];
	int fd = *(int *)arg;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
	}
}

/* One command, its reply line into LINE. Returns 0 on "ok". */
static int
command(const char *cmd, char *line, size_t cap)
{
	size_t len = strlen(cmd), got = 0;
	if (send(run.sock, cmd, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -1;
	while (got + 1 < cap) {
		ssize_t n = recv(run.sock, line + got, 1, 0);
		if (n <= 0)
			return -1;
		if (line[got] == '\n')
			break;
		got++;
	}
	line[got] = '\0';
	return strncmp(line, "ok", 2) == 0 ? 0 : -1;
}

static int
connect_game(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
	for (int i = 0; i < 1000; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			return fd;
		if (fd >= 0)
			close(fd);
		if (waitpid(run.pid, NULL, WNOHANG) == run.pid) {
			run.pid = -1;
			return -1;
		}
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* The launch: the recorded one, with the command line's changes. */
static void
make_spec(struct launch_spec *sp, char **game, const char *lib,
    const struct recorded *r, const struct overrides *o, char **hook)
{
	memset(sp, 0, sizeof *sp);
	sp->argv = game != NULL ? game : r->argv;
	sp->clean = r->have_ctx;
	sp->env = r->env;
	sp->hook = hook;
	sp->shim = lib;
	sp->set = o->set;
	sp->unset = o->unset;
	sp->cwd = o->cwd ? o->cwd : r->have_ctx ? r->cwd : NULL;
	/* A headless run replays on a private X server of its own again. */
	sp->headless = r->headless;
	sp->stdio = LAUNCH_STDIO_PTY;
	sp->cols = 80;
	sp->rows = 24;
	if (o->cols) {
		sp->cols = o->cols;
		sp->rows = o->rows;
	} else if (r->have_ctx && r->cols) {
		sp->cols = r->cols;
		sp->rows = r->rows;
	} else if (r->have_ctx) {
		sp->stdio = LAUNCH_STDIO_NULL;    /* it had no terminal */
	}
}

/* Say how the game is launched, before it runs. */
static void
say_launch(const struct launch_spec *sp, const struct recorded *r,
    const char *path, const struct overrides *o)
{
	if (!r->have_ctx) {
		printf("replay: note: %s carries no launch context (recorded before "
		    "gamehook kept it): the game gets this shell's environment "
		    "and directory and a %ux%u terminal, as before\n", path,
		    sp->cols, sp->rows);
		return;
	}
	size_t n = 0;
	while (r->env[n])
		n++;
	/* TERM as the game gets it, overrides and all. */
	char **env = launch_env(sp);
	const char *term = NULL;
	for (char **e = env; e && *e; e++)
		if (strncmp(*e, "TERM=", 5) == 0)
			term = *e + 5;
	printf("replay: launch as recorded: cwd %s, ", sp->cwd);
	if (sp->stdio == LAUNCH_STDIO_PTY)
		printf("a %ux%u terminal%s, ", sp->cols, sp->rows, o->cols ?
		    " (--size)" : "");
	else
		printf("no terminal, ");
	if (sp->headless)
		printf("headless (a private X server), ");
	printf("TERM=%s, %zu recorded variables", term ? term : "(unset)", n);
	launch_env_free(env);
	if (o->cwd)
		printf(", --cwd");
	if (o->nset || o->nunset)
		printf(", %zu --env, %zu --unset", o->nset, o->nunset);
	printf("\n");
}

static void
show_log(void)
{
	char p[PATH_MAX + 16], line[512];
	snprintf(p, sizeof p, "%s/game.log", run.dir);
	FILE *f = fopen(p, "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL)
		fprintf(stderr, "  log: %s", line);
	fclose(f);
}

static int
replay(const char *path, char **game, struct recorded *r,
    const struct overrides *o)
{
	char lib[PATH_MAX], err[PATH_MAX + 64], line[512];
	struct launch_spec sp;

	if (libpath_find(lib, sizeof lib, err, sizeof err) != 0) {
		dwarn("%s", err);
		return EX_USAGE;
	}
	if (game == NULL && (r->argv == NULL || r->argv[0] == NULL)) {
		dwarn("replay: %s records no command line (an older trace): give "
		    "it after --: dumper replay TRACE -- GAME ARGS...", path);
		return EX_USAGE;
	}
	/* What cannot be recreated is said now, not as a divergence later. */
	make_spec(&sp, game, lib, r, o, NULL);
	if (launch_check(&sp, err, sizeof err) != 0) {
		dwarn("replay: cannot recreate the recorded launch: %s%s", err,
		    strncmp(err, "directory", 9) == 0 ? " (--cwd DIR runs it "
		    "elsewhere)" : game == NULL ? " (-- GAME ARGS runs another "
		    "program)" : "");
		return EX_USAGE;
	}
	const char *tmpdir = getenv("TMPDIR");
	snprintf(run.dir, sizeof run.dir, "%s/gamehook-replay-XXXXXX",
	    tmpdir && tmpdir[0] ? tmpdir : "/var/tmp");
	if (mkdtemp(run.dir) == NULL) {
		dwarn("mkdtemp %s: %s", run.dir, strerror(errno));
		run.dir[0] = '\0';
		return EX_USAGE;
	}
	if (strcmp(r->layout_source, "raw") != 0) {
		char p[PATH_MAX + 16];
		snprintf(p, sizeof p, "%s/layout.json", run.dir);
		FILE *f = fopen(p, "we");
		if (f == NULL || fputs(r->layout_json, f) == EOF || fclose(f) != 0) {
			dwarn("%s: %s", p, strerror(errno));
			return EX_USAGE;
		}
	}
	char ip[PATH_MAX + 16];
	snprintf(ip, sizeof ip, "%s/inputs", run.dir);
	FILE *fi = fopen(ip, "we");
	struct replayfile_header h = { .magic = REPLAYFILE_MAGIC,
		.entry_size = sizeof(struct replayfile_entry), .count = r->ninputs };
	if (fi == NULL || fwrite(&h, sizeof h, 1, fi) != 1 ||
	    (r->ninputs && fwrite(r->inputs, sizeof *r->inputs, r->ninputs,
	    fi) != r->ninputs) || fclose(fi) != 0) {
		dwarn("%s: %s", ip, strerror(errno));
		return EX_USAGE;
	}
	int tp[2];
	if (pipe2(tp, O_CLOEXEC) != 0) {
		dwarn("pipe: %s", strerror(errno));
		return EX_USAGE;
	}
	/* The shim's settings for a replay. */
	char hv[7][PATH_MAX + 32];
	char *hook[8] = { 0 };
	int nh = 0;
	snprintf(hv[nh], sizeof hv[nh], "HOOK_MODE=lockstep");
	hook[nh] = hv[nh], nh++;
	snprintf(hv[nh], sizeof hv[nh], "HOOK_SOCKET=%s/game.sock", run.dir);
	hook[nh] = hv[nh], nh++;
	snprintf(hv[nh], sizeof hv[nh], "HOOK_LOG=%s/game.log", run.dir);
	hook[nh] = hv[nh], nh++;
	snprintf(hv[nh], sizeof hv[nh], "HOOK_TRACE=fd:%d", tp[1]);
	hook[nh] = hv[nh], nh++;
	snprintf(hv[nh], sizeof hv[nh], "HOOK_REPLAY=%s/inputs", run.dir);
	hook[nh] = hv[nh], nh++;
	if (strcmp(r->layout_source, "raw") != 0) {
		snprintf(hv[nh], sizeof hv[nh], "HOOK_LAYOUT=%s/layout.json",
		    run.dir);
		hook[nh] = hv[nh], nh++;
	}
	if (r->seeded) {
		snprintf(hv[nh], sizeof hv[nh], "HOOK_SEED=%llu",
		    (unsigned long long)r->seed);
		hook[nh] = hv[nh], nh++;
	}
	make_spec(&sp, game, lib, r, o, hook);
	int keep[2] = { tp[1], -1 };    /* the shim writes the new run here */
	sp.keep_fds = keep;
	say_launch(&sp, r, path, o);
	fflush(stdout);
	struct launch_proc lp;
	if (launch_start(&sp, &lp, err, sizeof err) != 0) {
		dwarn("replay: cannot start %s: %s", sp.argv[0], err);
		close(tp[0]);
		close(tp[1]);
		return EX_USAGE;
	}
	run.pid = lp.pid;
	run.keeper = lp.keeper;
	run.master = lp.master;
	close(tp[1]);
	if (run.master >= 0) {
		pthread_t th;
		pthread_create(&th, NULL, drain, &run.master);
		pthread_detach(th);
	}

	char sock[PATH_MAX + 16];
	snprintf(sock, sizeof sock, "%s/game.sock", run.dir);
	char terr[256];
	struct trace_reader *rt = trace_open(tp[0], terr, sizeof terr);
	if (rt == NULL || (run.sock = connect_game(sock)) < 0) {
		dwarn("%s did not start under the shim%s%s", sp.argv[0],
		    rt ? "" : ": ", rt ? "" : terr);
		show_log();
		trace_close(rt);
		close(tp[0]);
		return EX_USAGE;
	}
	if (rt->state_size == 0 || strcmp(rt->layout->json, r->layout_json) != 0)
		fprintf(stderr, "replay: note: the layout in force differs from "
		    "the recorded one\n");
	int64_t total = r->last - r->first + 1, compared = 0, cur = -1;
	int status = EX_CLEAN;
	printf("replay: %s, frames %lld to %lld, seed %s%llu\n", sp.argv[0],
	    (long long)r->first, (long long)r->last, r->seeded ? "" : "none ",
	    r->seeded ? (unsigned long long)r->seed : 0ULL);
	fflush(stdout);
	for (;;) {
		enum trace_ev ev = trace_next(rt);
		if (ev == TEV_END || ev == TEV_ERROR) {
			printf("replay: the game stopped recording after frame "
			    "%lld, before the recording's last frame %lld\n",
			    (long long)cur, (long long)r->last);
			status = EX_DAMAGED;
			break;
		}
		if (ev != TEV_FRAME)
			continue;
		cur = rt->frame;
		if (cur >= r->first && cur <= r->last &&
		    r->hash[cur - r->first] != 0) {
			compared++;
			if (!rt->state_ok ||
			    trace_state_hash(rt) != r->hash[cur - r->first]) {
				printf("replay: diverged at frame %lld (after %lld "
				    "identical frames):\n", (long long)cur,
				    (long long)compared - 1);
				if (rt->state_ok)
					explain(path, rt, cur);

				status = EX_DAMAGED;
				break;
			}
		}
		if (cur >= r->last) {
			printf("replay: identical: %lld frames compared, %lld to "
			    "%lld, every state hash equal\n", (long long)compared,
			    (long long)r->first, (long long)r->last);
			break;
		}
		if (cur > 0 && cur % PROGRESS_EVERY == 0)
			fprintf(stderr, "replay: frame %lld of %lld\n",
			    (long long)cur, (long long)r->last);
		/* The game is stopped at frame cur: run the next stretch once
		 * its frames are read. */
		if (cur == 0 || cur % STEP_CHUNK == 0) {
			int64_t n = r->last - cur < STEP_CHUNK ? r->last - cur :
			    STEP_CHUNK;
			char cmd[64];
			snprintf(cmd, sizeof cmd, "step %lld\n", (long long)n);
			if (command(cmd, line, sizeof line) != 0) {
				printf("replay: the game did not step from frame "
				    "%lld: %s\n", (long long)cur, line);
				show_log();
				status = EX_DAMAGED;
				break;
			}
		}
	}
	(void)total;
	trace_close(rt);
	close(tp[0]);
	return status;
}

#define REPLAY_USAGE "usage: dumper replay TRACE [--env NAME=VALUE]... " \
	"[--unset NAME]... [--cwd DIR] [--size COLSxROWS] [-- GAME ARGS...]"

static int
add_str(char ***v, size_t *n, char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof *nv);
	if (nv == NULL)
		return -1;
	nv[(*n)++] = s;
	nv[*n] = NULL;
	*v = nv;
	return 0;
}

int
cmd_replay(int argc, char **argv)
{
	const char *path = NULL;
	struct overrides o = { 0 };
	char **game = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--") == 0) {
			if (i + 1 < argc)
				game = argv + i + 1;
			break;
		}
		if (strcmp(a, "--env") == 0 || strcmp(a, "--unset") == 0 ||
		    strcmp(a, "--cwd") == 0 || strcmp(a, "--size") == 0) {
			if (v == NULL)
				return usage_error("replay", "%s needs a value", a);
			i++;
			if (strcmp(a, "--env") == 0) {
				if (strchr(v, '=') == NULL || v[0] == '=')
					return usage_error("replay", "--env takes "
					    "NAME=VALUE, not '%s'", v);
				add_str(&o.set, &o.nset, argv[i]);
			} else if (strcmp(a, "--unset") == 0) {
				if (v[0] == '\0' || strchr(v, '=') != NULL)
					return usage_error("replay", "--unset takes "
					    "a NAME, not '%s'", v);
				add_str(&o.unset, &o.nunset, argv[i]);
			} else if (strcmp(a, "--cwd") == 0) {
				o.cwd = v;
			} else if (launch_parse_size(v, &o.cols, &o.rows) != 0) {
				return usage_error("replay", "--size takes "
				    "COLSxROWS (like 80x24), not '%s'", v);
			}
			continue;
		}
		if (a[0] == '-' && a[1] != '\0')
			return usage_error("replay", "unknown option '%s'", a);
		if (path != NULL)
			return usage_error("replay", REPLAY_USAGE);
		path = a;
	}
	if (path == NULL)
		return usage_error("replay", REPLAY_USAGE);
	if (strcmp(path, "-") == 0)
		return usage_error("replay", "replay reads the trace twice: give "
		    "a file, not -");
	struct recorded r = { 0 };
	if (realpath(path, r.path) == NULL) {
		dwarn("%s: %s", path, strerror(errno));
		return EX_USAGE;
	}
	int st = read_recorded(path, &r);
	if (st != 0)
		return st;
	if (r.first != 0)
		fprintf(stderr, "replay: note: the recording starts at frame %lld, "
		    "not at the game's start; a replay starts at frame 0 and "
		    "compares from there\n", (long long)r.first);
	atexit(cleanup);
	st = replay(path, game, &r, &o);
	cleanup();
	free(r.hash);
	free(r.inputs);
	free(r.layout_json);
	strv_free(r.argv);
	strv_free(r.env);
	free(r.cwd);
	free(o.set);
	free(o.unset);
	return st;
}
