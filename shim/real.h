/* The real functions behind the shim's hooks: one X-macro list generates
 * the pointers and the single function that resolves them. */
#ifndef GH_REAL_H
#define GH_REAL_H

#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/types.h>
#include <time.h>

/* ret, name, parameters, arguments */
#define REAL_LIBC(X) \
	X(int, clock_gettime, (clockid_t c, struct timespec *t), (c, t)) \
	X(int, gettimeofday, (struct timeval *tv, void *tz), (tv, tz)) \
	X(time_t, time, (time_t *t), (t)) \
	X(int, nanosleep, (const struct timespec *r, struct timespec *m), (r, m)) \
	X(int, clock_nanosleep, (clockid_t c, int f, const struct timespec *r, \
	    struct timespec *m), (c, f, r, m)) \
	X(int, usleep, (useconds_t u), (u)) \
	X(unsigned int, sleep, (unsigned int s), (s)) \
	X(int, poll, (struct pollfd *f, nfds_t n, int t), (f, n, t)) \
	X(int, ppoll, (struct pollfd *f, nfds_t n, const struct timespec *t, \
	    const sigset_t *s), (f, n, t, s)) \
	X(int, select, (int n, fd_set *r, fd_set *w, fd_set *e, \
	    struct timeval *t), (n, r, w, e, t)) \
	X(int, pselect, (int n, fd_set *r, fd_set *w, fd_set *e, \
	    const struct timespec *t, const sigset_t *s), (n, r, w, e, t, s)) \
	X(ssize_t, read, (int fd, void *b, size_t n), (fd, b, n)) \
	X(int, pthread_create, (pthread_t *t, const pthread_attr_t *a, \
	    void *(*f)(void *), void *arg), (t, a, f, arg)) \
	X(int, pthread_join, (pthread_t t, void **r), (t, r)) \
	X(void, srand, (unsigned int s), (s)) \
	X(void, srandom, (unsigned int s), (s)) \
	X(void, srand48, (long s), (s)) \
	X(unsigned short *, seed48, (unsigned short *v), (v)) \
	X(void, lcong48, (unsigned short *p), (p)) \
	X(ssize_t, getrandom, (void *b, size_t n, unsigned int f), (b, n, f)) \
	X(int, getentropy, (void *b, size_t n), (b, n)) \
	X(unsigned int, arc4random, (void), ()) \
	X(void, arc4random_buf, (void *b, size_t n), (b, n)) \
	X(unsigned int, arc4random_uniform, (unsigned int u), (u)) \
	X(int, open, (const char *p, int f, ...), (p, f)) \
	X(int, open64, (const char *p, int f, ...), (p, f)) \
	X(int, openat, (int d, const char *p, int f, ...), (d, p, f)) \
	X(int, openat64, (int d, const char *p, int f, ...), (d, p, f)) \
	X(void *, fopen, (const char *p, const char *m), (p, m)) /* FILE * */ \
	X(void *, fopen64, (const char *p, const char *m), (p, m)) \
	X(int, close, (int fd), (fd)) \
	X(int, timer_create, (clockid_t c, struct sigevent *e, timer_t *t), \
	    (c, e, t)) \
	X(int, timer_settime, (timer_t t, int f, const struct itimerspec *n, \
	    struct itimerspec *o), (t, f, n, o)) \
	X(int, timer_gettime, (timer_t t, struct itimerspec *c), (t, c)) \
	X(int, timer_getoverrun, (timer_t t), (t)) \
	X(int, timer_delete, (timer_t t), (t)) \
	X(int, pthread_cond_timedwait, (pthread_cond_t *c, pthread_mutex_t *m, \
	    const struct timespec *t), (c, m, t)) \
	X(int, pthread_cond_clockwait, (pthread_cond_t *c, pthread_mutex_t *m, \
	    clockid_t k, const struct timespec *t), (c, m, k, t)) \
	X(int, sem_timedwait, (sem_t *s, const struct timespec *t), (s, t)) \
	X(int, sem_clockwait, (sem_t *s, clockid_t k, const struct timespec *t), \
	    (s, k, t)) \
	X(int, pthread_mutex_timedlock, (pthread_mutex_t *m, \
	    const struct timespec *t), (m, t)) \
	X(int, pthread_mutex_clocklock, (pthread_mutex_t *m, clockid_t k, \
	    const struct timespec *t), (m, k, t)) \
	X(int, pthread_timedjoin_np, (pthread_t p, void **r, \
	    const struct timespec *t), (p, r, t)) \
	X(int, pthread_clockjoin_np, (pthread_t p, void **r, clockid_t k, \
	    const struct timespec *t), (p, r, k, t)) \
	X(int, getchar, (void), ()) \
	X(int, getchar_unlocked, (void), ()) \
	X(int, getc, (FILE *f), (f)) \
	X(int, getc_unlocked, (FILE *f), (f)) \
	X(int, fgetc, (FILE *f), (f)) \
	X(int, fgetc_unlocked, (FILE *f), (f)) \
	X(int, _IO_getc, (FILE *f), (f)) \
	X(char *, fgets, (char *s, int n, FILE *f), (s, n, f)) \
	X(char *, fgets_unlocked, (char *s, int n, FILE *f), (s, n, f)) \
	X(size_t, fread, (void *p, size_t s, size_t n, FILE *f), (p, s, n, f)) \
	X(size_t, fread_unlocked, (void *p, size_t s, size_t n, FILE *f), \
	    (p, s, n, f)) \
	X(ssize_t, getdelim, (char **l, size_t *c, int d, FILE *f), \
	    (l, c, d, f)) \
	X(int, vfscanf, (FILE *f, const char *m, va_list a), (f, m, a)) \
	X(int, __isoc99_vfscanf, (FILE *f, const char *m, va_list a), (f, m, a)) \
	X(ssize_t, write, (int fd, const void *b, size_t n), (fd, b, n)) \
	X(ssize_t, writev, (int fd, const struct iovec *v, int n), (fd, v, n)) \
	X(ssize_t, pwrite, (int fd, const void *b, size_t n, off_t o), \
	    (fd, b, n, o)) \
	X(ssize_t, pwrite64, (int fd, const void *b, size_t n, off_t o), \
	    (fd, b, n, o)) \
	X(int, dup2, (int a, int b), (a, b)) \
	X(int, dup3, (int a, int b, int f), (a, b, f)) \
	X(int, vfprintf, (void *f, const char *s, va_list ap), (f, s, ap)) \
	X(int, vdprintf, (int fd, const char *s, va_list ap), (fd, s, ap)) \
	X(int, __vfprintf_chk, (void *f, int fl, const char *s, va_list ap), \
	    (f, fl, s, ap)) \
	X(int, __vdprintf_chk, (int fd, int fl, const char *s, va_list ap), \
	    (fd, fl, s, ap)) \
	X(int, puts, (const char *s), (s)) \
	X(int, fputs, (const char *s, void *f), (s, f)) \
	X(int, fputs_unlocked, (const char *s, void *f), (s, f)) \
	X(int, putchar, (int c), (c)) \
	X(int, putchar_unlocked, (int c), (c)) \
	X(int, putc, (int c, void *f), (c, f)) \
	X(int, putc_unlocked, (int c, void *f), (c, f)) \
	X(int, fputc, (int c, void *f), (c, f)) \
	X(int, fputc_unlocked, (int c, void *f), (c, f)) \
	X(size_t, fwrite, (const void *p, size_t s, size_t n, void *f), \
	    (p, s, n, f)) \
	X(size_t, fwrite_unlocked, (const void *p, size_t s, size_t n, void *f), \
	    (p, s, n, f)) \
	X(int, pthread_cond_wait, (pthread_cond_t *c, pthread_mutex_t *m), \
	    (c, m)) \
	X(int, cnd_wait, (void *c, void *m), (c, m)) /* cnd_t *, mtx_t * */ \
	X(int, sem_wait, (sem_t *s), (s)) \
	X(size_t, malloc_usable_size, (void *p), (p))

/* Curses entry points, present only when the game links ncurses; void *
 * stands for WINDOW *. */
#define REAL_CURSES(X) \
	X(int, wgetch, (void *w), (w)) \
	X(int, getch, (void), ()) \
	X(int, wget_wch, (void *w, unsigned int *c), (w, c)) \
	X(int, get_wch, (unsigned int *c), (c)) \
	X(int, doupdate, (void), ()) \
	X(int, doupdate_sp, (void *s), (s)) \
	X(int, wrefresh, (void *w), (w)) \
	X(int, wgetdelay, (const void *w), (w)) \
	X(int, is_keypad, (const void *w), (w)) \
	X(int, is_wintouched, (void *w), (w)) \
	X(void, wtimeout, (void *w, int d), (w, d)) \
	X(int, winnstr, (void *w, char *s, int n), (w, s, n)) \
	X(int, wmove, (void *w, int y, int x), (w, y, x)) \
	X(int, getcury, (const void *w), (w)) \
	X(int, getcurx, (const void *w), (w)) \
	X(int, getmaxy, (const void *w), (w)) \
	X(int, getmaxx, (const void *w), (w)) \
	X(int, win_wchnstr, (void *w, void *s, int n), (w, s, n)) \
	X(int, getcchar, (const void *c, wchar_t *wc, void *a, short *p, \
	    void *o), (c, wc, a, p, o)) \
	X(int, winchnstr, (void *w, void *s, int n), (w, s, n)) \
	X(int, halfdelay, (int t), (t)) \
	X(int, cbreak, (void), ()) \
	X(int, nocbreak, (void), ()) \
	X(int, raw, (void), ()) \
	X(int, noraw, (void), ()) \
	X(int, nl, (void), ()) \
	X(int, nonl, (void), ())

#define REAL_DECLARE(ret, name, params, args) \
	extern ret (*real_##name) params;
REAL_LIBC(REAL_DECLARE)
REAL_CURSES(REAL_DECLARE)
#undef REAL_DECLARE

/* curses' own curscr (the screen as it was last drawn) and stdscr, or
 * NULL while curses is not loaded. */
extern void **real_curscr;
extern void **real_stdscr;

/* real_stdscr, resolving curses first if needed; NULL without curses. */
void **real_resolve_stdscr(void);

/* Resolve every pointer with dlsym(RTLD_NEXT). Called once from the
 * constructor; safe to call again (only missing names are looked up). */
void real_resolve(void);

/* Look up the curses names again, for a game that loaded ncurses with
 * dlopen after start-up. Not for hot paths. */
void real_resolve_curses(void);

#endif
