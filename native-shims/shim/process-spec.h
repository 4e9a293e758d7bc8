/* process-spec.h: what the runtime tells the gate of the container's process (process.c's header
 * lists the fields), parsed by process-spec.c and carried out by process.c. */
#ifndef TOCKER_SHIM_PROCESS_SPEC_H
#define TOCKER_SHIM_PROCESS_SPEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#define MAX_RLIMITS 32

struct process_spec {
	char **argv;
	size_t argc;
	char **env;
	size_t envc;
	const char *cwd;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	size_t ngroups;
	int umask; /* -1: leave it */
	int no_new_privs;
	int has_oom;
	int oom_score_adj;
	int has_caps;
	uint64_t caps[5]; /* bounding, effective, permitted, inheritable, ambient */
	struct {
		int resource;
		struct rlimit lim;
	} rlimits[MAX_RLIMITS];
	size_t nrlimits;
	struct seccomp_filter *seccomp; /* NULL: no filter */
	int has_term;
	unsigned rows, cols;
	int console;
	const char *keyring;  /* NULL: keep the session keyring we have */
	const char *apparmor; /* NULL: none */
	struct hook_list *start_hooks;
	char *path; /* the program, after lookup */
	char *buf;  /* owns every string above */
};

#endif
