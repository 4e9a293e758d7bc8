/*
 * exit.c: the exit status of a container's first process, written into its state directory as
 * exit.json, even when the disk is full (and, the same way, an exec'd process's status as
 * execs/<exec id>.json, so that an engine restarted meanwhile can still tell its client).
 *
 * exit.json is the record of the exit for whoever looks later: the engine (also after a restart),
 * `tocker runtime state`. Written the obvious way (a new file, then a rename) it needs a free
 * block at the very moment the container ends, and a container killed because the disk filled
 * up is just when there is none: the status was lost ("Exited (255) … exit status unknown"
 * instead of 137). So the space is taken at create: exit.reserved, EXIT_RESERVE bytes, is written
 * then. At the exit the status overwrites it in place (its blocks are allocated, or on ext4
 * reserved by delayed allocation: no new space on tmpfs, ext4 or xfs; a copy-on-write file system
 * such as btrfs may still refuse), the file is cut to the status's length (shrinking frees space,
 * it never needs any) and renamed to exit.json (a rename within one directory needs no data
 * block), so a reader sees no exit.json or a whole one. Should any of that fail, the old way is
 * tried. The same JSON goes on the exit socket, for a runtime that waits in the same process.
 */
#define _GNU_SOURCE
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_RESERVE 512 /* the JSON is under 100 bytes */

/* "<name><suffix>" into buf; -1 when it does not fit or the name could leave the directory. */
static int file_name(char *buf, size_t cap, const char *name, const char *suffix)
{
	if (!name[0] || name[0] == '.' || strchr(name, '/'))
		return -1;
	int n = snprintf(buf, cap, "%s%s", name, suffix);
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

int wait_exit(pid_t pid, int *code, int *sig)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	*sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	*code = *sig ? 128 + *sig : WEXITSTATUS(status);
	return 0;
}

int exit_reserve(int dirfd, const char *name)
{
	char reserved[256];
	if (file_name(reserved, sizeof reserved, name, ".reserved") < 0) {
		errno = EINVAL;
		return -1;
	}
	int fd = openat(dirfd, reserved, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	char pad[EXIT_RESERVE];
	memset(pad, ' ', sizeof pad);
	ssize_t n = write(fd, pad, sizeof pad);
	if (n != (ssize_t)sizeof pad) {
		int err = n < 0 ? errno : ENOSPC;
		close(fd);
		unlinkat(dirfd, reserved, 0);
		errno = err;
		return -1;
	}
	return fd;
}

/* Into the reserved file, cut and renamed; 0 on success. */
static int write_reserved(int dirfd, const char *reserved, const char *final, int reserved_fd, const char *json, int n)
{
	if (reserved_fd < 0)
		return -1;
	int ok = pwrite(reserved_fd, json, n, 0) == n && ftruncate(reserved_fd, n) == 0;
	close(reserved_fd);
	return ok && renameat(dirfd, reserved, dirfd, final) == 0 ? 0 : -1;
}

/* A new file, renamed: needs free space. */
static void write_new(int dirfd, const char *tmp, const char *final, const char *json, int n)
{
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return; /* the state dir is gone: nobody reads it any more */
	int ok = write(fd, json, n) == n;
	close(fd);
	if (ok)
		renameat(dirfd, tmp, dirfd, final);
	else
		unlinkat(dirfd, tmp, 0);
}

void write_exit_status(int dirfd, const char *name, int reserved_fd, int exit_fd, int code, int sig)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char when[64];
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	char json[256];
	int n = snprintf(json, sizeof json, "{\"exitCode\":%d,\"signal\":%d,\"finishedAt\":\"%s.%09ldZ\"}\n", code, sig, when,
			 ts.tv_nsec);
	char reserved[256], final[256], tmp[256];
	if (dirfd >= 0 && file_name(reserved, sizeof reserved, name, ".reserved") == 0 && file_name(final, sizeof final, name, ".json") == 0 &&
	    file_name(tmp, sizeof tmp, name, ".json.tmp") == 0 && write_reserved(dirfd, reserved, final, reserved_fd, json, n) < 0)
		write_new(dirfd, tmp, final, json, n);
	if (exit_fd >= 0)
		send(exit_fd, json, n, MSG_NOSIGNAL); /* EPIPE if the runtime stopped listening: fine */
}
