/* logs.h: the shim's log relay (logs.c), called by main.c in "pipes" and "tty" modes. */
#ifndef TOCKER_SHIM_LOGS_H
#define TOCKER_SHIM_LOGS_H

#include <stddef.h>

struct log_opts {
	const char *name;  /* file name inside the container's dir, e.g. "<id>-json.log" */
	long long max_size; /* bytes before rotation; <= 0: never rotate (Docker's json-file default) */
	int max_file;       /* files kept, current one included (Docker's max-file; >= 1) */
	/* Names kept while the engine's pin (name.attached) is there, current one included: the
	 * names attach's follower looks at (engine/logs.ts heldNames(ATTACH_HOLD_AHEAD), passed as
	 * --log-pin-files). 0: the pin is not looked at (a runtime without an engine's attach). */
	int pin_files;
};

/* tocker's defaults (Docker has none: its json-file grows without bound unless --log-opt is given). */
#define LOG_DEFAULT_MAX_SIZE (10LL * 1024 * 1024) /* 10m */
#define LOG_DEFAULT_MAX_FILE 3

/*
 * Copy everything the container writes on out_fd (stream "stdout") and err_fd (stream "stderr";
 * -1 when there is none, as with a TTY) into Docker's json-file format in dirfd/opts->name,
 * rotating it. Returns when both fds reached end of file (or EIO on a pty master, which is how a
 * pty says "every slave is closed"). Returns 0, or -1 with errno set if the log file cannot be
 * written (the relay then keeps draining the pipes so the container never blocks on a full pipe).
 */
int relay_logs(int out_fd, int err_fd, int dirfd, const struct log_opts *opts);

/*
 * The container's stdin and terminal size, fed through FIFOs in the container's directory so the
 * engine can come and go: the engine opens `stdin` for writing while a client is attached (its
 * bytes go to the container's stdin: a pipe, or the pty master with -t) and writes "ROWS COLS\n"
 * lines into `resize` (-t only). When the last writer of `stdin` closes it and stdin_once is set
 * (Docker's StdinOnce: `run -i` attached), the container's stdin is closed: it reads end of file.
 * Without stdin_once a detach leaves the container's stdin open for the next attach.
 */
struct relay_io {
	int out_fd;      /* container's stdout (or the pty master): "stdout" */
	int err_fd;      /* container's stderr, -1 with a pty */
	int stdin_dst;   /* where stdin bytes go (pipe write end or a dup of the pty master), -1: none */
	int stdin_once;
	int fifo_dirfd;  /* directory holding the FIFOs */
	const char *stdin_fifo;  /* name of the stdin FIFO, NULL: none */
	const char *resize_fifo; /* name of the resize FIFO, NULL: none */
	int pty_master;  /* for TIOCSWINSZ, -1 without a pty */
	int handoff_fd;  /* -t: the pty master arrives here from PID 1 (SCM_RIGHTS), -1 otherwise */
};

/* relay_logs plus stdin and resize; returns when out/err reached end of file. */
int relay_io(struct relay_io *io, int dirfd, const struct log_opts *opts);

/*
 * The container's stdio in "pipes" and "tty" modes, set up around the shim's fork:
 *   stdio_prepare  before fork: pipes for stdout/stderr (and stdin with a stdin FIFO), or, with
 *                  -t, a socket on which PID 1 will hand the shim its pty master; the FIFOs;
 *   stdio_child    in the child (the future PID 1): its fds 0-2 (with -t: /dev/null for now);
 *   stdio_tty_handoff  in PID 1 just before execve (-t): open the *container's* /dev/ptmx (so the
 *                  terminal is a /dev/pts/N of the container's own devpts, as `tty` shows), make
 *                  the slave its stdio and controlling terminal (so ^C reaches the shell), and
 *                  pass the master to the shim;
 *   stdio_relay    in the shim after fork: relay_io until the container's output ends.
 */
struct shim_stdio {
	int tty;          /* 1: a pty instead of pipes */
	const char *stdin_fifo;  /* FIFO name in the log dir, NULL: the container's stdin is /dev/null */
	const char *resize_fifo; /* FIFO name in the log dir (tty only) */
	unsigned rows, cols;     /* the pty's first window size (tty only; 0: none given) */
	int stdin_once;
	/* filled by stdio_prepare */
	int logdir, devnull;
	int out[2], err[2], in[2];
	int handoff[2];
};
int stdio_prepare(struct shim_stdio *s, const char *log_dir);
void stdio_child(struct shim_stdio *s);
int stdio_tty_handoff(void);
int stdio_relay(struct shim_stdio *s, const struct log_opts *opts);

/* Parse Docker's size syntax ("10m", "512k", "1g", "100") into bytes; -1 if invalid. */
long long parse_log_size(const char *s);

#endif
