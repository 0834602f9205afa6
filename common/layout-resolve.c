/* Finding a layout's fields in the running process: loaded modules through
 * dl_iterate_phdr, symbols through libelf (.symtab, then .dynsym), offsets
 * from a module's load base. Runs in the game, off its hot paths. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layout.h"

#define MOD_MAX 256
#define SEG_MAX 16

struct module {
	char path[512];
	uintptr_t base;
	int nseg;
	struct { uintptr_t lo, hi; int writable, readable; } seg[SEG_MAX];
};

struct modlist {
	int n;
	struct module m[MOD_MAX];
};

static int
collect(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct modlist *ml = arg;
	(void)size;
	if (ml->n == MOD_MAX)
		return 1;
	struct module *m = &ml->m[ml->n];
	memset(m, 0, sizeof *m);
	m->base = info->dlpi_addr;
	if (ml->n == 0) {
		/* The executable: dl_iterate_phdr gives it no name. */
		ssize_t k = readlink("/proc/self/exe", m->path, sizeof m->path - 1);
		m->path[k > 0 ? k : 0] = '\0';
	} else {
		snprintf(m->path, sizeof m->path, "%s", info->dlpi_name);
	}
	for (int i = 0; i < info->dlpi_phnum && m->nseg < SEG_MAX; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		m->seg[m->nseg].lo = m->base + ph->p_vaddr;
		m->seg[m->nseg].hi = m->base + ph->p_vaddr + ph->p_memsz;
		m->seg[m->nseg].writable = (ph->p_flags & PF_W) != 0;
		m->seg[m->nseg].readable = (ph->p_flags & PF_R) != 0;
		m->nseg++;
	}
	ml->n++;
	return 0;
}

static const char *
base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* The module a field names: NULL for the executable. */
static struct module *
find_module(struct modlist *ml, const char *name)
{
	if (name == NULL)
		return &ml->m[0];
	for (int i = 1; i < ml->n; i++)
		if (strcmp(base_name(ml->m[i].path), name) == 0)
			return &ml->m[i];
	size_t n = strlen(name);
	for (int i = 1; i < ml->n; i++)
		if (strncmp(base_name(ml->m[i].path), name, n) == 0)
			return &ml->m[i];
	return NULL;
}

/* Look NAME up in PATH's .symtab, then .dynsym. Returns 0 with its value
 * (link-time address), or -1. */
static int
elf_symbol(const char *path, const char *name, uint64_t *value, char *why,
    size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	int found = -1;
	for (int pass = 0; e != NULL && pass < 2 && found != 0; pass++) {
		Elf_Scn *scn = NULL;
		while (found != 0 && (scn = elf_nextscn(e, scn)) != NULL) {
			GElf_Shdr sh;
			if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type !=
			    (pass == 0 ? SHT_SYMTAB : SHT_DYNSYM) || sh.sh_entsize == 0)
				continue;
			Elf_Data *d = elf_getdata(scn, NULL);
			size_t n = d ? sh.sh_size / sh.sh_entsize : 0;
			for (size_t i = 0; i < n; i++) {
				GElf_Sym s;
				if (gelf_getsym(d, (int)i, &s) == NULL ||
				    s.st_shndx == SHN_UNDEF || s.st_name == 0)
					continue;
				const char *sn = elf_strptr(e, sh.sh_link, s.st_name);
				if (sn != NULL && strcmp(sn, name) == 0) {
					*value = s.st_value;
					found = 0;
					break;
				}
			}
		}
	}
	if (e == NULL)
		snprintf(why, whylen, "%s is not ELF: %s", path, elf_errmsg(-1));
	else if (found != 0)
		snprintf(why, whylen, "no symbol '%s' in %s (.symtab and .dynsym)",
		    name, path);
	if (e != NULL)
		elf_end(e);
	close(fd);
	return found;
}

/* Find F's signature in M's readable segments. Returns the address the
 * signature leads to (the match, or the target of its rel32), or 0 with
 * WHY set when it matches nowhere or in more than one place. */
static uintptr_t
scan_signature(const struct module *m, const struct lt_field *f, char *why,
    size_t whylen)
{
	uintptr_t hits[4];
	int nhits = 0;

	for (int s = 0; s < m->nseg; s++) {
		if (!m->seg[s].readable)
			continue;
		const uint8_t *lo = (const uint8_t *)m->seg[s].lo;
		size_t len = m->seg[s].hi - m->seg[s].lo;
		for (size_t i = 0; i + f->sig_len <= len; i++) {
			size_t k = 0;
			while (k < f->sig_len &&
			    (lo[i + k] & f->sig_mask[k]) == f->sig[k])
				k++;
			if (k == f->sig_len) {
				if (nhits < 4)
					hits[nhits] = (uintptr_t)(lo + i);
				nhits++;
			}
		}
	}
	if (nhits != 1) {
		size_t o;
		if (nhits == 0)
			o = (size_t)snprintf(why, whylen, "the signature matches "
			    "nothing in %s's loaded segments", base_name(m->path));
		else
			o = (size_t)snprintf(why, whylen, "the signature matches "
			    "%d places (", nhits);
		for (int i = 0; i < nhits && i < 4 && o < whylen; i++)
			o += (size_t)snprintf(why + o, whylen - o, "%s0x%llx",
			    i ? ", " : "", (unsigned long long)(hits[i] - m->base));
		if (nhits && o < whylen)
			snprintf(why + o, whylen - o, "%s): make it longer",
			    nhits > 4 ? ", ..." : "");
		return 0;
	}
	if (f->sig_rip < 0)
		return hits[0];
	int32_t disp;
	memcpy(&disp, (const void *)(hits[0] + (uintptr_t)f->sig_rip), 4);
	uintptr_t end = hits[0] + (uintptr_t)(f->sig_rip_end >= 0 ?
	    f->sig_rip_end : f->sig_rip + 4);
	return end + (uintptr_t)(intptr_t)disp;
}

static int
in_segment(const struct module *m, uintptr_t lo, size_t len)
{
	for (int i = 0; i < m->nseg; i++)
		if (lo >= m->seg[i].lo && lo + len <= m->seg[i].hi)
			return 1;
	return 0;
}

int
layout_resolve(struct layout *l, const char *exe_build_id, char *err,
    size_t errlen)
{
	if (l->build_id[0] && strcmp(l->build_id, exe_build_id) != 0) {
		snprintf(err, errlen, "layout %s:1: build_id: written for build "
		    "%s, but the executable is build %s", l->source, l->build_id,
		    exe_build_id[0] ? exe_build_id : "(none)");
		return -1;
	}
	struct modlist *ml = malloc(sizeof *ml);
	if (ml == NULL) {
		snprintf(err, errlen, "layout %s: out of memory", l->source);
		return -1;
	}
	ml->n = 0;
	dl_iterate_phdr(collect, ml);
	int rc = 0;
	for (int i = 0; i < l->nfields && rc == 0; i++) {
		struct lt_field *f = &l->fields[i];
		struct module *m = find_module(ml, f->module);
		char why[700];
		rc = -1;
		if (m == NULL) {
			snprintf(err, errlen, "layout %s:%d: fields.%s.module: no "
			    "loaded library is called '%s'", l->source, f->line,
			    f->name, f->module);
			break;
		}
		uint64_t v = 0;
		if (f->symbol != NULL &&
		    elf_symbol(m->path, f->symbol, &v, why, sizeof why) != 0) {
			snprintf(err, errlen, "layout %s:%d: fields.%s.symbol: %s",
			    l->source, f->line, f->name, why);
			break;
		}
		if (f->sig != NULL) {
			uintptr_t a = scan_signature(m, f, why, sizeof why);
			if (a == 0) {
				snprintf(err, errlen, "layout %s:%d: fields.%s."
				    "signature: %s", l->source, f->line, f->name, why);
				break;
			}
			v = a - m->base;
		}
		f->addr = m->base + (uintptr_t)v + (uintptr_t)f->offset;
		size_t need = f->npointers ? sizeof(void *) : f->extent;
		if (!in_segment(m, f->addr, need)) {
			snprintf(err, errlen, "layout %s:%d: fields.%s: %s 0x%llx-"
			    "0x%llx lies outside %s's loaded segments",
			    l->source, f->line, f->name, f->npointers ?
			    "the pointer chain starts nowhere: its first pointer at" :
			    "bytes", (unsigned long long)(f->addr - m->base),
			    (unsigned long long)(f->addr - m->base + need - 1),
			    base_name(m->path));
			break;
		}
		rc = 0;
	}
	free(ml);
	return rc;
}

char *
layout_raw_json(char *err, size_t errlen)
{
	struct modlist *ml = malloc(sizeof *ml);
	if (ml == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ml->n = 0;
	dl_iterate_phdr(collect, ml);
	size_t cap = 4096, len = 0;
	char *out = malloc(cap);
	int nseg = 0;
	if (out != NULL)
		len = (size_t)snprintf(out, cap, "{\n  \"gamehook_layout\": 1,\n"
		    "  \"fields\": {");
	const struct module *m = &ml->m[0];
	for (int i = 0; out != NULL && ml->n > 0 && i < m->nseg; i++) {
		if (!m->seg[i].writable)
			continue;
		len += (size_t)snprintf(out + len, cap - len, "%s\n    \"seg%d\": "
		    "{ \"offset\": %llu, \"type\": \"|V%llu\" }", nseg ? "," : "",
		    nseg, (unsigned long long)(m->seg[i].lo - m->base),
		    (unsigned long long)(m->seg[i].hi - m->seg[i].lo));
		nseg++;
	}
	free(ml);
	if (out == NULL || nseg == 0) {
		snprintf(err, errlen, out ? "the executable has no writable "
		    "segment" : "out of memory");
		free(out);
		return NULL;
	}
	snprintf(out + len, cap - len, "\n  }\n}\n");
	return out;
}
