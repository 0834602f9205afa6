/* The game's terminal, emulated (see term.h). Hooks on any thread put the
 * bytes the game sends to a terminal into a ring of chunks: a chunk is
 * reserved by compare-and-swap on the head, filled, then committed by
 * storing its own position in its header, so no producer ever waits for
 * another (a signal handler writing over an interrupted write included).
 * The frame thread alone consumes, in order, at each boundary, into one
 * libvterm instance whose every allocation comes from an arena the shim
 * maps: the game's heap is never touched, so a run that reads the screen
 * every frame is the run that does not. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vterm.h>

#include "log.h"
#include "snapshot.h"
#include "term.h"

#define RING_SIZE (1u << 20)        /* bytes in flight between boundaries */
#define CHUNK_MAX (RING_SIZE / 4)
#define ARENA_SIZE (64u << 20)      /* reserved, touched as vterm needs it */
#define FD_CACHE 1024
#define STUCK_DRAINS 64             /* boundaries an unfinished write may take */

enum { FD_UNKNOWN, FD_TTY, FD_OTHER };

/* A chunk's header; POS is stored last, with release, to commit it. */
struct chunk {
	_Atomic uint64_t pos;
	uint32_t span;                  /* bytes the chunk takes, header included */
	uint32_t used;                  /* bytes of output in it (0: padding) */
};

static struct {
	uint8_t *mem;
	_Atomic uint64_t head, tail;
	_Atomic uint64_t lost;
	_Atomic int fd;                 /* the last terminal written to */
	_Atomic uint8_t tty[FD_CACHE];
	uint64_t stuck_at;              /* an uncommitted chunk seen at a drain */
	int stuck_count;                /* drains it has been seen at */
	/* the emulator: the frame thread's */
	VTerm *vt;
	VTermScreen *vs;
	VTermState *st;
	int rows, cols;
	int seen;
	/* for term_describe, on the control thread */
	_Atomic uint64_t bytes;         /* interpreted so far */
	_Atomic uint32_t size;          /* rows << 16 | cols */
	/* its arena */
	uint8_t *arena;
	size_t arena_used;
	void *free_list;
} tm = { .fd = -1 };

/* A block of the arena: its size, and the next free block while free. */
struct block {
	size_t size;
	struct block *next;
};

static void *
arena_malloc(size_t size, void *data)
{
	(void)data;
	size = (size + 15) & ~(size_t)15;
	for (struct block **pp = (struct block **)&tm.free_list; *pp != NULL;
	    pp = &(*pp)->next) {
		struct block *b = *pp;
		if (b->size >= size && b->size <= size * 2) {
			*pp = b->next;
			memset(b + 1, 0, b->size);
			return b + 1;
		}
	}
	if (tm.arena_used + sizeof(struct block) + size > ARENA_SIZE) {
		hlog("screen: the terminal emulator's arena is full");
		return NULL;
	}
	struct block *b = (struct block *)(tm.arena + tm.arena_used);
	tm.arena_used += sizeof *b + size;
	b->size = size;
	return b + 1;   /* fresh mapped memory is zero */
}

static void
arena_free(void *p, void *data)
{
	(void)data;
	if (p == NULL)
		return;
	struct block *b = (struct block *)p - 1;
	b->next = tm.free_list;
	tm.free_list = b;
}

static VTermAllocatorFunctions arena_fns = { arena_malloc, arena_free };

void
term_init(void)
{
	if (tm.mem != NULL)
		return;
	void *r = mmap(NULL, RING_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *a = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED || a == MAP_FAILED) {
		hlog("screen: cannot map the terminal's memory; output is not "
		    "interpreted");
		return;
	}
	/* Not the game's: a snapshot's load leaves the terminal as it is,
	 * as the real one stays. */
	snapshot_exclude(r, RING_SIZE);
	snapshot_exclude(a, ARENA_SIZE);
	tm.arena = a;
	atomic_store_explicit((_Atomic(uint8_t *) *)&tm.mem, r,
	    memory_order_release);
}

int
term_on(void)
{
	return atomic_load_explicit((_Atomic(uint8_t *) *)&tm.mem,
	    memory_order_relaxed) != NULL;
}

void
term_describe(char *buf, size_t cap)
{
	uint32_t size = atomic_load_explicit(&tm.size, memory_order_relaxed);
	snprintf(buf, cap, "{\"on\":%s,\"bytes\":%llu,\"lost\":%llu,"
	    "\"rows\":%u,\"cols\":%u}", term_on() ? "true" : "false",
	    (unsigned long long)atomic_load_explicit(&tm.bytes,
	    memory_order_relaxed), (unsigned long long)term_lost(),
	    size >> 16, size & 0xffff);
}

int
term_fd_is_tty(int fd)
{
	if (fd < 0)
		return 0;
	if (fd >= FD_CACHE)
		return isatty(fd);
	int v = atomic_load_explicit(&tm.tty[fd], memory_order_relaxed);
	if (v == FD_UNKNOWN) {
		int saved = errno;
		v = isatty(fd) ? FD_TTY : FD_OTHER;
		errno = saved;
		atomic_store_explicit(&tm.tty[fd], (uint8_t)v,
		    memory_order_relaxed);
	}
	return v == FD_TTY;
}

void
term_fd_forget(int fd)
{
	if (fd >= 0 && fd < FD_CACHE)
		atomic_store_explicit(&tm.tty[fd], FD_UNKNOWN,
		    memory_order_relaxed);
}

char *
term_reserve(int fd, size_t n, struct term_slot *s)
{
	uint8_t *mem = atomic_load_explicit((_Atomic(uint8_t *) *)&tm.mem,
	    memory_order_acquire);
	if (mem == NULL || n == 0)
		return NULL;
	if (n > CHUNK_MAX) {
		atomic_fetch_add_explicit(&tm.lost, n, memory_order_relaxed);
		return NULL;
	}
	uint64_t need = sizeof(struct chunk) + ((n + 15) & ~(size_t)15);
	uint64_t h = atomic_load_explicit(&tm.head, memory_order_relaxed);
	uint64_t pad;
	do {
		uint64_t off = h % RING_SIZE;
		/* A chunk never wraps: pad to the end first when it would. */
		pad = off + need > RING_SIZE ? RING_SIZE - off : 0;
		if (h + pad + need - atomic_load_explicit(&tm.tail,
		    memory_order_acquire) > RING_SIZE) {
			atomic_fetch_add_explicit(&tm.lost, n,
			    memory_order_relaxed);
			return NULL;
		}
	} while (!atomic_compare_exchange_weak_explicit(&tm.head, &h,
	    h + pad + need, memory_order_relaxed, memory_order_relaxed));
	if (pad) {
		struct chunk *p = (struct chunk *)(mem + h % RING_SIZE);
		p->span = (uint32_t)pad;
		p->used = 0;
		atomic_store_explicit(&p->pos, h, memory_order_release);
	}
	struct chunk *c = (struct chunk *)(mem + (h + pad) % RING_SIZE);
	c->span = (uint32_t)need;
	s->hdr = c;
	s->pos = h + pad;
	if (atomic_load_explicit(&tm.fd, memory_order_relaxed) != fd)
		atomic_store_explicit(&tm.fd, fd, memory_order_relaxed);
	return (char *)(c + 1);
}

void
term_commit(struct term_slot *s, size_t used)
{
	struct chunk *c = s->hdr;
	c->used = (uint32_t)used;
	atomic_store_explicit(&c->pos, s->pos, memory_order_release);
}

void
term_feed(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		size_t k = n < CHUNK_MAX ? n : CHUNK_MAX;
		struct term_slot s;
		char *dst = term_reserve(fd, k, &s);
		if (dst == NULL)
			return;
		memcpy(dst, p, k);
		term_commit(&s, k);
		p += k;
		n -= k;
	}
}

/* The terminal's answers (device attributes, cursor reports) go nowhere:
 * the real terminal gives its own. */
static void
discard_output(const char *s, size_t len, void *user)
{
	(void)s;
	(void)len;
	(void)user;
}

/* The terminal's size as the game's descriptor says, else 80x24. */
static void
tty_size(int *rows, int *cols)
{
	struct winsize ws;
	int fd = atomic_load_explicit(&tm.fd, memory_order_relaxed);
	if (fd >= 0 && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	} else {
		*rows = 24;
		*cols = 80;
	}
}

static int
emulator(void)
{
	if (tm.vt != NULL)
		return 0;
	tty_size(&tm.rows, &tm.cols);
	tm.vt = vterm_new_with_allocator(tm.rows, tm.cols, &arena_fns, NULL);
	if (tm.vt == NULL) {
		hlog("screen: cannot create the terminal emulator");
		return -1;
	}
	vterm_set_utf8(tm.vt, 1);
	vterm_output_set_callback(tm.vt, discard_output, NULL);
	tm.vs = vterm_obtain_screen(tm.vt);
	tm.st = vterm_obtain_state(tm.vt);
	vterm_screen_enable_altscreen(tm.vs, 1);
	vterm_screen_reset(tm.vs, 1);
	return 0;
}

void
term_drain(void)
{
	uint8_t *mem = atomic_load_explicit((_Atomic(uint8_t *) *)&tm.mem,
	    memory_order_acquire);
	if (mem == NULL)
		return;
	uint64_t t = atomic_load_explicit(&tm.tail, memory_order_relaxed);
	if (t == atomic_load_explicit(&tm.head, memory_order_acquire))
		return;
	if (emulator() != 0)
		return;
	int rows, cols;
	tty_size(&rows, &cols);
	if (rows != tm.rows || cols != tm.cols) {
		vterm_set_size(tm.vt, rows, cols);
		tm.rows = rows;
		tm.cols = cols;
	}
	while (t != atomic_load_explicit(&tm.head, memory_order_acquire)) {
		struct chunk *c = (struct chunk *)(mem + t % RING_SIZE);
		if (atomic_load_explicit(&c->pos, memory_order_acquire) != t) {
			/* Still being written, on another thread; or never
			 * to be (a signal handler that longjmp'd out of the
			 * write). Seen unfinished at many boundaries, it and
			 * everything queued after it are given up. */
			if (tm.stuck_at != t + 1) {
				tm.stuck_at = t + 1;
				tm.stuck_count = 0;
			}
			if (++tm.stuck_count < STUCK_DRAINS)
				break;
			uint64_t h = atomic_load_explicit(&tm.head,
			    memory_order_acquire);
			hlog("screen: a write to the terminal never finished; "
			    "%llu bytes queued after it dropped",
			    (unsigned long long)(h - t));
			atomic_fetch_add_explicit(&tm.lost, h - t,
			    memory_order_relaxed);
			tm.stuck_at = 0;
			atomic_store_explicit(&tm.tail, h, memory_order_release);
			break;
		}
		if (c->used > 0) {
			vterm_input_write(tm.vt, (const char *)(c + 1), c->used);
			atomic_fetch_add_explicit(&tm.bytes, c->used,
			    memory_order_relaxed);
			tm.seen = 1;
		}
		tm.stuck_at = 0;
		t += c->span;
		atomic_store_explicit(&tm.tail, t, memory_order_release);
	}
	atomic_store_explicit(&tm.size, (uint32_t)tm.rows << 16 |
	    (uint32_t)(tm.cols & 0xffff), memory_order_relaxed);
}

int
term_seen(void)
{
	return tm.seen;
}

void
term_size(int *rows, int *cols)
{
	*rows = tm.rows;
	*cols = tm.cols;
}

void
term_cursor(int *row, int *col)
{
	VTermPos p = { 0, 0 };
	if (tm.st != NULL)
		vterm_state_get_cursorpos(tm.st, &p);
	*row = p.row;
	*col = p.col;
}

uint64_t
term_lost(void)
{
	return atomic_load_explicit(&tm.lost, memory_order_relaxed);
}

size_t
term_utf8(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c >= 0xd800 && c < 0xe000)
		c = 0xfffd;          /* a lone surrogate is no character */
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	if (c > 0x10ffff)
		return term_utf8(0xfffd, out);
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

size_t
term_row(int y, char *out, size_t cap)
{
	size_t n = 0, keep = 0;

	if (tm.vs == NULL || y < 0 || y >= tm.rows || cap == 0)
		return 0;
	for (int x = 0; x < tm.cols; x++) {
		VTermScreenCell cell;
		VTermPos p = { y, x };
		if (!vterm_screen_get_cell(tm.vs, p, &cell))
			break;
		uint32_t c0 = cell.chars[0];
		if (c0 > 0x10ffff)
			continue;           /* the right half of a wide character */
		char mb[4];
		size_t m = term_utf8(c0 ? c0 : ' ', mb);
		if (n + m >= cap)
			break;
		memcpy(out + n, mb, m);
		n += m;
		/* Combining marks follow up to a 0; libvterm copies no further,
		 * so an empty cell's chars[1] is not to be read. */
		for (int k = 1; c0 != 0 && k < VTERM_MAX_CHARS_PER_CELL &&
		    cell.chars[k]; k++) {
			m = term_utf8(cell.chars[k], mb);
			if (n + m >= cap)
				break;
			memcpy(out + n, mb, m);
			n += m;
		}
		if (c0 != 0 && c0 != ' ')
			keep = n;
	}
	out[keep] = '\0';
	return keep;
}

/* A cell's colour as JSON: -1 for the terminal's default, the palette
 * index, or "#rrggbb". */
static int
color_json(const VTermColor *c, int is_bg, char *out, size_t cap)
{
	if (is_bg ? VTERM_COLOR_IS_DEFAULT_BG(c) : VTERM_COLOR_IS_DEFAULT_FG(c))
		return snprintf(out, cap, "-1");
	if (VTERM_COLOR_IS_INDEXED(c))
		return snprintf(out, cap, "%u", c->indexed.idx);
	return snprintf(out, cap, "\"#%02x%02x%02x\"", c->rgb.red,
	    c->rgb.green, c->rgb.blue);
}

/* A cell's attributes as letters: b bold, u underline, i italic, k blink,
 * r reverse, s strike. */
static void
attr_letters(const VTermScreenCellAttrs *a, char *out)
{
	size_t n = 0;
	if (a->bold)
		out[n++] = 'b';
	if (a->underline)
		out[n++] = 'u';
	if (a->italic)
		out[n++] = 'i';
	if (a->blink)
		out[n++] = 'k';
	if (a->reverse)
		out[n++] = 'r';
	if (a->strike)
		out[n++] = 's';
	out[n] = '\0';
}

int
term_row_attrs(int y, char *buf, size_t cap, size_t *len)
{
	char run[96], cur[96];
	int count = 0;
	size_t n = *len;

	if (n + 2 >= cap)
		return -1;
	buf[n++] = '[';
	for (int x = 0; tm.vs != NULL && x <= tm.cols; x++) {
		cur[0] = '\0';
		if (x < tm.cols) {
			VTermScreenCell cell;
			VTermPos p = { y, x };
			if (!vterm_screen_get_cell(tm.vs, p, &cell))
				break;
			char fg[16], bg[16], at[8];
			color_json(&cell.fg, 0, fg, sizeof fg);
			color_json(&cell.bg, 1, bg, sizeof bg);
			attr_letters(&cell.attrs, at);
			snprintf(cur, sizeof cur, "%s,%s,\"%s\"", fg, bg, at);
			if (count > 0 && strcmp(cur, run) == 0) {
				count++;
				continue;
			}
		}
		if (count > 0) {
			int w = snprintf(buf + n, cap - n, "%s[%d,%s]",
			    buf[n - 1] == '[' ? "" : ",", count, run);
			if (w < 0 || (size_t)w >= cap - n)
				return -1;
			n += (size_t)w;
		}
		memcpy(run, cur, sizeof run);
		count = 1;
	}
	if (n + 2 >= cap)
		return -1;
	buf[n++] = ']';
	buf[n] = '\0';
	*len = n;
	return 0;
}
