/* Module offsets and the pointer scan (see scan-ptr.h). The search goes
 * backwards from the target, a level a pass over the game's memory: the
 * words pointing at most RANGE bytes before an address of the level are
 * the next level's addresses; one in a module's writable data ends a
 * chain. Its nodes are static arrays (the shim's own data): nothing is
 * allocated (it runs on the game's main thread, whose heap is the game's). */
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan-ptr.h"

#define MOD_MAX 64
#define SEG_MAX 8
/* Addresses a level may hold: the nearest ones are kept. */
#define LEVEL_MAX 4096

struct module {
	char name[256];
	uintptr_t base;
	int nseg;
	uintptr_t lo[SEG_MAX], hi[SEG_MAX];
};

static struct module mods[MOD_MAX];
static int nmods;

struct node {
	uintptr_t addr;   /* where a pointer (or the target) is */
	int parent;       /* the node it points into; -1: the target */
	intptr_t k;       /* what is added to the pointer read here */
};

static struct node nodes[LEVEL_MAX * (SCANPTR_DEPTH_MAX + 1)];
static int nnodes;
/* The current level's nodes by address, for the binary search. */
static int level_sorted[LEVEL_MAX];

static int
one_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	uintptr_t own = (uintptr_t)arg;
	if (nmods == MOD_MAX || info->dlpi_addr == own ||
	    strstr(info->dlpi_name, "linux-vdso") != NULL)
		return 0;
	struct module *m = &mods[nmods];
	const char *slash = strrchr(info->dlpi_name, '/');
	snprintf(m->name, sizeof m->name, "%s", slash ? slash + 1 :
	    info->dlpi_name);
	m->base = info->dlpi_addr;
	m->nseg = 0;
	for (int i = 0; i < info->dlpi_phnum && m->nseg < SEG_MAX; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		m->lo[m->nseg] = info->dlpi_addr + ph->p_vaddr;
		m->hi[m->nseg] = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
		m->nseg++;
	}
	/* The main executable is first in the loader's list; its name is
	 * "" as the layout's "module" wants. */
	if (m->nseg > 0)
		nmods++;
	return 0;
}

/* The loaded modules' writable segments, less the shim's. */
static void
load_modules(void)
{
	Dl_info di;
	struct link_map *lm = NULL;
	uintptr_t own = 0;

	if (dladdr1((void *)&mods, &di, (void **)&lm, RTLD_DL_LINKMAP) != 0 &&
	    lm != NULL)
		own = lm->l_addr;
	nmods = 0;
	dl_iterate_phdr(one_module, (void *)own);
}

/* The module whose data holds ADDR: its index, or -1. */
static int
module_of(uintptr_t addr)
{
	for (int i = 0; i < nmods; i++)
		for (int s = 0; s < mods[i].nseg; s++)
			if (addr >= mods[i].lo[s] && addr < mods[i].hi[s])
				return i;
	return -1;
}

int
scanptr_static(uintptr_t addr, struct scanptr_chain *out)
{
	load_modules();
	int m = module_of(addr);
	if (m < 0)
		return 0;
	memset(out, 0, sizeof *out);
	snprintf(out->module, sizeof out->module, "%s", mods[m].name);
	out->offset = addr - mods[m].base;
	return 1;
}

/* Sort the level's node indexes by address: a Shell sort in place, as
 * glibc's qsort may take memory from the game's heap for its buffer. */
static void
sort_level(int *v, int n)
{
	static const int gaps[] = { 1750, 701, 301, 132, 57, 23, 10, 4, 1 };
	for (size_t g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
		int gap = gaps[g];
		for (int i = gap; i < n; i++) {
			int x = v[i], j = i;
			while (j >= gap && nodes[v[j - gap]].addr > nodes[x].addr) {
				v[j] = v[j - gap];
				j -= gap;
			}
			v[j] = x;
		}
	}
}

static void
chain_of(int n, int mod, struct scanptr_chain *out)
{
	memset(out, 0, sizeof *out);
	snprintf(out->module, sizeof out->module, "%s", mods[mod].name);
	out->offset = nodes[n].addr - mods[mod].base;
	for (int i = n; nodes[i].parent >= 0 && out->nptr < SCANPTR_DEPTH_MAX;
	    i = nodes[i].parent)
		out->ptr[out->nptr++] = nodes[i].k;
}

int
scanptr_find(uintptr_t target, const struct scan_region *mem, int nmem,
    int depth, uintptr_t range, struct scanptr_chain *out, char *err,
    size_t errlen)
{
	int best = -1, best_mod = -1;

	if (depth < 1 || depth > SCANPTR_DEPTH_MAX) {
		snprintf(err, errlen, "a pointer chain has 1 to %d steps",
		    SCANPTR_DEPTH_MAX);
		return -1;
	}
	load_modules();
	nnodes = 0;
	nodes[nnodes++] = (struct node){ target, -1, 0 };
	int first = 0, count = 1;
	for (int level = 1; level <= depth && count > 0; level++) {
		for (int i = 0; i < count; i++)
			level_sorted[i] = first + i;
		sort_level(level_sorted, count);
		uintptr_t lo_all = nodes[level_sorted[0]].addr > range ?
		    nodes[level_sorted[0]].addr - range : 0;
		uintptr_t hi_all = nodes[level_sorted[count - 1]].addr;
		int next = nnodes, added = 0;
		for (int r = 0; r < nmem; r++) {
			const uintptr_t *w = (const uintptr_t *)mem[r].lo;
			size_t nw = (mem[r].hi - mem[r].lo) / sizeof *w;
			for (size_t i = 0; i < nw; i++) {
				uintptr_t v = w[i];
				if (v < lo_all || v > hi_all)
					continue;
				/* The first address of the level at or above v. */
				int a = 0, b = count;
				while (a < b) {
					int m = (a + b) / 2;
					if (nodes[level_sorted[m]].addr < v)
						a = m + 1;
					else
						b = m;
				}
				if (a == count || nodes[level_sorted[a]].addr - v > range)
					continue;
				int parent = level_sorted[a];
				uintptr_t at = (uintptr_t)&w[i];
				if (at == nodes[parent].addr)
					continue;   /* a pointer to itself */
				int mod = module_of(at);
				intptr_t k = (intptr_t)(nodes[parent].addr - v);
				if (mod >= 0) {
					/* A chain: the executable's, then the
					 * shortest, then the smallest offset. */
					if (best >= 0 && (best_mod == 0 || mod != 0))
						continue;
					if (nnodes == (int)(sizeof nodes / sizeof nodes[0]))
						continue;
					nodes[nnodes] = (struct node){ at, parent, k };
					best = nnodes++;
					best_mod = mod;
					continue;
				}
				if (added == LEVEL_MAX || nnodes ==
				    (int)(sizeof nodes / sizeof nodes[0]))
					continue;
				nodes[nnodes++] = (struct node){ at, parent, k };
				added++;
			}
		}
		if (best >= 0 && best_mod == 0)
			break;
		first = next;
		count = added;
	}
	if (best < 0)
		return 0;
	chain_of(best, best_mod, out);
	return 1;
}
