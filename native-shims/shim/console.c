/*
 * console.c: `process.terminal: true` with `--console-socket`, as runc does it.
 *
 * The caller (conmon, containerd-shim) listens on a unix socket and wants the *master* side of the
 * container's terminal, to copy it to its own client (podman run -it, ctr run -t). The pty must
 * come from the container's own devpts instance: /dev/ptmx inside the container is a link to
 * /dev/pts/ptmx (runtime/devices.ts), so the slave is /dev/pts/0 *in the container*, numbered there
 * and not among the host's ptys (that is what `tty` prints inside). So it is opened here, by the
 * gate (or the exec'd process) after pivot_root / setns(mnt), while still root:
 *   open /dev/ptmx, unlock it, open the slave through the master (TIOCGPTPEER, Linux 4.13: no path
 *   to race on), apply consoleSize, bind the slave on /dev/console (create only), send the master
 *   with SCM_RIGHTS (the message body is its name, "/dev/ptmx", as runc's utils.SendFile), then
 *   setsid() + TIOCSCTTY so that it is our controlling terminal (^C, job control) and make it our
 *   stdin, stdout and stderr. The program execve'd later inherits all of it.
 */
#define _GNU_SOURCE
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int console_setup(int sock, unsigned rows, unsigned cols, int console, char *msg, size_t cap)
{
	char why[128];
	if (sock < 0) {
		snprintf(msg, cap, "process.terminal is set but no console socket was given (--console-socket)");
		errno = EINVAL;
		return -1;
	}
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0) {
		snprintf(msg, cap, "open /dev/ptmx: %s", go_strerror(errno, why, sizeof why));
		return -1;
	}
	int unlock = 0, n = -1;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &n) < 0) {
		snprintf(msg, cap, "unlockpt: %s", go_strerror(errno, why, sizeof why));
		close(master);
		return -1;
	}
	char slave_path[64];
	snprintf(slave_path, sizeof slave_path, "/dev/pts/%d", n);
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		slave = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		snprintf(msg, cap, "open %s: %s", slave_path, go_strerror(errno, why, sizeof why));
		close(master);
		return -1;
	}
	if (rows && cols) {
		struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
		ioctl(master, TIOCSWINSZ, &ws);
	}
	if (console) {
		/* runc's mountConsole: an empty file as the mount point, the slave bound on it. */
		int f = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (f >= 0)
			close(f);
		if (mount(slave_path, "/dev/console", NULL, MS_BIND, NULL) < 0) {
			snprintf(msg, cap, "mount %s on /dev/console: %s", slave_path, go_strerror(errno, why, sizeof why));
			goto fail;
		}
	}
	/* The message body is the pty's name, as runc's utils.SendFile sends it. */
	if (send_fd(sock, master, "/dev/ptmx", sizeof "/dev/ptmx" - 1) < 0) {
		snprintf(msg, cap, "send the console to the console socket: %s", go_strerror(errno, why, sizeof why));
		goto fail;
	}
	close(master);
	close(sock);
	shim_fds.console = -1;
	if (setsid() < 0 && errno != EPERM) {
		snprintf(msg, cap, "setsid: %s", go_strerror(errno, why, sizeof why));
		close(slave);
		return -1;
	}
	if (ioctl(slave, TIOCSCTTY, 0) < 0) {
		snprintf(msg, cap, "ioctl(setctty): %s", go_strerror(errno, why, sizeof why));
		close(slave);
		return -1;
	}
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0) {
			snprintf(msg, cap, "dup2 the console to fd %d: %s", fd, go_strerror(errno, why, sizeof why));
			close(slave);
			return -1;
		}
	close(slave);
	return 0;
fail:
	close(master);
	close(slave);
	return -1;
}
