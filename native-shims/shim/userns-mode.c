/*
 * userns-mode.c: `shim userns`: the holder of a container's user namespace.
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

/*
 * userns: the holder of a container's user namespace (src/runtime/userns.ts says why). Node is
 * multi-threaded and the kernel refuses it CLONE_NEWUSER, so this single-threaded process makes the
 * user namespace and, in the same unshare(2), the container's other new namespaces (mount, UTS,
 * IPC, network; not PID: see userns.ts), which are then *owned* by the user namespace: root in the
 * container has its capabilities over them, as with runc. It says R and waits: meanwhile the
 * runtime writes its uid_map and gid_map (a privileged process of the parent namespace may map any
 * ids), joins those namespaces, and has the shim join the PID namespace. End of file on the
 * control socket: the namespaces are held by others now, we exit.
 */
int userns_mode(int ctl, struct options *o)
{
	char why[128];
	unsigned long flags = o->unshare_flags;
	if (o->userns_path) {
		int fd = open(o->userns_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWUSER) < 0) {
			send_error(ctl, errno, 1, "join user namespace %s: %s", o->userns_path, go_strerror(errno, why, sizeof why));
			return 1;
		}
		close(fd);
	} else {
		flags |= CLONE_NEWUSER;
	}
	if (flags && unshare((int)flags) < 0) {
		send_error(ctl, errno, 1, "unshare namespaces (flags 0x%lx): %s", flags, go_strerror(errno, why, sizeof why));
		return 1;
	}
	prctl(PR_SET_NAME, "tocker-userns", 0, 0, 0);
	send_msg(ctl, MSG_READY, NULL, 0);
	char c;
	while (recv_msg(ctl, &c, 1) > 0)
		;
	return 0;
}
