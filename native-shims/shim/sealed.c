/*
 * sealed.c: the shim runs only from a sealed, read-only copy of itself in memory (CVE-2019-5736).
 *
 * While the shim is in a container's namespaces, /proc/<pid>/exe of it is a magic link to its
 * executable. If that were native-shims/out/shim on the host, a process of the container that got
 * through the kernel's ptrace checks on the link (CAP_SYS_PTRACE, or a moment of the shim being
 * dumpable) could open the host's file; writing is refused only while the shim runs (ETXTBSY), and
 * the next start would run whatever was written there, as root on the host. A memfd sealed with
 * F_SEAL_WRITE|SHRINK|GROW|SEAL has nothing of the host behind it and cannot be changed by anyone.
 *
 * The runtime normally starts us from such a copy that it made once (src/sys/memfd.ts): then this
 * is one open and one fcntl. Started any other way (by hand, a test, an old runtime), we make the
 * copy here and execveat() it, runc's cloned_binary.c approach, at the cost of a copy and a second
 * execve per start.
 */
#define _GNU_SOURCE
#include "errno-text.h"
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3 */
#endif
#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

void run_sealed(char **argv)
{
	int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		die("open /proc/self/exe: %s (is /proc mounted?)", errno_text(errno));
	int seals = fcntl(self, F_GET_SEALS);
	if (seals >= 0 && (seals & SEALS) == SEALS) {
		close(self);
		return;
	}
	struct stat st;
	if (fstat(self, &st) < 0)
		die("stat /proc/self/exe: %s", errno_text(errno));
	int mem = memfd_create("tocker-shim", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (mem < 0 && errno == EINVAL)
		mem = memfd_create("tocker-shim", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mem < 0)
		die("memfd_create: %s", errno_text(errno));
	for (off_t off = 0; off < st.st_size;)
		if (sendfile(mem, self, &off, (size_t)(st.st_size - off)) <= 0)
			die("copy /proc/self/exe to a memfd: %s", errno_text(errno ? errno : EIO));
	if (fcntl(mem, F_ADD_SEALS, SEALS) < 0)
		die("seal the memfd: %s", errno_text(errno));
	close(self);
	/* Close-on-exec is fine for an ELF file (the kernel holds it before closing fds). */
	fexecve(mem, argv, environ);
	die("execute the sealed copy: %s", errno_text(errno));
}
