/*
 * options.c: the shim's command line (see main.c for its usage) into struct options.
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

/* A number of log files (--log-max-file, --log-pin-files): a whole decimal from `min` to 1000000. */
static int file_count(const char *opt, const char *v, long min)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n < min || n > 1000000)
		die("invalid %s %s", opt, v);
	return (int)n;
}

void parse_options(int argc, char **argv, struct options *o)
{
	o->stdio = STDIO_INHERIT;
	o->mntns_fd = -1;
	o->pidns_fd = -1;
	o->root_fd = -1;
	o->status_dir_fd = -1;
	o->exit_fd = -1;
	o->cgroup_fd = -1;
	o->cgroupns_fd = -1;
	o->log.max_size = LOG_DEFAULT_MAX_SIZE;
	o->log.max_file = LOG_DEFAULT_MAX_FILE;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			die("option %s needs a value", a);
		i++;
		if (!strcmp(a, "--state-dir"))
			o->state_dir = v;
		else if (!strcmp(a, "--pidns"))
			o->pidns = v;
		else if (!strcmp(a, "--stdio"))
			o->stdio = !strcmp(v, "pipes") ? STDIO_PIPES : !strcmp(v, "tty") ? STDIO_TTY : STDIO_INHERIT;
		else if (!strcmp(a, "--stdin-fifo"))
			o->io.stdin_fifo = v;
		else if (!strcmp(a, "--stdin-once"))
			o->io.stdin_once = !strcmp(v, "1");
		else if (!strcmp(a, "--resize-fifo"))
			o->io.resize_fifo = v;
		else if (!strcmp(a, "--tty-size")) {
			if (sscanf(v, "%ux%u", &o->io.rows, &o->io.cols) != 2)
				die("--tty-size %s: expected ROWSxCOLS", v);
		}
		else if (!strcmp(a, "--log-dir"))
			o->log_dir = v;
		else if (!strcmp(a, "--log-name"))
			o->log.name = v;
		else if (!strcmp(a, "--log-max-size"))
		{
			/* The engine checks these at create; a bad value here must not quietly mean "never rotate". */
			o->log.max_size = parse_log_size(v);
			if (o->log.max_size <= 0)
				die("invalid --log-max-size %s", v);
		}
		else if (!strcmp(a, "--log-max-file"))
			o->log.max_file = file_count(a, v, 1);
		else if (!strcmp(a, "--log-pin-files"))
			o->log.pin_files = file_count(a, v, 0);
		else if (!strcmp(a, "--mntns-fd"))
			o->mntns_fd = atoi(v);
		else if (!strcmp(a, "--pidns-fd"))
			o->pidns_fd = atoi(v);
		else if (!strcmp(a, "--root-fd"))
			o->root_fd = atoi(v);
		else if (!strcmp(a, "--exit-fd"))
			o->exit_fd = atoi(v);
		else if (!strcmp(a, "--status-dir-fd"))
			o->status_dir_fd = atoi(v);
		else if (!strcmp(a, "--status-name"))
			o->status_name = v;
		else if (!strcmp(a, "--parent"))
			o->caller_parent = !strcmp(v, "caller");
		else if (!strcmp(a, "--detach"))
			o->detach = !strcmp(v, "1");
		else if (!strcmp(a, "--console-socket"))
			o->console_socket = v;
		else if (!strcmp(a, "--console-fd"))
			shim_fds.console = atoi(v);
		else if (!strcmp(a, "--timens"))
			o->timens = v;
		else if (!strcmp(a, "--timens-offsets"))
			o->timens_offsets = v;
		else if (!strcmp(a, "--prlimits"))
			o->prlimits = v;
		else if (!strcmp(a, "--cgroup"))
			o->cgroup = v;
		else if (!strcmp(a, "--cgroup-fd"))
			o->cgroup_fd = atoi(v);
		else if (!strcmp(a, "--cgroupns-fd"))
			o->cgroupns_fd = atoi(v);
		else if (!strcmp(a, "--oom-score-adj"))
			o->oom_score_adj = v;
		else if (!strcmp(a, "--unshare"))
			o->unshare_flags = strtoul(v, NULL, 10);
		else if (!strcmp(a, "--userns-path"))
			o->userns_path = v;
		else if (!strcmp(a, "--userns-fd"))
			shim_fds.userns = atoi(v);
		else if (!strcmp(a, "--preserve-base"))
			shim_fds.preserve_base = atoi(v);
		else if (!strcmp(a, "--preserve-fds"))
		{
			shim_fds.preserve_n = atoi(v);
			if (shim_fds.preserve_n < 0 || shim_fds.preserve_n > 65536)
				die("invalid --preserve-fds %s", v);
		}
		else if (!strcmp(a, "--trace"))
			trace_enable(!strcmp(v, "1"));
		else
			die("unknown option %s", a);
	}
}
