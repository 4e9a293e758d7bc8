/*
 * logs.c: the shim's relay: the container's stdout/stderr → its json-file log (json-log.c), and
 * the engine's stdin and terminal size (FIFOs) → the container.
 *
 * Why in the shim and not in the engine: the shim outlives the engine (it is the container's
 * parent, started detached). If the engine relayed the pipes, killing the engine would either
 * block the container on a full pipe or lose what it writes meanwhile. Here the pipes' only
 * reader is the shim, so `tocker logs` after an engine restart shows every line.
 *
 * A line is cut at its "\n". What is left over after a read without a newline (a shell prompt,
 * a progress bar) is written at once as a *partial* entry, whose "log" does not end in "\n":
 * readers concatenate entries, so the text is the same, and `logs -f`/attach see prompts live.
 * Lines longer than 16 KiB are split into partial entries too, as Docker does.
 */
#define _GNU_SOURCE
#include "json-log.h"
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#define READ_CHUNK 65536

struct stream {
	int fd;
	const char *name; /* "stdout" / "stderr" */
	char buf[MAX_LINE];
	size_t len;
};

/* Emit every complete line in s->buf, then (if flush) what is left as a partial entry. */
static int drain_lines(struct log_file *lf, struct stream *s, int flush)
{
	int rc = 0;
	size_t start = 0;
	for (size_t i = 0; i < s->len; i++) {
		if (s->buf[i] == '\n') {
			if (write_entry(lf, s->name, s->buf + start, i + 1 - start) < 0)
				rc = -1;
			start = i + 1;
		}
	}
	if ((flush || s->len - start == MAX_LINE) && s->len > start) {
		if (write_entry(lf, s->name, s->buf + start, s->len - start) < 0)
			rc = -1;
		start = s->len;
	}
	memmove(s->buf, s->buf + start, s->len - start);
	s->len -= start;
	return rc;
}

/* Read what is available on one stream; returns 0 at end of file, 1 otherwise. */
static int pump(struct log_file *lf, struct stream *s, int *rc)
{
	char chunk[READ_CHUNK];
	ssize_t n = read(s->fd, chunk, sizeof chunk);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 1;
		/* EIO: a pty master whose slaves are all closed. Anything else: treat as closed too. */
		n = 0;
	}
	if (n == 0) {
		if (drain_lines(lf, s, 1) < 0 || flush_out(lf) < 0)
			*rc = -1;
		return 0;
	}
	for (ssize_t off = 0; off < n;) {
		size_t room = MAX_LINE - s->len;
		size_t take = (size_t)(n - off) < room ? (size_t)(n - off) : room;
		memcpy(s->buf + s->len, chunk + off, take);
		s->len += take;
		off += (ssize_t)take;
		if (drain_lines(lf, s, 0) < 0)
			*rc = -1;
	}
	/* Leftover without a newline: write it now (a prompt must show up in logs -f and attach). */
	if (drain_lines(lf, s, 1) < 0)
		*rc = -1;
	if (flush_out(lf) < 0)
		*rc = -1;
	return 1;
}

/* (Re)open a FIFO for reading without waiting for a writer; -1 if it cannot be opened. */
static int open_fifo(int dirfd, const char *name)
{
	if (!name)
		return -1;
	return openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

/* The last size asked for: a resize may come before the pty master does. */
static struct winsize last_size;

/* "ROWS COLS\n" lines → TIOCSWINSZ on the pty master (the kernel then sends SIGWINCH). */
static void apply_resize(int fd, int master)
{
	char buf[256];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned rows, cols;
		if (sscanf(line, "%u %u", &rows, &cols) == 2) {
			last_size = (struct winsize){ .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
			if (master >= 0)
				ioctl(master, TIOCSWINSZ, &last_size);
		}
	}
}

int relay_io(struct relay_io *io, int dirfd, const struct log_opts *opts)
{
	static struct log_file lf; /* static: its buffer is large */
	lf.dirfd = dirfd;
	lf.fd = -1;
	lf.size = 0;
	lf.need_newline = 0;
	lf.out_len = 0;
	lf.opts = opts;
	lf.kept = 0;
	static struct stream out, err;
	static char pending[65536];
	size_t pending_len = 0;
	int rc = 0;
	/* Writing into a pipe whose reader (the container) is gone must not kill the relay. */
	signal(SIGPIPE, SIG_IGN);
	out.fd = io->out_fd;
	out.name = "stdout";
	out.len = 0;
	err.fd = io->err_fd;
	err.name = "stderr";
	err.len = 0;
	if (open_current(&lf) < 0)
		rc = -1;
	int in_fd = io->stdin_dst >= 0 || io->handoff_fd >= 0 ? open_fifo(io->fifo_dirfd, io->stdin_fifo) : -1;
	int rs_fd = open_fifo(io->fifo_dirfd, io->resize_fifo);
	if (io->stdin_dst >= 0 && in_fd < 0) {
		/* No FIFO to read from: the container's stdin is at its end from the start. */
		close(io->stdin_dst);
		io->stdin_dst = -1;
	}

	for (;;) {
		struct pollfd pfd[6];
		int n = 0, i_out = -1, i_err = -1, i_in = -1, i_dst = -1, i_rs = -1, i_ho = -1;
		if (out.fd >= 0) {
			i_out = n;
			pfd[n++] = (struct pollfd){ .fd = out.fd, .events = POLLIN };
		}
		if (err.fd >= 0) {
			i_err = n;
			pfd[n++] = (struct pollfd){ .fd = err.fd, .events = POLLIN };
		}
		if (io->handoff_fd >= 0) {
			i_ho = n;
			pfd[n++] = (struct pollfd){ .fd = io->handoff_fd, .events = POLLIN };
		}
		if (i_out < 0 && i_err < 0 && i_ho < 0)
			break;
		if (in_fd >= 0 && pending_len == 0 && io->stdin_dst >= 0) {
			i_in = n;
			pfd[n++] = (struct pollfd){ .fd = in_fd, .events = POLLIN };
		}
		if (io->stdin_dst >= 0 && pending_len > 0) {
			i_dst = n;
			pfd[n++] = (struct pollfd){ .fd = io->stdin_dst, .events = POLLOUT };
		}
		if (rs_fd >= 0) {
			i_rs = n;
			pfd[n++] = (struct pollfd){ .fd = rs_fd, .events = POLLIN };
		}
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		if (i_ho >= 0 && (pfd[i_ho].revents & (POLLIN | POLLHUP | POLLERR))) {
			/* -t: PID 1 hands over the pty master just before it runs the program (or closes
			 * the socket without one: it never ran). From now on the master is the output. */
			int master = recv_fd(io->handoff_fd);
			close(io->handoff_fd);
			io->handoff_fd = -1;
			if (master >= 0) {
				out.fd = master;
				io->pty_master = master;
				if (last_size.ws_row)
					ioctl(master, TIOCSWINSZ, &last_size);
				if (in_fd >= 0) {
					io->stdin_dst = dup(master);
					fcntl(io->stdin_dst, F_SETFL, O_NONBLOCK);
				}
			}
			continue;
		}
		if (i_out >= 0 && (pfd[i_out].revents & (POLLIN | POLLHUP | POLLERR)) && !pump(&lf, &out, &rc)) {
			close(out.fd);
			out.fd = -1;
		}
		if (i_err >= 0 && (pfd[i_err].revents & (POLLIN | POLLHUP | POLLERR)) && !pump(&lf, &err, &rc)) {
			close(err.fd);
			err.fd = -1;
		}
		if (i_in >= 0 && (pfd[i_in].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t r = read(in_fd, pending, sizeof pending);
			if (r > 0) {
				pending_len = (size_t)r;
			} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				/* The last writer left. */
				close(in_fd);
				in_fd = -1;
				if (io->stdin_once) {
					close(io->stdin_dst);
					io->stdin_dst = -1;
				} else {
					in_fd = open_fifo(io->fifo_dirfd, io->stdin_fifo);
				}
			}
		}
		if (i_dst >= 0 && (pfd[i_dst].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(io->stdin_dst, pending, pending_len);
			if (w > 0) {
				memmove(pending, pending + w, pending_len - (size_t)w);
				pending_len -= (size_t)w;
			} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
				/* The container closed its stdin: drop what is left, stop reading the FIFO. */
				pending_len = 0;
				close(io->stdin_dst);
				io->stdin_dst = -1;
				if (in_fd >= 0)
					close(in_fd);
				in_fd = -1;
			}
		}
		if (i_rs >= 0 && (pfd[i_rs].revents & (POLLIN | POLLHUP))) {
			if (pfd[i_rs].revents & POLLIN) {
				apply_resize(rs_fd, io->pty_master);
			} else {
				close(rs_fd);
				rs_fd = open_fifo(io->fifo_dirfd, io->resize_fifo);
			}
		}
	}
	if (in_fd >= 0)
		close(in_fd);
	if (rs_fd >= 0)
		close(rs_fd);
	if (io->stdin_dst >= 0)
		close(io->stdin_dst);
	if (flush_out(&lf) < 0)
		rc = -1;
	/* No fsync: it stood between the container's end and its exit.json (every `run --rm` that
	 * printed waited for it: tens of ms on a busy ext4), and its result was never looked at.
	 * Docker's json-file driver does not sync either; `logs` reads the page cache. */
	if (lf.fd >= 0)
		close(lf.fd);
	return rc;
}

int relay_logs(int out_fd, int err_fd, int dirfd, const struct log_opts *opts)
{
	struct relay_io io = { .out_fd = out_fd, .err_fd = err_fd, .stdin_dst = -1, .fifo_dirfd = -1, .pty_master = -1, .handoff_fd = -1 };
	return relay_io(&io, dirfd, opts);
}
