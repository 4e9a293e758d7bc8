/*
 * util.c: two small helpers several of the shim's files need.
 */
#define _GNU_SOURCE
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int write_file(const char *path, const char *s)
{
	/* /proc files such as timens_offsets and oom_score_adj take their value in one write: a
	 * short write is an error here, never something to continue. */
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = strlen(s);
	ssize_t n = write(fd, s, len);
	int err = n < 0 ? errno : EIO;
	close(fd);
	if (n == (ssize_t)len)
		return 0;
	errno = err;
	return -1;
}

int strv_push(char ***list, size_t *n, char *s)
{
	char **grown = realloc(*list, (*n + 2) * sizeof **list);
	if (!grown)
		return -1;
	grown[(*n)++] = s;
	grown[*n] = NULL;
	*list = grown;
	return 0;
}
