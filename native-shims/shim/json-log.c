/*
 * json-log.c: Docker's json-file log, written by the shim (the relay that feeds it: logs.c).
 *
 * Format (what Docker's json-file driver writes, one JSON object per line):
 *   {"log":"hello\n","stream":"stdout","time":"2026-11-22T13:52:01.123456789Z"}
 * Rotation (--log-opt max-size / max-file): when the next entry would make the file exceed
 * max-size, name.(N-2) → name.(N-1), …, name → name.1 and a new name is started; with
 * max-file 1 the file is truncated instead.
 *
 * While name.attached exists (the engine's pin: an attach is reading the log, engine/log-pin.ts),
 * rotation keeps opts->pin_files names (if more than max-file) before it drops one: the names
 * attach's follower looks at, a number the engine passes (--log-pin-files), so the two cannot
 * disagree. (With a number of its own here, 16 + max-file, a pinned shim kept log.18 at max-file
 * 3 while the follower looked no further than log.17.) attach does not read a
 * pipe of the container, as Docker's does: it reads these files, holding each new one open
 * as inotify tells it of it. An engine that does not run for max-file rotations (descheduled at
 * load 9, or stopped) learned of the files only once the rename had already unlinked them, and
 * `run` lost whole 10 MB files of output. With the pin, the files stay under their names until
 * the engine walks them (it looks at name … name.(holdAhead+1)). Once the pin is gone, the next
 * rotation drops the extra files again; the rotations after it try no unlinkat(2) of names that
 * are not there (it did 16 of them, each ENOENT, at every rotation of every container).
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
#include "json-log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The longest entry: every byte escaped as \u00XX, plus the JSON around it and the time. */
#define MAX_ENTRY (MAX_LINE * 6 + 256)

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

int open_current(struct log_file *lf)
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

int flush_out(struct log_file *lf)
{
	return flush_prefix(lf, lf->out_len);
}

static int rotate(struct log_file *lf)
{
	char from[512], to[512];
	if (lf->fd >= 0)
		close(lf->fd);
	lf->fd = -1;
	snprintf(from, sizeof from, "%s.attached", lf->opts->name);
	int max_file = lf->opts->max_file, pin_files = lf->opts->pin_files;
	int pinned = pin_files > max_file && faccessat(lf->dirfd, from, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	int keep = pinned ? pin_files : max_file;
	/* The names kept for a pin that is gone: dropped (the first rotation of this shim does not
	 * know what an earlier one kept, and looks at all of them). */
	int kept_before = lf->kept > 0 ? lf->kept : (pin_files > max_file ? pin_files : max_file);
	for (int i = keep; i < kept_before; i++) {
		snprintf(to, sizeof to, "%s.%d", lf->opts->name, i);
		if (unlinkat(lf->dirfd, to, 0) < 0 && errno != ENOENT)
			return -1;
	}
	lf->kept = keep;
	if (keep <= 1) {
		/* Only one file allowed: start it again. */
		int fd = openat(lf->dirfd, lf->opts->name, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
	} else {
		for (int i = keep - 1; i >= 1; i--) {
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
int write_entry(struct log_file *lf, const char *stream, const char *p, size_t n)
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

/* Parse Docker's size syntax ("10m", "512k", "1g", "100") into bytes; -1 if invalid. */
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
