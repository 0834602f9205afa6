/* A test game that talks through stdio on a terminal in canonical mode:
 * asks a name (fgets) and a level (scanf), then reads moves a line at a
 * time with getchar ('l' right, 'h' left) and answers each line, until end
 * of file ('q' or ^D). With --raw it turns canonical mode off (cfmakeraw)
 * and reports every byte getchar returns. */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char name[64];
	int level = 0, x = 0, turn = 0, c;

	if (argc > 1 && strcmp(argv[1], "--raw") == 0) {
		struct termios t;
		if (tcgetattr(0, &t) == 0) {
			cfmakeraw(&t);
			t.c_oflag |= OPOST | ONLCR;
			tcsetattr(0, TCSANOW, &t);
		}
		printf("raw\n");
		fflush(stdout);
		while ((c = getchar()) != EOF && c != 'q')
			printf("byte %02x\n", c), fflush(stdout);
		return 0;
	}
	printf("Your name? ");
	fflush(stdout);
	if (fgets(name, sizeof name, stdin) == NULL)
		return 1;
	name[strcspn(name, "\n")] = '\0';
	printf("Level? ");
	fflush(stdout);
	if (scanf("%d", &level) != 1)
		return 1;
	printf("hello %s at level %d\n", name, level);
	fflush(stdout);
	while ((c = getchar()) != EOF && c != 'q') {
		if (c == 'l')
			x++;
		else if (c == 'h')
			x--;
		else if (c == '\n')
			printf("turn %d x %d\n", ++turn, x), fflush(stdout);
	}
	printf("bye %s x %d\n", name, x);
	return 0;
}
