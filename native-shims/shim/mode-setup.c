/*
 * mode-setup.c: what create and exec both do before they fork: the caller's console socket
 * (--console-socket) and the time namespace (--timens).
 */
#define _GNU_SOURCE
#include "modes.h"
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/*
 * --timens: a new time namespace (Linux 5.6) or the one at PATH. Like a PID namespace, unshare
 * makes it the namespace of the children we fork next (the gate, the exec'd process); setns
 * (which only a single-threaded process may do: Node could not) moves us there too.
 */
int enter_timens(int ctl, const char *which, const char *offsets)
{
	char why[128];
	if (!strcmp(which, "new")) {
		if (unshare(CLONE_NEWTIME) < 0) {
			send_error(ctl, errno, 1, "unshare time namespace: %s", go_strerror(errno, why, sizeof why));
			return -1;
		}
		/* linux.timeOffsets: the clocks' offsets can be written to /proc/self/timens_offsets only
		 * while no process is in the new namespace yet (we are not: unshare(CLONE_NEWTIME) moves
		 * only our future children), in one write of "<clock> <secs> <nanosecs>" lines; after the
		 * first child the kernel answers EACCES (Linux 5.6, kernel/time/namespace.c). */
		if (offsets && *offsets) {
			if (write_file("/proc/self/timens_offsets", offsets) < 0) {
				send_error(ctl, errno, 1, "write time namespace offsets (%s): %s", offsets, go_strerror(errno, why, sizeof why));
				return -1;
			}
		}
		return 0;
	}
	int fd = open(which, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWTIME) < 0) {
		send_error(ctl, errno, 1, "join time namespace %s: %s", which, go_strerror(errno, why, sizeof why));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * --console-socket: connect to the caller's socket now, while the host's paths are visible (the
 * gate sends the pty master on it after pivot_root). A path longer than sun_path's 108 bytes is
 * reached through its directory, opened, as /proc/self/fd/N/name.
 */
int connect_console(int ctl, const char *path)
{
	char why[128];
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int dirfd = -1;
	if (strlen(path) < sizeof addr.sun_path) {
		strcpy(addr.sun_path, path);
	} else {
		const char *slash = strrchr(path, '/');
		char dir[4096];
		if (!slash || (size_t)(slash - path) >= sizeof dir) {
			send_error(ctl, ENAMETOOLONG, 1, "console socket path %s is too long", path);
			return -1;
		}
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
		dirfd = open(dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0 || snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dirfd, slash + 1) >= (int)sizeof addr.sun_path) {
			send_error(ctl, errno ? errno : ENAMETOOLONG, 1, "console socket %s: %s", path, go_strerror(errno ? errno : ENAMETOOLONG, why, sizeof why));
			return -1;
		}
	}
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ok = sock >= 0 && connect(sock, (struct sockaddr *)&addr, sizeof addr) == 0;
	int err = errno;
	if (dirfd >= 0)
		close(dirfd);
	if (!ok) {
		send_error(ctl, err, 1, "failed to connect to console socket %s: %s", path, go_strerror(err, why, sizeof why));
		if (sock >= 0)
			close(sock);
		return -1;
	}
	shim_fds.console = sock;
	return 0;
}
