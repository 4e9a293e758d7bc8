/* logs.h: the shim's log relay (logs.c), called by main.c in "pipes" and "tty" modes. */
#ifndef TOCKER_SHIM_LOGS_H
#define TOCKER_SHIM_LOGS_H

#include <stddef.h>

struct log_opts {
	const char *name;  /* file name inside the container's dir, e.g. "<id>-json.log" */
	long long max_size; /* bytes before rotation; <= 0: never rotate (Docker's json-file default) */
	int max_file;       /* files kept, current one included (Docker's max-file; >= 1) */
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

/* Parse Docker's size syntax ("10m", "512k", "1g", "100") into bytes; -1 if invalid. */
long long parse_log_size(const char *s);

#endif
