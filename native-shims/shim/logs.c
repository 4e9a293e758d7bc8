/*
 * logs.c: the container's stdout/stderr → Docker's json-file log, written by the shim.
 *
 * Why in the shim and not in the engine: the shim outlives the engine (it is the container's
 * parent, started detached). If the engine relayed the pipes, killing the engine would either
 * block the container on a full pipe or lose what it writes meanwhile. Here the pipes' only
 * reader is the shim, so `tocker logs` after an engine restart shows every line.
 *
 * Format (what Docker's json-file driver writes, one JSON object per line):
 *   {"log":"hello\n","stream":"stdout","time":"2026-11-22T13:52:01.123456789Z"}
 * A line is cut at its "\n". What is left over after a read without a newline (a shell prompt,
 * a progress bar) is written at once as a *partial* entry, whose "log" does not end in "\n":
 * readers concatenate entries, so the text is the same, and `logs -f`/attach see prompts live.
 * Lines longer than 16 KiB are split into partial entries too, as Docker does.
 *
 * Rotation (--log-opt max-size / max-file): when the next entry would make the file exceed
 * max-size, name.(N-2) → name.(N-1), …, name → name.1 and a new name is started; with
 * max-file 1 the file is truncated instead.
 *
 * Whole lines or none. The entries of one read are gathered and written with one write(2) (a
 * container writing at full speed costs a syscall per 64 KiB, not per line). When the disk is
 * full a write stops part-way (a short write, then ENOSPC): the file is cut back with ftruncate
 * to the end of the last whole line that made it, so no torn entry is left for the next one to
 * be glued to (a reader would lose both). If even that fails, or the file already ends without
 * a newline when it is opened (a shim killed mid-write), the next write starts with a newline:
 * the torn entry stays alone on its line, and the reader skips just that line (engine/logs.ts).
 */
#define _GNU_SOURCE
#include "logs.h"

#include <errno.h>
#include <termios.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41) /* Linux 4.13 */
#endif
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK 65536
#define MAX_LINE 16384
/* The longest entry: every byte escaped as \u00XX, plus the JSON around it and the time. */
#define MAX_ENTRY (MAX_LINE * 6 + 256)
/* Entries gathered before one write(2); always room for one more entry. */
#define OUT_CAP (256 * 1024)

static int recv_fd(int sock);

struct log_file {
	int dirfd;
	int fd;
	long long size;     /* the file's size: whole lines only */
	int need_newline;   /* the file ends in a torn entry: start the next write with "\n" */
	char out[OUT_CAP];  /* entries not written yet */
	size_t out_len;
	const struct log_opts *opts;
};

struct stream {
	int fd;
	const char *name; /* "stdout" / "stderr" */
	char buf[MAX_LINE];
	size_t len;
};

/* write(2) until done; returns 0, or -1 with errno and *done = the bytes that were written. */
static int write_all(int fd, const char *p, size_t n, size_t *done)
{
	*done = 0;
	while (*done < n) {
		ssize_t w = write(fd, p + *done, n - *done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = ENOSPC;
			return -1;
		}
		*done += (size_t)w;
	}
	return 0;
}

static int open_current(struct log_file *lf)
{
	/* O_RDWR only to look at the last byte below; writes append. */
	lf->fd = openat(lf->dirfd, lf->opts->name, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (lf->fd < 0)
		return -1;
	struct stat st;
	lf->size = fstat(lf->fd, &st) == 0 ? st.st_size : 0;
	/* A previous shim killed (or starved of space) mid-entry left a torn last line. */
	char last = '\n';
	lf->need_newline = lf->size > 0 && pread(lf->fd, &last, 1, lf->size - 1) == 1 && last != '\n';
	return 0;
}

/*
 * Write the first n bytes of the gathered entries (whole lines) and keep the rest. On a failed
 * write, what made it is cut back to its last whole line; -1 then, and those n bytes are dropped
 * (the disk is full: a relay must never block the container, so they cannot wait).
 */
static int flush_prefix(struct log_file *lf, size_t n)
{
	int rc = 0;
	if (n == 0)
		return 0;
	if (lf->fd < 0 && open_current(lf) < 0) {
		rc = -1;
	} else if (lf->need_newline) {
		size_t done;
		if (write_all(lf->fd, "\n", 1, &done) < 0) {
			rc = -1;
		} else {
			lf->need_newline = 0;
			lf->size += 1;
		}
	}
	if (rc == 0) {
		size_t done;
		if (write_all(lf->fd, lf->out, n, &done) == 0) {
			lf->size += (long long)n;
		} else {
			int err = errno;
			size_t keep = done;
			while (keep > 0 && lf->out[keep - 1] != '\n')
				keep--;
			long long whole = lf->size + (long long)keep;
			struct stat st;
			long long actual = fstat(lf->fd, &st) == 0 ? st.st_size : whole + (long long)(done - keep);
			if (actual > whole && ftruncate(lf->fd, whole) < 0) {
				lf->need_newline = 1; /* the torn bytes stay: the next entry goes on a line of its own */
				whole = actual;
			}
			lf->size = whole;
			errno = err;
			rc = -1;
		}
	}
	memmove(lf->out, lf->out + n, lf->out_len - n);
	lf->out_len -= n;
	return rc;
}

static int flush_out(struct log_file *lf)
{
	return flush_prefix(lf, lf->out_len);
}

static int rotate(struct log_file *lf)
{
	char from[512], to[512];
	if (lf->fd >= 0)
		close(lf->fd);
	lf->fd = -1;
	if (lf->opts->max_file <= 1) {
		/* Only one file allowed: start it again. */
		int fd = openat(lf->dirfd, lf->opts->name, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
	} else {
		for (int i = lf->opts->max_file - 1; i >= 1; i--) {
			if (i == 1)
				snprintf(from, sizeof from, "%s", lf->opts->name);
			else
				snprintf(from, sizeof from, "%s.%d", lf->opts->name, i - 1);
			snprintf(to, sizeof to, "%s.%d", lf->opts->name, i);
			/* rename(2) replaces the oldest file atomically; a missing source is fine. */
			if (renameat(lf->dirfd, from, lf->dirfd, to) < 0 && errno != ENOENT)
				return -1;
		}
	}
	return open_current(lf);
}

/* RFC 3339 with nanoseconds, trailing zeros trimmed like Go's time.RFC3339Nano. */
static size_t format_time(char *out, size_t cap)
{
	static time_t cached_sec = -1;
	static char cached[32];
	static size_t cached_len;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != cached_sec) {
		/* gmtime_r + strftime once a second, not once per line */
		struct tm tm;
		gmtime_r(&ts.tv_sec, &tm);
		cached_len = strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
		cached_sec = ts.tv_sec;
	}
	size_t n = cached_len < cap ? cached_len : 0;
	memcpy(out, cached, n);
	if (ts.tv_nsec != 0) {
		char frac[16];
		snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);
		size_t fl = strlen(frac);
		while (fl > 1 && frac[fl - 1] == '0')
			frac[--fl] = '\0';
		n += (size_t)snprintf(out + n, cap - n, "%s", frac);
	}
	n += (size_t)snprintf(out + n, cap - n, "Z");
	return n;
}

/* JSON-escape p[0..n) into out (which must hold 6*n bytes). Bytes >= 0x80 pass through as UTF-8. */
static size_t json_escape(char *out, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		switch (c) {
		case '"': out[o++] = '\\'; out[o++] = '"'; break;
		case '\\': out[o++] = '\\'; out[o++] = '\\'; break;
		case '\n': out[o++] = '\\'; out[o++] = 'n'; break;
		case '\r': out[o++] = '\\'; out[o++] = 'r'; break;
		case '\t': out[o++] = '\\'; out[o++] = 't'; break;
		default:
			if (c < 0x20 || c == 0x7f) {
				out[o++] = '\\'; out[o++] = 'u'; out[o++] = '0'; out[o++] = '0';
				out[o++] = hex[c >> 4]; out[o++] = hex[c & 15];
			} else {
				out[o++] = (char)c;
			}
		}
	}
	return o;
}

/* Add one entry to the gathered ones (written by flush_out, or here when full or at rotation). */
static int write_entry(struct log_file *lf, const char *stream, const char *p, size_t n)
{
	int rc = 0;
	char when[64];
	if (OUT_CAP - lf->out_len < MAX_ENTRY && flush_out(lf) < 0)
		rc = -1;
	size_t start = lf->out_len;
	char *line = lf->out + start;
	size_t o = 0;
	o += (size_t)sprintf(line, "{\"log\":\"");
	o += json_escape(line + o, p, n);
	o += (size_t)sprintf(line + o, "\",\"stream\":\"%s\",\"time\":\"", stream);
	format_time(when, sizeof when);
	o += (size_t)sprintf(line + o, "%s\"}\n", when);
	lf->out_len += o;
	long long before = lf->size + (long long)start;
	if (lf->opts->max_size > 0 && before > 0 && before + (long long)o > lf->opts->max_size) {
		/* The entries before this one end the current file; this one starts the next. */
		if (flush_prefix(lf, start) < 0)
			rc = -1;
		if (rotate(lf) < 0)
			rc = -1;
	}
	return rc;
}

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
	if (lf.fd >= 0) {
		fsync(lf.fd);
		close(lf.fd);
	}
	return rc;
}

int relay_logs(int out_fd, int err_fd, int dirfd, const struct log_opts *opts)
{
	struct relay_io io = { .out_fd = out_fd, .err_fd = err_fd, .stdin_dst = -1, .fifo_dirfd = -1, .pty_master = -1, .handoff_fd = -1 };
	return relay_io(&io, dirfd, opts);
}

/* PID 1's end of the handoff socket (-t only), set by stdio_child. */
static int tty_handoff_fd = -1;

static int send_fd(int sock, int fd)
{
	char byte = 'T';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof u);
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/* The fd carried by one message on `sock`, or -1 (end of file, or a message without one). */
static int recv_fd(int sock)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

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
	/* A session of its own whose controlling terminal is the slave: ^C becomes SIGINT. */
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return -1;
	if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
		return -1;
	close(slave);
	int rc = send_fd(tty_handoff_fd, master);
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

long long parse_log_size(const char *s)
{
	char *end;
	if (s == NULL || *s == '\0')
		return -1;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	long long mult = 1;
	switch (*end) {
	case '\0': break;
	case 'b': case 'B': mult = 1; end++; break;
	case 'k': case 'K': mult = 1024LL; end++; break;
	case 'm': case 'M': mult = 1024LL * 1024; end++; break;
	case 'g': case 'G': mult = 1024LL * 1024 * 1024; end++; break;
	default: return -1;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end != '\0')
		return -1;
	return (long long)(v * (double)mult);
}
