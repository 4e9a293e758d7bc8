// Docker's default seccomp profile, as tocker's own data: the same rules, in the same Docker
// profile format that `--security-opt seccomp=PATH` reads (docker-profile.ts turns either into
// the OCI `linux.seccomp` of a container's config.json).
//
// What it follows: moby's profiles/seccomp/default.json (moby/moby up to Engine v28, since then the
// github.com/moby/profiles seccomp module), as of 2025: the kernel 6.5-6.13 additions (cachestat …
// *xattrat, mseal, uretprobe) are allowed; io_uring_* are not (blocked since Engine v25, moby
// #46762); socket(AF_VSOCK) is refused (v25); clone3 answers ENOSYS so that glibc falls back to
// clone, whose namespace flags the filter can see. Not followed: a later change of moby/profiles
// that replaces the AF_VSOCK rule by an allow-list of address families (no released Engine has it
// as far as we checked), and the loongarch64 entry of archMap (libseccomp 2.5 has no such arch).
// Cross-checked against containers-common's seccomp.json (podman's: it allows more — keyctl,
// mount, unshare, ptrace — which Docker's does not).
//
// How to read it: everything not allowed gets EPERM (defaultAction). Most syscalls are allowed
// for every container; some only when the container holds the capability that the kernel would
// require anyway (mount needs CAP_SYS_ADMIN, ...), because the kernel's own check has had holes:
// the filter is a second wall. Among those refused to everyone:
//   keyctl, add_key, request_key   the kernel keyring is not namespaced: a container could read and
//                                  replace the host root's keys
//   unshare, setns, clone with CLONE_NEW*   new namespaces; a new user namespace hands out a full
//                                  capability set inside it, a large attack surface
//   perf_event_open, bpf           kernel tracing and BPF programs (with CAP_PERFMON / CAP_BPF only)
//   userfaultfd                    a classic tool for winning kernel races (not in any list: EPERM)
//   io_uring_*                     a second system-call interface the filter cannot look into
//   mount, umount2, pivot_root, swapon, reboot, init_module, kexec_load, ...
import type { DockerSeccompProfile } from './docker-profile.js'

/** Allowed for every container, whatever its capabilities. */
// dprint-ignore: a table, laid out by hand
const ALLOWED = [
  'accept', 'accept4', 'access', 'adjtimex', 'alarm', 'bind', 'brk', 'cachestat', 'capget', 'capset', 'chdir',
  'chmod', 'chown', 'chown32', 'clock_adjtime', 'clock_adjtime64', 'clock_getres', 'clock_getres_time64',
  'clock_gettime', 'clock_gettime64', 'clock_nanosleep', 'clock_nanosleep_time64', 'close', 'close_range', 'connect',
  'copy_file_range', 'creat', 'dup', 'dup2', 'dup3', 'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old',
  'epoll_pwait', 'epoll_pwait2', 'epoll_wait', 'epoll_wait_old', 'eventfd', 'eventfd2', 'execve', 'execveat', 'exit',
  'exit_group', 'faccessat', 'faccessat2', 'fadvise64', 'fadvise64_64', 'fallocate', 'fanotify_mark', 'fchdir',
  'fchmod', 'fchmodat', 'fchmodat2', 'fchown', 'fchown32', 'fchownat', 'fcntl', 'fcntl64', 'fdatasync', 'fgetxattr',
  'flistxattr', 'flock', 'fork', 'fremovexattr', 'fsetxattr', 'fstat', 'fstat64', 'fstatat64', 'fstatfs',
  'fstatfs64', 'fsync', 'ftruncate', 'ftruncate64', 'futex', 'futex_requeue', 'futex_time64', 'futex_wait',
  'futex_waitv', 'futex_wake', 'futimesat', 'getcpu', 'getcwd', 'getdents', 'getdents64', 'getegid', 'getegid32',
  'geteuid', 'geteuid32', 'getgid', 'getgid32', 'getgroups', 'getgroups32', 'getitimer', 'getpeername', 'getpgid',
  'getpgrp', 'getpid', 'getppid', 'getpriority', 'getrandom', 'getresgid', 'getresgid32', 'getresuid', 'getresuid32',
  'getrlimit', 'get_robust_list', 'getrusage', 'getsid', 'getsockname', 'getsockopt', 'get_thread_area', 'gettid',
  'gettimeofday', 'getuid', 'getuid32', 'getxattr', 'getxattrat', 'inotify_add_watch', 'inotify_init',
  'inotify_init1', 'inotify_rm_watch', 'io_cancel', 'ioctl', 'io_destroy', 'io_getevents', 'io_pgetevents',
  'io_pgetevents_time64', 'ioprio_get', 'ioprio_set', 'io_setup', 'io_submit', 'ipc', 'kill', 'landlock_add_rule',
  'landlock_create_ruleset', 'landlock_restrict_self', 'lchown', 'lchown32', 'lgetxattr', 'link', 'linkat', 'listen',
  'listmount', 'listxattr', 'listxattrat', 'llistxattr', '_llseek', 'lremovexattr', 'lseek', 'lsetxattr', 'lstat',
  'lstat64', 'madvise', 'map_shadow_stack', 'membarrier', 'memfd_create', 'memfd_secret', 'mincore', 'mkdir',
  'mkdirat', 'mknod', 'mknodat', 'mlock', 'mlock2', 'mlockall', 'mmap', 'mmap2', 'mprotect', 'mq_getsetattr',
  'mq_notify', 'mq_open', 'mq_timedreceive', 'mq_timedreceive_time64', 'mq_timedsend', 'mq_timedsend_time64',
  'mq_unlink', 'mremap', 'mseal', 'msgctl', 'msgget', 'msgrcv', 'msgsnd', 'msync', 'munlock', 'munlockall', 'munmap',
  'name_to_handle_at', 'nanosleep', 'newfstatat', '_newselect', 'open', 'openat', 'openat2', 'pause', 'pidfd_open',
  'pidfd_send_signal', 'pipe', 'pipe2', 'pkey_alloc', 'pkey_free', 'pkey_mprotect', 'poll', 'ppoll', 'ppoll_time64',
  'prctl', 'pread64', 'preadv', 'preadv2', 'prlimit64', 'process_mrelease', 'pselect6', 'pselect6_time64',
  'pwrite64', 'pwritev', 'pwritev2', 'read', 'readahead', 'readlink', 'readlinkat', 'readv', 'recv', 'recvfrom',
  'recvmmsg', 'recvmmsg_time64', 'recvmsg', 'remap_file_pages', 'removexattr', 'removexattrat', 'rename', 'renameat',
  'renameat2', 'restart_syscall', 'riscv_hwprobe', 'rmdir', 'rseq', 'rt_sigaction', 'rt_sigpending',
  'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_sigreturn', 'rt_sigsuspend', 'rt_sigtimedwait', 'rt_sigtimedwait_time64',
  'rt_tgsigqueueinfo', 'sched_getaffinity', 'sched_getattr', 'sched_getparam', 'sched_get_priority_max',
  'sched_get_priority_min', 'sched_getscheduler', 'sched_rr_get_interval', 'sched_rr_get_interval_time64',
  'sched_setaffinity', 'sched_setattr', 'sched_setparam', 'sched_setscheduler', 'sched_yield', 'seccomp', 'select',
  'semctl', 'semget', 'semop', 'semtimedop', 'semtimedop_time64', 'send', 'sendfile', 'sendfile64', 'sendmmsg',
  'sendmsg', 'sendto', 'setfsgid', 'setfsgid32', 'setfsuid', 'setfsuid32', 'setgid', 'setgid32', 'setgroups',
  'setgroups32', 'setitimer', 'setpgid', 'setpriority', 'setregid', 'setregid32', 'setresgid', 'setresgid32',
  'setresuid', 'setresuid32', 'setreuid', 'setreuid32', 'setrlimit', 'set_robust_list', 'setsid', 'setsockopt',
  'set_thread_area', 'set_tid_address', 'setuid', 'setuid32', 'setxattr', 'setxattrat', 'shmat', 'shmctl', 'shmdt',
  'shmget', 'shutdown', 'sigaltstack', 'signalfd', 'signalfd4', 'sigprocmask', 'sigreturn', 'socketcall',
  'socketpair', 'splice', 'stat', 'stat64', 'statfs', 'statfs64', 'statmount', 'statx', 'symlink', 'symlinkat',
  'sync', 'sync_file_range', 'syncfs', 'sysinfo', 'tee', 'tgkill', 'time', 'timer_create', 'timer_delete',
  'timer_getoverrun', 'timer_gettime', 'timer_gettime64', 'timer_settime', 'timer_settime64', 'timerfd_create',
  'timerfd_gettime', 'timerfd_gettime64', 'timerfd_settime', 'timerfd_settime64', 'times', 'tkill', 'truncate',
  'truncate64', 'ugetrlimit', 'umask', 'uname', 'unlink', 'unlinkat', 'uretprobe', 'utime', 'utimensat',
  'utimensat_time64', 'utimes', 'vfork', 'vmsplice', 'wait4', 'waitid', 'waitpid', 'write', 'writev',
]

/** CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP */
const CLONE_NAMESPACE_FLAGS = 0x7e020000

/** <linux/socket.h> AF_VSOCK: sockets to the hypervisor (or other VMs) beside the network namespace. */
const AF_VSOCK = 40

/** <errno.h> */
const EPERM = 1
const ENOSYS = 38

/** personality(2) values that only select Linux behaviour (PER_LINUX, PER_LINUX32, UNAME26 variants, query). */
const HARMLESS_PERSONALITIES = [0x0, 0x0008, 0x20000, 0x20008, 0xffffffff]

const onlyWith = (cap: string) => ({ caps: [cap] })

export const DEFAULT_SECCOMP_PROFILE: DockerSeccompProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: EPERM,
  // The native architecture and those whose programs it can run (a 32-bit binary in an x86_64
  // container): a syscall from any other architecture is killed.
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    { architecture: 'SCMP_ARCH_MIPS64', subArchitectures: ['SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64N32'] },
    { architecture: 'SCMP_ARCH_MIPS64N32', subArchitectures: ['SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64'] },
    { architecture: 'SCMP_ARCH_MIPSEL64', subArchitectures: ['SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64N32'] },
    { architecture: 'SCMP_ARCH_MIPSEL64N32', subArchitectures: ['SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64'] },
    { architecture: 'SCMP_ARCH_S390X', subArchitectures: ['SCMP_ARCH_S390'] },
    { architecture: 'SCMP_ARCH_RISCV64', subArchitectures: null },
  ],
  syscalls: [
    { names: ALLOWED, action: 'SCMP_ACT_ALLOW' },
    // Before 4.8 a seccomp filter could be bypassed with ptrace: only allowed from 4.8 on.
    { names: ['process_vm_readv', 'process_vm_writev', 'ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8' } },
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }] },
    ...HARMLESS_PERSONALITIES.map((value) => ({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] })),
    // Architecture-specific calls, kept for the day tocker runs on them.
    { names: ['sync_file_range2', 'swapcontext'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['ppc64le'] } },
    { names: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm', 'arm64'] } },
    { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32'] } },
    { names: ['modify_ldt'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32', 'x86'] } },
    { names: ['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['s390', 's390x'] } },
    { names: ['riscv_flush_icache'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['riscv64'] } },
    // The rest follow the capabilities the container is given (its bounding set).
    { names: ['open_by_handle_at'], action: 'SCMP_ACT_ALLOW', includes: onlyWith('CAP_DAC_READ_SEARCH') },
    {
      names: [
        'bpf',
        'clone',
        'clone3',
        'fanotify_init',
        'fsconfig',
        'fsmount',
        'fsopen',
        'fspick',
        'lookup_dcookie',
        'lsm_get_self_attr',
        'lsm_list_modules',
        'lsm_set_self_attr',
        'mount',
        'mount_setattr',
        'move_mount',
        'open_tree',
        'perf_event_open',
        'quotactl',
        'quotactl_fd',
        'setdomainname',
        'sethostname',
        'setns',
        'syslog',
        'umount',
        'umount2',
        'unshare',
      ],
      action: 'SCMP_ACT_ALLOW',
      includes: onlyWith('CAP_SYS_ADMIN'),
    },
    // Without CAP_SYS_ADMIN: clone, but none of the namespace flags (s390 swaps clone's first two arguments).
    { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }], excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] } },
    {
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 1, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      comment: 's390 parameter ordering for clone is different',
      includes: { arches: ['s390', 's390x'] },
      excludes: { caps: ['CAP_SYS_ADMIN'] },
    },
    // clone3 passes its flags in a struct in memory, which a seccomp filter cannot read: ENOSYS
    // makes glibc (2.34+) fall back to clone, whose flags the rule above checks.
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['reboot'], action: 'SCMP_ACT_ALLOW', includes: onlyWith('CAP_SYS_BOOT') },
    { names: ['chroot'], action: 'SCMP_ACT_ALLOW', includes: onlyWith('CAP_SYS_CHROOT') },
    { names: ['delete_module', 'init_module', 'finit_module'], action: 'SCMP_ACT_ALLOW', includes: onlyWith('CAP_SYS_MODULE') },
    { names: ['acct'], action: 'SCMP_ACT_ALLOW', includes: onlyWith('CAP_SYS_PACCT') },
    { names: ['kcmp', 'pidfd_getfd', 'process_madvise', 'process_vm_readv', 'process_vm_writev', 'ptrace'], action: 'SCMP_ACT_ALLOW', includes: onlyWith('CAP_SYS_PTRACE') },
    { names: ['iopl', 'ioperm'], action: 'SCMP_ACT_ALLOW', includes: onlyWith('CAP_SYS_RAWIO') },
    { names: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'], action: 'SCMP_ACT_ALLOW', includes: onlyWith('CAP_SYS_TIME') },
    { names: ['vhangup'], action: 'SCMP_ACT_ALLOW', includes: onlyWith('CAP_SYS_TTY_CONFIG') },
    { names: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'], action: 'SCMP_ACT_ALLOW', includes: onlyWith('CAP_SYS_NICE') },
    { names: ['syslog'], action: 'SCMP_ACT_ALLOW', includes: onlyWith('CAP_SYSLOG') },
    { names: ['bpf'], action: 'SCMP_ACT_ALLOW', includes: onlyWith('CAP_BPF') },
    { names: ['perf_event_open'], action: 'SCMP_ACT_ALLOW', includes: onlyWith('CAP_PERFMON') },
  ],
}
