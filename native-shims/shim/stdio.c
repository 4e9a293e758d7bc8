/*
 * stdio.c: the container's stdio in "pipes" and "tty" modes, set up around the shim's fork (see
 * logs.h): pipes or, with -t, the handoff of the pty master that PID 1 opens from the container's
 * own devpts; the stdin and resize FIFOs; then the relay (logs.c) in the shim.
 */
#define _GNU_SOURCE
#include "logs.h"
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41) /* Linux 4.13 */
#endif

/* PID 1's end of the handoff socket (-t only), set by stdio_child; the first window size. */
static int tty_handoff_fd = -1;
static struct winsize tty_size;

int stdio_tty_handoff(void)
{
	if (tty_handoff_fd < 0)
		return 0;
	/* After pivot_root, /dev/ptmx is the container's (-> pts/ptmx of its own devpts instance). */
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || unlockpt(master) < 0)
		return -1;
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (slave < 0)
		return -1;
	/* The client's size (Docker's HostConfig.ConsoleSize), set before the program runs: a resize
	 * through the shim comes only after the handoff, and a program that asks at once (`stty
	 * size` typed ahead, a full-screen program drawing its first screen) would see 0x0. */
	if (tty_size.ws_row && tty_size.ws_col && ioctl(master, TIOCSWINSZ, &tty_size) < 0)
		return -1;
	/* A session of its own whose controlling terminal is the slave: ^C becomes SIGINT. */
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return -1;
	if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
		return -1;
	close(slave);
	int rc = send_fd(tty_handoff_fd, master, "T", 1);
	close(master);
	close(tty_handoff_fd);
	tty_handoff_fd = -1;
	return rc;
}

static int make_fifo(int dirfd, const char *name)
{
	if (!name)
		return 0;
	if (mkfifoat(dirfd, name, 0600) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int stdio_prepare(struct shim_stdio *s, const char *log_dir)
{
	s->out[0] = s->out[1] = s->err[0] = s->err[1] = s->in[0] = s->in[1] = -1;
	s->handoff[0] = s->handoff[1] = -1;
	s->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	s->logdir = open(log_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (s->devnull < 0 || s->logdir < 0)
		return -1;
	if (make_fifo(s->logdir, s->stdin_fifo) < 0 || (s->tty && make_fifo(s->logdir, s->resize_fifo) < 0))
		return -1;
	if (s->tty)
		return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s->handoff);
	if (pipe2(s->out, O_CLOEXEC) < 0 || pipe2(s->err, O_CLOEXEC) < 0)
		return -1;
	if (s->stdin_fifo && pipe2(s->in, O_CLOEXEC) < 0)
		return -1;
	return 0;
}

void stdio_child(struct shim_stdio *s)
{
	if (s->tty) {
		/* Until stdio_tty_handoff, right before execve. */
		close(s->handoff[0]);
		tty_handoff_fd = s->handoff[1];
		tty_size = (struct winsize){ .ws_row = (unsigned short)s->rows, .ws_col = (unsigned short)s->cols };
		dup2(s->devnull, 0);
		dup2(s->devnull, 1);
		dup2(s->devnull, 2);
		return;
	}
	dup2(s->in[0] >= 0 ? s->in[0] : s->devnull, 0);
	dup2(s->out[1], 1);
	dup2(s->err[1], 2);
}

int stdio_relay(struct shim_stdio *s, const struct log_opts *opts)
{
	struct relay_io io = { .stdin_dst = -1, .stdin_once = s->stdin_once, .fifo_dirfd = s->logdir,
			       .stdin_fifo = s->stdin_fifo, .resize_fifo = s->resize_fifo, .pty_master = -1, .handoff_fd = -1 };
	if (s->tty) {
		/* The master comes from PID 1 (relay_io waits for it); when the container's last
		 * process closes the slave, the master reads EIO, which is the end of its output. */
		close(s->handoff[1]);
		io.out_fd = -1;
		io.err_fd = -1;
		io.handoff_fd = s->handoff[0];
	} else {
		close(s->out[1]);
		close(s->err[1]);
		io.out_fd = s->out[0];
		io.err_fd = s->err[0];
		if (s->in[0] >= 0) {
			close(s->in[0]);
			io.stdin_dst = s->in[1];
			fcntl(io.stdin_dst, F_SETFL, O_NONBLOCK);
		}
	}
	return relay_io(&io, s->logdir, opts);
}
