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

pid_t
sockpath_pid_of(const char *name)
{
	char *end;
	long pid = strtol(name, &end, 10);

	return pid > 0 && end != name && strcmp(end, ".sock") == 0 ?
	    (pid_t)pid : -1;
}

int
sockpath_hostport(char *spec, const char *default_host, char **host,
    char **port)
{
	char *colon = strrchr(spec, ':');

	if (colon == NULL || colon[1] == '\0')
		return -1;
	*colon = '\0';
	*port = colon + 1;
	char *h = spec;
	size_t n = strlen(h);
	if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		h[n - 1] = '\0';
		h++;
	}
	*host = *h ? h : (char *)default_host;
	return 0;
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
