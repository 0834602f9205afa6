/* Where snapshots keep the game's memory (see snapshot-image.h).
 *
 * Why memfds: a save under a new name should cost what the game wrote
 * since an earlier snapshot, not its whole memory. A root image lives in
 * a memfd; a child maps the root's memfd privately over the addresses
 * they share, so the pages the game has not written since the root's
 * mark are the root's own page cache (no copy, no memory), and copies
 * from the game only the pages written since (write tracking knows them)
 * and the memory the root does not cover. A child's own pages are
 * anonymous copies-on-write: nobody can map them in turn, so a new save
 * always stands on a root, never on a chain of children. A root is
 * written in place (a save over its name) only while no child maps it;
 * after that a save over its name makes a child of it instead, and the
 * root's memfd lives on while a child maps it.
 *
 * The descriptors are close-on-exec, moved above the game's usual range,
 * and checked (device and inode) before each use: a game that closed
 * them, or opened something else in their place, gets full copies. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot-image.h"
#include "wtrack.h"

/* At most one root per snapshot, and the one a save under way makes. */
#define ROOT_MAX (SNAPSHOT_MAX + 2)
#define PIECE_MAX (2 * SNAPSHOT_REGIONS)

struct root {
	int refs;                   /* images mapping it; 0: a free slot */
	int owned;                  /* its own shared mapping is still kept */
	int fd;
	dev_t dev;
	ino_t ino;
	size_t size;
	uint32_t mark;              /* its regions' bytes are those of MARK */
	int n;
	struct mrange region[SNAPSHOT_REGIONS];
};

static struct root roots[ROOT_MAX];

/* Pieces of a new image: its offset, the root's, the length. */
static struct piece {
	size_t off, roff, len;
} piece[PIECE_MAX];

/* --- copying ------------------------------------------------------------ */

struct copy_arg {
	uintptr_t lo;               /* the range's start */
	uint8_t *img;               /* its bytes in the image */
	int to_game;
	size_t n;
};

static int
copy_run(uintptr_t lo, uintptr_t hi, void *arg)
{
	struct copy_arg *c = arg;
	if (c->to_game)
		memcpy((void *)lo, c->img + (lo - c->lo), hi - lo);
	else
		memcpy(c->img + (lo - c->lo), (const void *)lo, hi - lo);
	c->n += hi - lo;
	return 0;
}

size_t
simg_copy(uintptr_t lo, uintptr_t hi, uint8_t *img, uint32_t mark,
    int to_game)
{
	struct copy_arg c = { lo, img, to_game, 0 };
	if (mark != 0 && wtrack_written(mark, lo, hi, copy_run, &c) >= 0)
		return c.n;
	if (to_game)
		memcpy((void *)lo, img, hi - lo);
	else
		memcpy(img, (const void *)lo, hi - lo);
	return hi - lo;
}

static int
count_run(uintptr_t lo, uintptr_t hi, void *arg)
{
	*(size_t *)arg += hi - lo;
	return 0;
}

/* --- pieces: the new regions against a root's ---------------------------- */

/* Call FN for each piece of R[0..N) laid end to end: its addresses, its
 * offset in the new image, and where root T holds the same addresses its
 * offset in T's memfd, else (size_t)-1. Both lists are sorted. */
static void
pieces_each(const struct root *t, const struct mrange *r, int n,
    void (*fn)(uintptr_t lo, uintptr_t hi, size_t off, size_t roff,
    void *arg), void *arg)
{
	size_t off = 0, roff = 0;   /* roff: where t->region[j] starts */
	int j = 0;

	for (int i = 0; i < n; i++) {
		uintptr_t pos = r[i].lo;
		while (j < t->n && t->region[j].hi <= pos) {
			roff += t->region[j].hi - t->region[j].lo;
			j++;
		}
		while (pos < r[i].hi) {
			if (j < t->n && t->region[j].lo < r[i].hi) {
				struct mrange q = t->region[j];
				if (q.lo > pos) {
					fn(pos, q.lo, off + (pos - r[i].lo), (size_t)-1, arg);
					pos = q.lo;
				}
				uintptr_t e = q.hi < r[i].hi ? q.hi : r[i].hi;
				fn(pos, e, off + (pos - r[i].lo), roff + (pos - q.lo), arg);
				pos = e;
				if (q.hi <= r[i].hi) {
					roff += q.hi - q.lo;
					j++;
				}
			} else {
				fn(pos, r[i].hi, off + (pos - r[i].lo), (size_t)-1, arg);
				pos = r[i].hi;
			}
		}
		off += r[i].hi - r[i].lo;
	}
}

struct cost_arg {
	uint32_t mark;
	size_t cost;
};

static void
cost_piece(uintptr_t lo, uintptr_t hi, size_t off, size_t roff, void *arg)
{
	struct cost_arg *c = arg;
	(void)off;
	if (roff == (size_t)-1 || wtrack_written(c->mark, lo, hi, count_run,
	    &c->cost) < 0)
		c->cost += hi - lo;
}

struct map_arg {
	int n;                      /* pieces; -1: too many */
};

static void
map_piece(uintptr_t lo, uintptr_t hi, size_t off, size_t roff, void *arg)
{
	struct map_arg *m = arg;
	(void)lo;
	if (roff == (size_t)-1 || m->n < 0)
		return;
	if (m->n > 0 && piece[m->n - 1].off + piece[m->n - 1].len == off &&
	    piece[m->n - 1].roff + piece[m->n - 1].len == roff) {
		piece[m->n - 1].len += hi - lo;
		return;
	}
	if (m->n == PIECE_MAX) {
		m->n = -1;
		return;
	}
	piece[m->n].off = off;
	piece[m->n].roff = roff;
	piece[m->n].len = hi - lo;
	m->n++;
}

struct fill_arg {
	uint8_t *img;
	uint32_t mark;
	size_t n;
};

static void
fill_piece(uintptr_t lo, uintptr_t hi, size_t off, size_t roff, void *arg)
{
	struct fill_arg *f = arg;
	f->n += simg_copy(lo, hi, f->img + off, roff == (size_t)-1 ? 0 : f->mark,
	    0);
}

/* --- roots --------------------------------------------------------------- */

/* Whether root T's descriptor is still the memfd it made. */
static int
root_fd_ok(const struct root *t)
{
	struct stat st;
	return fstat(t->fd, &st) == 0 && st.st_dev == t->dev &&
	    st.st_ino == t->ino;
}

/* FD moved out of the game's usual range (a game may count on low
 * numbers, or on select's 1024): above half its descriptor limit. */
static int
fd_out_of_the_way(int fd)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < 64)
		return fd;
	long min = rl.rlim_cur >= 2048 ? 1024 : (long)rl.rlim_cur / 2;
	if (fd >= min)
		return fd;
	int hi = fcntl(fd, F_DUPFD_CLOEXEC, min);
	if (hi < 0)
		return fd;
	close(fd);
	return hi;
}

int
simg_new_root(struct snap_image *im, size_t size, const struct mrange *r,
    int n, uint32_t mark, char *err, size_t errlen)
{
	struct root *t = NULL;
	struct stat st;

	if (n > SNAPSHOT_REGIONS) {
		snprintf(err, errlen, "more than %d memory regions",
		    SNAPSHOT_REGIONS);
		return -1;
	}
	for (int i = 0; i < ROOT_MAX && t == NULL; i++)
		if (roots[i].refs == 0)
			t = &roots[i];
	if (t == NULL) {
		snprintf(err, errlen, "no room for another snapshot image");
		return -1;
	}
	int fd = memfd_create("gamehook-snapshot", MFD_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "memfd_create: %s", strerror(errno));
		return -1;
	}
	fd = fd_out_of_the_way(fd);
	void *p = MAP_FAILED;
	if (ftruncate(fd, (off_t)size) == 0 && fstat(fd, &st) == 0)
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "no memory for a %zu-byte snapshot: %s",
		    size, strerror(errno));
		close(fd);
		return -1;
	}
	memset(t, 0, sizeof *t - sizeof t->region);
	t->refs = 1;
	t->owned = 1;
	t->fd = fd;
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	t->size = size;
	t->mark = mark;
	t->n = n;
	memcpy(t->region, r, sizeof *r * (size_t)n);
	im->mem = p;
	im->size = size;
	im->root = (int)(t - roots);
	im->owner = 1;
	snapshot_exclude(p, size);
	return 0;
}

int
simg_best_root(const struct mrange *r, int n, size_t *cost)
{
	int best = -1;
	for (int i = 0; i < ROOT_MAX; i++) {
		struct root *t = &roots[i];
		if (t->refs == 0 || t->mark == 0 || !root_fd_ok(t))
			continue;
		struct cost_arg c = { t->mark, 0 };
		pieces_each(t, r, n, cost_piece, &c);
		if (best < 0 || c.cost < *cost) {
			best = i;
			*cost = c.cost;
		}
	}
	return best;
}

int
simg_new_child(struct snap_image *im, size_t size, int root,
    const struct mrange *r, int n, char *err, size_t errlen)
{
	struct root *t = &roots[root];
	struct map_arg m = { 0 };

	pieces_each(t, r, n, map_piece, &m);
	if (m.n < 0) {
		snprintf(err, errlen, "too many pieces to share");
		return -1;
	}
	uint8_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "no memory for a %zu-byte snapshot", size);
		return -1;
	}
	for (int i = 0; i < m.n; i++)
		if (mmap(p + piece[i].off, piece[i].len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, t->fd,
		    (off_t)piece[i].roff) == MAP_FAILED) {
			snprintf(err, errlen, "mapping a snapshot's memfd: %s",
			    strerror(errno));
			munmap(p, size);
			return -1;
		}
	t->refs++;
	im->mem = p;
	im->size = size;
	im->root = root;
	im->owner = 0;
	snapshot_exclude(p, size);
	return 0;
}

size_t
simg_fill(struct snap_image *im, const struct mrange *r, int n)
{
	if (im->owner || im->root < 0) {
		size_t off = 0;
		for (int i = 0; i < n; i++) {
			memcpy(im->mem + off, (const void *)r[i].lo, r[i].hi - r[i].lo);
			off += r[i].hi - r[i].lo;
		}
		return off;
	}
	struct fill_arg f = { im->mem, roots[im->root].mark, 0 };
	pieces_each(&roots[im->root], r, n, fill_piece, &f);
	return f.n;
}

int
simg_writable(const struct snap_image *im)
{
	return im->mem != NULL && (!im->owner || roots[im->root].refs == 1);
}

void
simg_saved_in_place(struct snap_image *im, const struct mrange *r, int n,
    uint32_t mark)
{
	if (!im->owner)
		return;
	struct root *t = &roots[im->root];
	/* A root of more regions than it can record stands for nothing. */
	t->mark = n <= SNAPSHOT_REGIONS ? mark : 0;
	t->n = n <= SNAPSHOT_REGIONS ? n : 0;
	memcpy(t->region, r, sizeof *r * (size_t)t->n);
}

static void
root_unref(int i)
{
	struct root *t = &roots[i];
	if (--t->refs > 0)
		return;
	close(t->fd);
	t->fd = -1;
}

void
simg_free(struct snap_image *im)
{
	if (im == NULL || im->mem == NULL)
		return;
	snapshot_unexclude(im->mem);
	munmap(im->mem, im->size);
	if (im->root >= 0) {
		if (im->owner)
			roots[im->root].owned = 0;
		root_unref(im->root);
	}
	im->mem = NULL;
	im->root = -1;
}

void
simg_stats(int *nroots, size_t *root_bytes, int *children)
{
	*nroots = 0;
	*root_bytes = 0;
	*children = 0;
	for (int i = 0; i < ROOT_MAX; i++) {
		if (roots[i].refs == 0)
			continue;
		(*nroots)++;
		*root_bytes += roots[i].size;
		*children += roots[i].refs - roots[i].owned;
	}
}
