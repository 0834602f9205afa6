/* A test game that draws from every source of randomness a game can reach,
 * one turn each 10 ms, and prints one line a turn in hex: rand, random,
 * drand48, lrand48, getrandom, getentropy, arc4random, read() of
 * /dev/urandom opened with open(), fread() of it opened with fopen(), and
 * the three clocks. Usage: rand-game [TURNS] [--srand-pid] [--cat PATH].
 * It seeds nothing itself unless --srand-pid (srand(getpid()): the pid is
 * not virtualised, so that stream varies from run to run even under
 * HOOK_SEED). --cat PATH instead shows that descriptors reused after a
 * random one read their real content: PATH through open(), and a pipe. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#if __GLIBC_PREREQ(2, 36)
#define draw_arc4random() arc4random()
#else
/* Before glibc 2.36: the preloaded shim's, else a failed draw. */
extern uint32_t arc4random(void) __attribute__((weak));
#define draw_arc4random() (arc4random ? arc4random() : 0xeeeeeeeeu)
#endif

static void
hex(const char *name, const unsigned char *b, size_t n)
{
	printf(" %s=", name);
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
}

/* Read N bytes from FD, or fail the game. */
static void
read_all(int fd, unsigned char *b, size_t n, const char *what)
{
	if (read(fd, b, n) != (ssize_t)n) {
		perror(what);
		exit(1);
	}
}

/* Open /dev/urandom and let go of it, then read what reuses its number. */
static int
cat(const char *path)
{
	unsigned char b[8];
	char text[256];
	int p[2];

	int fd = open("/dev/urandom", O_RDONLY);
	read_all(fd, b, sizeof b, "urandom");
	close(fd);
	int f = open(path, O_RDONLY);
	ssize_t n = read(f, text, sizeof text - 1);
	printf("fd %d then %d cat=%.*s\n", fd, f, n > 0 ? (int)n : 0, text);
	close(f);

	/* Closed behind the hooks' back (fclose of fdopen closes inside
	 * libc); a pipe takes the number without any open hook seeing it. */
	fd = open("/dev/urandom", O_RDONLY);
	read_all(fd, b, sizeof b, "urandom");
	fclose(fdopen(fd, "r"));
	if (pipe(p) != 0 || write(p[1], "piped", 5) != 5)
		return 1;
	n = read(p[0], text, sizeof text - 1);
	printf("fd %d then %d pipe=%.*s\n", fd, p[0], n > 0 ? (int)n : 0, text);
	return 0;
}

int
main(int argc, char **argv)
{
	struct timespec d = { 0, 10 * 1000000L };
	long turns = 20;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--srand-pid") == 0)
			srand((unsigned)getpid());
		else if (strcmp(argv[i], "--cat") == 0 && i + 1 < argc)
			return cat(argv[++i]);
		else
			turns = atol(argv[i]);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	int ufd = open("/dev/urandom", O_RDONLY);
	FILE *uf = fopen("/dev/urandom", "re");
	if (ufd < 0 || uf == NULL) {
		perror("/dev/urandom");
		return 1;
	}
	for (long t = 0; t < turns; t++) {
		unsigned char b[8];
		double dr = drand48();
		uint64_t bits;
		struct timeval tv;
		struct timespec ts;

		printf("turn %ld rand=%08x random=%08lx", t, (unsigned)rand(),
		    random());
		memcpy(&bits, &dr, sizeof bits);
		printf(" drand48=%016llx lrand48=%08lx", (unsigned long long)bits,
		    lrand48());
		if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
			memset(b, 0xee, sizeof b);
		hex("getrandom", b, sizeof b);
		if (getentropy(b, sizeof b) != 0)
			memset(b, 0xee, sizeof b);
		hex("getentropy", b, sizeof b);
		printf(" arc4random=%08x", draw_arc4random());
		read_all(ufd, b, sizeof b, "read");
		hex("read", b, sizeof b);
		if (fread(b, 1, sizeof b, uf) != sizeof b)
			memset(b, 0xee, sizeof b);
		hex("fread", b, sizeof b);
		gettimeofday(&tv, NULL);
		clock_gettime(CLOCK_REALTIME, &ts);
		printf(" time=%llx tv=%llx.%05lx rt=%llx.%08lx\n",
		    (unsigned long long)time(NULL), (unsigned long long)tv.tv_sec,
		    (long)tv.tv_usec, (unsigned long long)ts.tv_sec, ts.tv_nsec);
		nanosleep(&d, NULL);
	}
	return 0;
}
