/* A test game that starts other programs: each frame sleeps one second of
 * game time; frame 3 runs a child through fork+exec (itself with --child)
 * and frame 4 one through system(). Children print their pid and the wall
 * clock they see, so tests can check they run untouched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--child") == 0) {
		printf("child %d time %ld\n", (int)getpid(), (long)time(NULL));
		fflush(stdout);
		return 0;
	}
	for (int i = 0;; i++) {
		printf("frame %d time %ld\n", i, (long)time(NULL));
		fflush(stdout);
		if (i == 3) {
			pid_t p = fork();
			if (p == 0) {
				execl("/proc/self/exe", argv[0], "--child", (char *)NULL);
				_exit(127);
			}
			waitpid(p, NULL, 0);
		}
		if (i == 4) {
			char cmd[4096];
			snprintf(cmd, sizeof cmd, "exec %s --child", argv[0]);
			if (system(cmd) != 0)
				printf("system failed\n");
		}
		sleep(1);
	}
}
