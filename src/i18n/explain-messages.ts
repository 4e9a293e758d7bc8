// The words of `tocker --explain` (trace/phases.ts, trace/explain.ts) in English and Korean: each
// phase's title and one-sentence why, the engine's notes (what it observed: a signal ignored, an
// exit code, a layer shared) and the explanations on the essential lines. Syscalls, flags, paths
// and numbers stay as the kernel spells them in both languages: a learner searches for them.
//
// A note travels from the engine to the CLI as its key and values (TraceEvent.msg), so it is
// printed in the language of the learner's terminal, not the engine's; its English text is the
// event's detail (--explain=full, old clients).
export const EXPLAIN_MESSAGES = {
  // ---- phases: title, and why it happens ----
  'explain.phase.registry.title': { en: 'Registry', ko: '레지스트리' },
  'explain.phase.registry.why': { en: "the image's manifest lists its layers and config by their sha256 digests", ko: '이미지의 매니페스트에 레이어와 설정이 sha256 다이제스트로 적혀 있습니다' },
  'explain.phase.layers.title': { en: 'Layers', ko: '레이어' },
  'explain.phase.layers.why': { en: 'each layer downloaded, checked against its sha256, unpacked in its own directory', ko: '레이어마다 내려받아 sha256을 확인하고 자기 디렉터리에 풉니다' },
  'explain.phase.create.title': { en: 'The container', ko: '컨테이너' },
  'explain.phase.create.why': { en: 'the image + an empty writable layer + a config; nothing runs yet', ko: '이미지 + 비어 있는 쓰기 레이어 + 설정. 아직 아무것도 실행되지 않습니다' },
  'explain.phase.cgroup.title': { en: 'cgroup limits', ko: 'cgroup 제한' },
  'explain.phase.cgroup.why': { en: 'the kernel limits memory, CPU and process count of all that is in the cgroup', ko: '커널이 cgroup 안의 모든 프로세스에 메모리, CPU, 프로세스 수 제한을 겁니다' },
  'explain.phase.namespaces.title': { en: 'Namespaces', ko: '네임스페이스' },
  'explain.phase.namespaces.why': { en: 'its own hostname (uts), IPC, mounts (mnt), network (net), PIDs, cgroups', ko: '컨테이너만의 호스트 이름(uts), IPC, 마운트(mnt), 네트워크(net), PID, cgroup' },
  'explain.phase.rootfs.title': { en: 'Root filesystem', ko: '루트 파일시스템' },
  'explain.phase.rootfs.why': { en: "overlayfs stacks the image's read-only layers under one writable layer", ko: 'overlayfs가 이미지의 읽기 전용 레이어 위에 쓰기 레이어 하나를 겹칩니다' },
  'explain.phase.pid1.title': { en: 'PID 1 and /proc', ko: 'PID 1과 /proc' },
  'explain.phase.pid1.why': { en: "a new PID namespace's first process is PID 1; its /proc shows only the container", ko: '새 PID 네임스페이스의 첫 프로세스가 PID 1. 그가 마운트한 /proc에는 컨테이너만 보입니다' },
  'explain.phase.dev.title': { en: '/dev, /sys and masked paths', ko: '/dev, /sys, 가려진 경로' },
  'explain.phase.dev.why': { en: 'a minimal /dev, a read-only /sys; kernel files about the host are masked', ko: '최소한의 /dev와 읽기 전용 /sys. 호스트를 드러내는 커널 파일은 가립니다' },
  'explain.phase.volumes.title': { en: 'Bind mounts (-v)', ko: '바인드 마운트 (-v)' },
  'explain.phase.volumes.why': { en: 'a host directory appears inside the container: both sides see the same files', ko: '호스트 디렉터리가 컨테이너 안에 보입니다. 양쪽이 같은 파일을 봅니다' },
  'explain.phase.pivot.title': { en: 'pivot_root', ko: 'pivot_root' },
  'explain.phase.pivot.why': { en: "the merged tree becomes /; the host's root is detached and out of reach", ko: '합쳐진 트리가 /가 되고, 호스트의 루트는 떼어져 닿을 수 없습니다' },
  'explain.phase.join.title': { en: 'Entering the container', ko: '컨테이너에 들어가기' },
  'explain.phase.join.why': { en: "no new container: a new process joins the running one's namespaces and cgroup", ko: '새 컨테이너가 아니라, 새 프로세스가 실행 중인 컨테이너의 네임스페이스와 cgroup에 들어갑니다' },
  'explain.phase.security.title': { en: 'Capabilities, seccomp', ko: '권한(capability), seccomp' },
  'explain.phase.security.why': { en: "root inside is not the host's root: capabilities dropped, syscalls filtered", ko: '컨테이너의 root는 호스트의 root가 아닙니다: 권한을 버리고 시스템 콜을 거릅니다' },
  'explain.phase.network.title': { en: 'Network', ko: '네트워크' },
  'explain.phase.network.why': { en: 'a veth pair to the tocker0 bridge, an IP of its own, a DNAT rule per -p', ko: 'tocker0 브리지로 가는 veth 쌍, 자기 IP, -p마다 DNAT 규칙(포트포워딩)' },
  'explain.phase.start.title': { en: 'The program starts', ko: '프로그램 시작' },
  'explain.phase.start.why': { en: 'execve: the process tocker prepared becomes your program', ko: 'execve: tocker가 준비한 프로세스가 사용자의 프로그램이 됩니다' },
  'explain.phase.stop.title': { en: 'Stopping: signals', ko: '정지: 시그널' },
  'explain.phase.stop.why': {
    en: 'the stop signal (SIGTERM unless the image names another), a grace period (10 s by default), then SIGKILL, which cannot be ignored',
    ko: '멈춤 시그널(이미지가 따로 정하지 않으면 SIGTERM), 기다리는 시간(기본 10초), 그다음 무시할 수 없는 SIGKILL',
  },
  'explain.phase.cleanup.title': { en: 'After the exit', ko: '종료 뒤 정리' },
  'explain.phase.cleanup.why': { en: 'its last process gone, the kernel ends its namespaces; tocker frees IP, rules, cgroup', ko: '마지막 프로세스가 끝나면 커널이 네임스페이스를 없애고, tocker는 IP, 규칙, cgroup을 돌려놓습니다' },
  'explain.phase.remove.title': { en: 'Removal', ko: '삭제' },
  'explain.phase.remove.why': { en: "the writable layer is deleted: the container's changes are lost when it is removed", ko: '쓰기 레이어를 지웁니다. 컨테이너를 지우면 그 안에서 바꾼 내용은 사라집니다' },
  'explain.phase.rmi.title': { en: 'Image removal', ko: '이미지 삭제' },
  'explain.phase.rmi.why': { en: 'layers are shared: a layer is deleted only when no image uses it any more', ko: '레이어는 이미지끼리 나눠 씁니다. 어떤 이미지도 쓰지 않는 레이어만 지웁니다' },
  'explain.phase.copy.title': { en: 'Files in the container', ko: '컨테이너의 파일' },
  'explain.phase.copy.why': {
    en: 'the container owns its files and links: every path is resolved inside its root, never on the host',
    ko: '파일과 링크는 컨테이너의 것입니다: 모든 경로를 호스트가 아니라 컨테이너의 루트 안에서 풉니다',
  },
  'explain.phase.commit.title': { en: 'Commit', ko: '커밋' },
  'explain.phase.commit.why': {
    en: "the writable layer (the overlay's upper dir) becomes one more image layer on top of the container's image",
    ko: '쓰기 레이어(overlay의 upper 디렉터리)가 컨테이너 이미지 위의 새 레이어가 됩니다',
  },

  // ---- the engine's notes (TraceEvent.msg) ----
  'explain.note.config.one': { en: 'manifest {manifest}: config {config} (sha256 checked) + 1 layer', ko: '매니페스트 {manifest}: 설정 {config} (sha256 확인) + 레이어 1개' },
  'explain.note.config.many': { en: 'manifest {manifest}: config {config} (sha256 checked) + {n} layers', ko: '매니페스트 {manifest}: 설정 {config} (sha256 확인) + 레이어 {n}개' },
  'explain.note.layer.shared': {
    en: 'layer {id}: already in the store (another image has it: layers are shared, not downloaded again)',
    ko: '레이어 {id}: 이미 저장소에 있습니다 (다른 이미지가 가진 레이어: 나눠 쓰므로 다시 내려받지 않습니다)',
  },
  'explain.note.layer.unpacked': { en: 'layer {id}: {size} bytes downloaded, sha256 checked, unpacked into layers/{dir}/ (its diff_id)', ko: '레이어 {id}: {size}바이트 내려받음, sha256 확인, layers/{dir}/에 풀었습니다 (diff_id)' },
  'explain.note.layer.loaded': { en: 'layer {id}: read from the archive, sha256 checked, unpacked into layers/{id}/ (its diff_id)', ko: '레이어 {id}: 아카이브에서 읽어 sha256 확인, layers/{id}/에 풀었습니다 (diff_id)' },
  'explain.note.stop.ignored': {
    en: 'PID 1 ignored {signal} for {seconds} s (a PID 1 has no default action for a signal it does not handle): SIGKILL',
    ko: 'PID 1이 {signal} 시그널을 {seconds}초 동안 무시했습니다 (PID 1은 처리하지 않는 시그널에 기본 동작이 없습니다): 그래서 SIGKILL',
  },
  'explain.note.stop.handled': { en: 'PID 1 handled {signal}: it exited after {took} s of the {seconds} s it was given', ko: 'PID 1이 {signal} 시그널을 처리했습니다: 주어진 {seconds}초 중 {took}초 만에 끝났습니다' },
  'explain.note.cp.root.running': {
    en: 'the container runs: its files are reached through /proc/{pid}/root (its own root, volumes included); every path is resolved in it with openat2(RESOLVE_IN_ROOT): its symlinks and ".." cannot lead out',
    ko: '컨테이너가 실행 중입니다: 파일은 /proc/{pid}/root(컨테이너 자신의 루트, 볼륨 포함)로 닿습니다. 모든 경로는 openat2(RESOLVE_IN_ROOT)로 그 안에서 풀므로, 컨테이너의 심볼릭 링크나 ".."가 밖으로 이끌 수 없습니다',
  },
  'explain.note.cp.root.mounted.ro': {
    en: 'the container does not run (or export wants its own layers): its overlay is mounted read-only for this copy alone, in a private mount namespace nobody else sees, with the writable layer {upper} on top',
    ko: '컨테이너가 실행 중이 아닙니다(또는 export는 레이어만 원합니다): 이번 복사만을 위해, 아무도 보지 못하는 사적인 마운트 네임스페이스에 overlay를 읽기 전용으로 마운트합니다. 쓰기 레이어 {upper}가 맨 위입니다',
  },
  'explain.note.cp.root.mounted.rw': {
    en: 'the container does not run: its overlay (upperdir {upper}) is mounted for this copy alone, in a private mount namespace nobody else sees',
    ko: '컨테이너가 실행 중이 아닙니다: 이번 복사만을 위해, 아무도 보지 못하는 사적인 마운트 네임스페이스에 overlay(upperdir {upper})를 마운트합니다',
  },
  'explain.note.cp.resolved': { en: '{path} resolved inside the container: {resolved}', ko: '{path}를 컨테이너 안에서 풀었습니다: {resolved}' },
  'explain.note.cp.upper.running': {
    en: 'files written into {path} go through the overlay: new ones land in the writable layer {upper}; a file of the image is copied up there before it changes (tocker diff shows them)',
    ko: '{path}에 쓰는 파일은 overlay를 거칩니다: 새 파일은 쓰기 레이어 {upper}에 생기고, 이미지의 파일은 바뀌기 전에 그곳으로 복사(copy-up)됩니다 (tocker diff로 볼 수 있습니다)',
  },
  'explain.note.cp.upper.mounted': {
    en: 'files written into {path} go through the overlay: they land in the writable layer {upper}, with copy-ups and whiteouts made by overlayfs itself (tocker diff shows them)',
    ko: '{path}에 쓰는 파일은 overlay를 거칩니다: 쓰기 레이어 {upper}에 쓰이고, copy-up과 whiteout은 overlayfs가 직접 만듭니다 (tocker diff로 볼 수 있습니다)',
  },
  'explain.note.commit.freeze': {
    en: 'the container is frozen while its writable layer is read (cgroup v2 freezer: 1 written to {path}/cgroup.freeze, until cgroup.events says "frozen 1"), then thawed',
    ko: '쓰기 레이어를 읽는 동안 컨테이너를 얼립니다 (cgroup v2 freezer: {path}/cgroup.freeze에 1을 쓰고 cgroup.events가 "frozen 1"이 될 때까지 기다림). 다 읽으면 다시 풉니다',
  },
  'explain.note.commit.nofreeze': {
    en: 'the container is not paused during the commit (as with --pause=false): {why}. tocker freezes only with cgroup v2 and never writes to cgroup v1',
    ko: '커밋하는 동안 컨테이너를 멈추지 않습니다 (--pause=false와 같음): {why}. tocker는 cgroup v2로만 얼리고 cgroup v1에는 절대 쓰지 않습니다',
  },
  'explain.note.exit': { en: 'PID 1 ({path}) exited with code {code}', ko: 'PID 1 ({path}) 끝남: 종료 코드 {code}' },
  'explain.note.exit.signal': { en: 'PID 1 ({path}) exited with code {code} = 128 + {n}: killed by {signal}', ko: 'PID 1 ({path}) 끝남: 종료 코드 {code} = 128 + {n}, {signal} 시그널에 죽었습니다' },
  'explain.note.exit.oom': {
    en: "PID 1 ({path}) exited with code {code} = 128 + 9: killed by SIGKILL (the kernel's OOM killer: the cgroup's memory limit)",
    ko: 'PID 1 ({path}) 끝남: 종료 코드 {code} = 128 + 9, 커널의 OOM killer가 SIGKILL 시그널로 죽였습니다 (cgroup 메모리 제한)',
  },
  'explain.note.exit.unknown': { en: 'PID 1 is gone without an exit status (its shim died): code {code}', ko: 'PID 1이 종료 상태 없이 사라졌습니다 (shim이 죽었습니다): 코드 {code}' },
  'explain.note.unmount.none': {
    en: 'nothing to unmount: the mount namespace ended with its last process, its mounts with it',
    ko: '마운트 해제할 것이 없습니다: 마지막 프로세스와 함께 마운트 네임스페이스가, 그와 함께 마운트가 사라졌습니다',
  },
  'explain.note.unmount.shared': {
    en: "no mount namespace of its own: its root and every mount under it were in the caller's namespace, so they are unmounted now (umount2 MNT_DETACH)",
    ko: '자기 마운트 네임스페이스가 없습니다: 루트와 그 아래 모든 마운트가 호출한 쪽의 네임스페이스에 있었으므로 지금 마운트 해제합니다 (umount2 MNT_DETACH)',
  },
  'explain.note.chroot': {
    en: "no mount namespace in the config: the container shares the caller's, so pivot_root (which would change the root of every process in it) is replaced by chroot of PID 1 alone",
    ko: '설정에 마운트 네임스페이스가 없습니다: 컨테이너가 호출한 쪽의 것을 함께 쓰므로, (그 안의 모든 프로세스의 루트를 바꿀) pivot_root 대신 PID 1 하나만 chroot 합니다',
  },
  'explain.note.cgroup.born': {
    en: 'PID 1 (pid {pid}) was born in its cgroup {path}: clone3(CLONE_INTO_CGROUP) forked it there, so nothing is written to cgroup.procs (moving a running process waits for an RCU grace period, ~10 ms)',
    ko: 'PID 1 (pid {pid})은 처음부터 cgroup {path} 안에서 태어났습니다: clone3(CLONE_INTO_CGROUP)로 그 안에 fork 했으므로 cgroup.procs에 쓰지 않습니다 (실행 중인 프로세스를 옮기면 RCU grace period를 기다립니다, 약 10 ms)',
  },
  'explain.note.cgroup.moved': {
    en: 'PID 1 (pid {pid}) is moved into its cgroup {path} by writing its pid to cgroup.procs: this kernel cannot fork into a cgroup (clone3 CLONE_INTO_CGROUP: {errno})',
    ko: 'PID 1 (pid {pid})의 pid를 cgroup.procs에 써서 cgroup {path}(으)로 옮깁니다: 이 커널은 cgroup 안으로 fork 할 수 없습니다 (clone3 CLONE_INTO_CGROUP: {errno})',
  },
  'explain.note.cgroup.movedUserns': {
    en: 'PID 1 (pid {pid}) is moved into its cgroup {path} by writing its pid to cgroup.procs: with a user namespace it is forked by a helper inside that namespace, not into its cgroup',
    ko: 'PID 1 (pid {pid})의 pid를 cgroup.procs에 써서 cgroup {path}(으)로 옮깁니다: 사용자 네임스페이스가 있으면 그 안의 도우미 프로세스가 fork 하므로 cgroup 안으로 바로 태어나지 않습니다',
  },
  'explain.note.cgroup.execBorn': {
    en: "the exec'd process (pid {pid}) was born in the container's cgroup {path}: clone3(CLONE_INTO_CGROUP) forked it there, so nothing is written to cgroup.procs (moving a running process waits for an RCU grace period, ~10 ms)",
    ko:
      'exec로 실행한 프로세스 (pid {pid})는 처음부터 컨테이너의 cgroup {path} 안에서 태어났습니다: clone3(CLONE_INTO_CGROUP)로 그 안에 fork 했으므로 cgroup.procs에 쓰지 않습니다 (실행 중인 프로세스를 옮기면 RCU grace period를 기다립니다, 약 10 ms)',
  },
  'explain.note.cgroup.execMoved': {
    en: "the exec'd process (pid {pid}) is moved into the container's cgroup {path} by writing its pid to cgroup.procs: this kernel cannot fork into a cgroup (clone3 CLONE_INTO_CGROUP: {errno})",
    ko: 'exec로 실행한 프로세스 (pid {pid})의 pid를 cgroup.procs에 써서 컨테이너의 cgroup {path}(으)로 옮깁니다: 이 커널은 cgroup 안으로 fork 할 수 없습니다 (clone3 CLONE_INTO_CGROUP: {errno})',
  },
  'explain.note.release': { en: "address {ip} returned to {bridge}'s pool", ko: '주소 {ip}: {bridge}의 주소 풀로 돌려주었습니다' },
  'explain.note.release.ports': { en: "address {ip} returned to {bridge}'s pool; host port {ports} freed", ko: '주소 {ip}: {bridge}의 주소 풀로 돌려주었습니다. 호스트 포트 {ports}: 놓아주었습니다' },
  'explain.note.rmi.deleted': { en: 'layer {id}: deleted (layers/{id}/): no image uses it any more', ko: '레이어 {id}: 삭제 (layers/{id}/): 이제 어떤 이미지도 쓰지 않습니다' },
  'explain.note.rmi.kept': { en: 'layer {id}: kept: image {image} uses it too', ko: '레이어 {id}: 남겨 둡니다: 이미지 {image}도 이 레이어를 씁니다' },
  'explain.note.rmi.config': { en: 'image {id}: its config and record deleted', ko: '이미지 {id}: 설정과 기록을 지웠습니다' },

  // ---- explanations on the essential lines ----
  'explain.line.create': { en: '{dir}/: upper/ (the writable layer, empty), rootfs/, config.json (the OCI spec)', ko: '{dir}/: upper/ (쓰기 레이어, 비어 있음), rootfs/, config.json (OCI 명세)' },
  'explain.line.overlay': { en: 'mount overlay on {target}: {n} image layers (read-only)', ko: '{target}에 overlay 마운트: 이미지 레이어 {n}개 (읽기 전용)' },
  'explain.line.overlay.one': { en: 'mount overlay on {target}: 1 image layer (read-only)', ko: '{target}에 overlay 마운트: 이미지 레이어 1개 (읽기 전용)' },
  'explain.line.overlay.init': { en: ' + init/ (its mount points)', ko: ' + init/ (마운트 지점)' },
  'explain.line.overlay.upper': { en: ' + {upper}/ (writable)', ko: ' + {upper}/ (쓰기 가능)' },
  // --rm (runtime/overlay.ts): the writable layer is never synced to disk, not even when it is unmounted.
  'explain.line.overlay.upper.volatile': { en: ' + {upper}/ (writable, volatile: no sync to disk at unmount)', ko: ' + {upper}/ (쓰기 가능, volatile: 언마운트 때 디스크 동기화 없음)' },
  'explain.line.hostPid': { en: 'pid {pid} on the host', ko: '호스트에서 본 pid {pid}' },
  'explain.line.mknod': { en: 'mknod /dev/{{nodes}}: its only devices', ko: 'mknod /dev/{{nodes}}: 컨테이너가 가진 장치는 이것뿐' },
  'explain.line.masked': { en: 'masked {paths}', ko: '가림 {paths}' },
  'explain.line.readonly': { en: 'read-only {paths}', ko: '읽기 전용 {paths}' },
  'explain.line.etc': { en: "bind {files} from the container's directory", ko: 'bind {files}: 컨테이너 디렉터리의 파일' },
  'explain.line.bridge': { en: 'ip link add {bridge} type bridge, {addr}{forward} (made by the first container)', ko: 'ip link add {bridge} type bridge, {addr}{forward} (첫 컨테이너가 만듭니다)' },
  'explain.line.veth': { en: 'ip link add {host} master {bridge} type veth peer name {peer} (moved into the container)', ko: 'ip link add {host} master {bridge} type veth peer name {peer} ({peer}: 컨테이너 안으로 옮깁니다)' },
  'explain.line.address': { en: 'in the container: {dev} {addr}{gw}', ko: '컨테이너 안: {dev} {addr}{gw}' },
  'explain.line.gateway': { en: ', default via {gw}', ko: ', 기본 경로 {gw}' },
  'explain.line.portBind': { en: '{call} (the host port stays taken)', ko: '{call} (호스트 포트를 잡아 둡니다)' },
  'explain.line.bounding': { en: '{who}bounding set: {kept} capabilities kept, {dropped} dropped (PR_CAPBSET_DROP)', ko: '{who}bounding set: 권한 {kept}개 유지, {dropped}개 버림 (PR_CAPBSET_DROP)' },
  'explain.line.noNewPrivs.off': { en: "no_new_privs: not set (Docker's default; --security-opt no-new-privileges sets it)", ko: 'no_new_privs: 설정 안 함 (Docker 기본값. --security-opt no-new-privileges로 켭니다)' },
  'explain.line.join': { en: "setns() into the container's {namespaces} namespaces", ko: 'setns(): 컨테이너의 {namespaces} 네임스페이스에 들어갑니다' },
  'explain.line.vethGone': { en: 'ip link del {veth}: already gone (a veth dies with its network namespace)', ko: 'ip link del {veth}: 이미 없음 (veth는 네트워크 네임스페이스와 함께 사라집니다)' },
  'explain.line.rmContainer': { en: 'rm -rf {dir}: upper/ = its writable layer, config.json, the log; the image stays', ko: 'rm -rf {dir}: upper/ = 쓰기 레이어, config.json, 로그. 이미지는 남습니다' },
  'explain.line.layersMore': { en: '… {n} more layers', ko: '… 레이어 {n}개 더' },
  'explain.total': { en: '  ({n} kernel-level actions in all: --explain=full shows each one)', ko: '  (커널 수준 동작 모두 {n}개: --explain=full로 하나하나 볼 수 있습니다)' },
  'explain.total.one': { en: '  (1 kernel-level action in all: --explain=full shows it)', ko: '  (커널 수준 동작 모두 1개: --explain=full로 볼 수 있습니다)' },
  'explain.none': { en: '  (no kernel-level action traced for this command)', ko: '  (이 명령에서 추적된 커널 수준 동작은 없습니다)' },
} as const
