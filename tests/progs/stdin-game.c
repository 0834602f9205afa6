/* A test game without curses: raw terminal, select() with a 50 ms timeout
 * as its frame, read() of standard input; prints each byte it receives in
 * hex, so tests can check injected keys arrive as terminal bytes. */
#include <stdio.h>
#include <sys/select.h>
#include <termios.h>
#include <unistd.h>

int
main(void)
{
	struct termios t;
	int raw = tcgetattr(0, &t) == 0;

	if (raw) {
		cfmakeraw(&t);
		t.c_oflag |= OPOST | ONLCR;
		tcsetattr(0, TCSANOW, &t);
	}
	for (long frame = 0;; frame++) {
		fd_set r;
		struct timeval tv = { 0, 50000 };
		FD_ZERO(&r);
		FD_SET(0, &r);
		int n = select(1, &r, NULL, NULL, &tv);
		if (n > 0 && FD_ISSET(0, &r)) {
			unsigned char buf[64];
			ssize_t k = read(0, buf, sizeof buf);
			if (k <= 0)
				return 0;
			printf("frame %ld got ", frame);
			for (ssize_t i = 0; i < k; i++)
				printf("%02x", buf[i]);
			printf("\n");
			fflush(stdout);
			if (buf[0] == 'q')
				return 0;
		}
	}
}
