/*
 * process-spec.c: the runtime's list of tagged fields (see process.c's header for the tags) into a
 * struct process_spec, checked.
 */
#define _GNU_SOURCE
#include "process-spec.h"
#include "shim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct process_spec *parse_process_spec(const char *data, size_t len, char *err, size_t errcap)
{
	struct process_spec *s = calloc(1, sizeof *s);
	if (!s || !(s->buf = malloc(len + 1))) {
		snprintf(err, errcap, "out of memory");
		return NULL;
	}
	memcpy(s->buf, data, len);
	s->buf[len] = 0;
	s->umask = -1;
	s->cwd = "/";
	char *p = s->buf, *end = s->buf + len;
	if (!(s->start_hooks = hooks_new("startContainer")))
		goto oom;
	while (p < end) {
		char tag = *p++;
		char *val = p;
		p += strlen(val) + 1;
		int hook = hooks_field(s->start_hooks, tag, val);
		if (hook < 0)
			goto oom;
		if (hook > 0)
			continue;
		switch (tag) {
		case 'a':
			if (strv_push(&s->argv, &s->argc, val) < 0)
				goto oom;
			break;
		case 'e':
			if (strv_push(&s->env, &s->envc, val) < 0)
				goto oom;
			break;
		case 'c':
			s->cwd = val;
			break;
		case 'u':
			s->uid = (uid_t)strtoul(val, NULL, 10);
			break;
		case 'g':
			s->gid = (gid_t)strtoul(val, NULL, 10);
			break;
		case 'G': {
			gid_t *grown = realloc(s->groups, (s->ngroups + 1) * sizeof *grown);
			if (!grown)
				goto oom;
			grown[s->ngroups++] = (gid_t)strtoul(val, NULL, 10);
			s->groups = grown;
			break;
		}
		case 'm':
			s->umask = (int)strtol(val, NULL, 8);
			break;
		case 'n':
			s->no_new_privs = 1;
			break;
		case 'o':
			s->has_oom = 1;
			s->oom_score_adj = atoi(val);
			break;
		case 'B': case 'E': case 'P': case 'I': case 'A': {
			static const char order[] = "BEPIA";
			s->has_caps = 1;
			s->caps[strchr(order, tag) - order] = strtoull(val, NULL, 16);
			break;
		}
		case 'T':
			s->has_term = 1;
			if (sscanf(val, "%u %u %d", &s->rows, &s->cols, &s->console) != 3) {
				snprintf(err, errcap, "bad terminal field %s", val);
				return NULL;
			}
			break;
		case 'k':
			s->keyring = val;
			break;
		case 'p':
			s->apparmor = val;
			break;
		case 'F':
			if (!(s->seccomp = parse_seccomp_filter(val, err, errcap)))
				return NULL;
			break;
		case 'r':
			if (s->nrlimits == MAX_RLIMITS) {
				snprintf(err, errcap, "too many rlimits");
				return NULL;
			}
			unsigned long long soft, hard;
			int res;
			if (sscanf(val, "%d %llu %llu", &res, &soft, &hard) != 3) {
				snprintf(err, errcap, "bad rlimit %s", val);
				return NULL;
			}
			s->rlimits[s->nrlimits].resource = res;
			s->rlimits[s->nrlimits].lim.rlim_cur = soft;
			s->rlimits[s->nrlimits].lim.rlim_max = hard;
			s->nrlimits++;
			break;
		default:
			snprintf(err, errcap, "unknown process field '%c'", tag);
			return NULL;
		}
	}
	if (s->argc == 0) {
		snprintf(err, errcap, "args must not be empty");
		return NULL;
	}
	if (!s->env && strv_push(&s->env, &s->envc, NULL) < 0)
		goto oom;
	return s;
oom:
	snprintf(err, errcap, "out of memory");
	return NULL;
}
