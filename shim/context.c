/* The launch context (see context.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "alloc.h"
#include "../common/launch.h"
#include "context.h"

static struct {
	char cwd[PATH_MAX];
	int have_cwd;
	unsigned short cols, rows;
} start;

/* The memory context_get maps: one region, the files' bytes then the
 * pointer arrays. */
struct region {
	char *p;
	size_t len, cap;
};

/* What the last context_get mapped (one recording opens at a time). */
static struct region held;

void
context_capture(void)
{
	struct winsize ws;

	start.have_cwd = getcwd(start.cwd, sizeof start.cwd) != NULL;
	for (int fd = 0; fd <= 2; fd++) {
		if (ioctl(fd, TIOCGWINSZ, &ws) == 0) {
			start.cols = ws.ws_col;
			start.rows = ws.ws_row;
			break;
		}
	}
}

static int
grow(struct region *r, size_t need)
{
	if (r->len + need <= r->cap)
		return 0;
	size_t cap = r->cap ? r->cap : 65536;
	while (cap < r->len + need)
		cap *= 2;
	char *p = shim_pages(cap);
	if (p == NULL)
		return -1;
	if (r->p != NULL) {
		memcpy(p, r->p, r->len);
		shim_pages_free(r->p, r->cap);
	}
	r->p = p;
	r->cap = cap;
	return 0;
}

/* Append /proc/self/NAME's bytes, NUL-terminated; their offset in *OFF. */
static int
slurp(struct region *r, const char *name, size_t *off)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	*off = r->len;
	for (;;) {
		if (grow(r, 4097) != 0) {
			close(fd);
			return -1;
		}
		ssize_t n = read(fd, r->p + r->len, r->cap - r->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		r->len += (size_t)n;
	}
	close(fd);
	if (r->len == *off || r->p[r->len - 1] != '\0')
		r->p[r->len++] = '\0';
	return 0;
}

/* The number of strings in [OFF, END). */
static size_t
count(const struct region *r, size_t off, size_t end)
{
	size_t n = 0;
	for (size_t i = off; i < end; i++)
		n += r->p[i] == '\0';
	return n;
}

int
context_get(struct trace_context *c)
{
	struct region r = { 0 };
	size_t aoff, eoff, eend;

	context_release(c);
	if (slurp(&r, "cmdline", &aoff) != 0 || slurp(&r, "environ", &eoff) != 0) {
		if (r.p)
			shim_pages_free(r.p, r.cap);
		return -1;
	}
	eend = r.len;
	size_t na = count(&r, aoff, eoff), ne = count(&r, eoff, eend);
	/* Room for the arrays (argv, env, shim_env), aligned, and a record of
	 * the region's size at its start. */
	size_t at = (r.len + 15) & ~(size_t)15;
	size_t need = (na + 1 + 2 * (ne + 1)) * sizeof(char *);
	if (grow(&r, at - r.len + need) != 0) {
		shim_pages_free(r.p, r.cap);
		return -1;
	}
	char **v = (char **)(void *)(r.p + at);
	c->argv = v;
	c->env = v + na + 1;
	c->shim_env = c->env + ne + 1;
	size_t ia = 0, ie = 0, is = 0;
	for (size_t i = aoff; i < eoff; i += strlen(r.p + i) + 1)
		c->argv[ia++] = r.p + i;
	c->argv[ia] = NULL;
	for (size_t i = eoff; i < eend; i += strlen(r.p + i) + 1) {
		char *e = r.p + i;
		if (e[0] == '\0')
			continue;
		/* The control token is a secret the trace never needs. */
		if (strncmp(e, "HOOK_TOKEN=", 11) == 0)
			c->shim_env[is++] = (char *)"HOOK_TOKEN=(not recorded)";
		else if (launch_is_shim_var(e))
			c->shim_env[is++] = e;
		else
			c->env[ie++] = e;
		if (strncmp(e, "TERM=", 5) == 0)
			c->term = e + 5;
	}
	c->env[ie] = NULL;
	c->shim_env[is] = NULL;
	c->cwd = start.have_cwd ? start.cwd : "";
	c->cols = start.cols;
	c->rows = start.rows;
	held = r;
	return 0;
}

void
context_release(struct trace_context *c)
{
	if (held.p != NULL)
		shim_pages_free(held.p, held.cap);
	memset(&held, 0, sizeof held);
	memset(c, 0, sizeof *c);
}

size_t
context_bytes(const struct trace_context *c)
{
	char **lists[] = { c->argv, c->env, c->shim_env };
	size_t n = strlen(c->cwd) + 64;     /* cwd, size, TERM's tags */

	for (size_t k = 0; k < 3; k++)
		for (char **v = lists[k]; v && *v; v++)
			n += strlen(*v) + 8;        /* tag and length */
	if (c->term)
		n += strlen(c->term);
	return n;
}
