/* json-log.h: one json-file log being written (json-log.c), as the relay (logs.c) uses it. */
#ifndef TOCKER_SHIM_JSON_LOG_H
#define TOCKER_SHIM_JSON_LOG_H

#include "logs.h"

#include <stddef.h>

/* The longest line in one entry: longer ones are split into partial entries, as Docker does. */
#define MAX_LINE 16384
/* Entries gathered before one write(2); always room for one more entry. */
#define OUT_CAP (256 * 1024)

struct log_file {
	int dirfd;
	int fd;
	long long size;     /* the file's size: whole lines only */
	int need_newline;   /* the file ends in a torn entry: start the next write with "\n" */
	char out[OUT_CAP];  /* entries not written yet */
	size_t out_len;
	const struct log_opts *opts;
	/* The names the last rotation kept; 0: none yet, so the first one also drops what an earlier
	 * shim of this container kept for a pin (a restarted container's log). */
	int kept;
};

/* Open (create) dirfd/opts->name for appending and look whether its last line is torn; -1 with errno. */
int open_current(struct log_file *lf);
/* Add one entry to the gathered ones (written by flush_out, or at once when full or at rotation). */
int write_entry(struct log_file *lf, const char *stream, const char *p, size_t n);
/* Write the gathered entries: whole lines or none (see json-log.c); -1 with errno if the disk refused. */
int flush_out(struct log_file *lf);

#endif
