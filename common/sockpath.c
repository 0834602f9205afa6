/* Default control socket locations (see sockpath.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockpath.h"

int
sockpath_dir(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	int n;

	if (xdg != NULL && xdg[0] == '/' && stat(xdg, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		n = snprintf(buf, len, "%s/gamehook", xdg);
	else
		n = snprintf(buf, len, "/tmp/gamehook-%u", (unsigned)getuid());
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
sockpath_for_pid(pid_t pid, char *buf, size_t len)
{
	char dir[256];
	int n;

	if (sockpath_dir(dir, sizeof dir) != 0)
		return -1;
	n = snprintf(buf, len, "%s/%d.sock", dir, (int)pid);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
sockpath_log(const char *sock, char *buf, size_t len)
{
	size_t n = strlen(sock);
	int w;

	if (n > 5 && strcmp(sock + n - 5, ".sock") == 0)
		w = snprintf(buf, len, "%.*s.log", (int)(n - 5), sock);
	else
		w = snprintf(buf, len, "%s.log", sock);
	return w < 0 || (size_t)w >= len ? -1 : 0;
}
