// Hints under errors, by error code (TockerError.code) or by Docker's message (what an error that
// crossed the API keeps). `en` is shown in both languages (a learner's hint, written for both);
// `ko` only with a Korean locale, after Docker's English line. {name} fills from the pattern's
// named groups or from the caller's values.
export interface Hint {
  code: string
  match?: RegExp
  en?: string
  ko?: string
}

export const HINTS: Hint[] = [
  // Usage errors (the parser's).
  { code: 'EUSAGE_FLAG', ko: '힌트: 옵션 이름이나 값이 잘못되었습니다. 명령 뒤에 --help를 붙이면 쓸 수 있는 옵션이 나옵니다.' },
  { code: 'EUSAGE_ARGS', ko: '힌트: 인자의 개수가 맞지 않습니다. 위의 Usage 줄에서 필요한 인자(대문자로 쓴 것)를 확인하세요.' },
  { code: 'EUSAGE_COMMAND', ko: "힌트: 그런 명령은 없습니다. 'tocker --help'로 명령 목록을 볼 수 있습니다." },
  { code: 'ENOTROOT', ko: '힌트: 컨테이너를 만들려면 root 권한이 필요합니다. 명령 앞에 sudo를 붙이세요 (sudo tocker …).' },
  { code: 'ENOTTY', match: /^the input device is not a TTY/, ko: '힌트: -t(터미널 할당)는 키보드로 입력하는 터미널에서만 쓸 수 있습니다. 파이프나 스크립트에서는 -t 없이 -i만 쓰세요.' },
  // Learners' hints, in both languages.
  // A pull with no internet, rendered by cli/pull-image.ts with the image and this checkout's
  // offline images; before EREGISTRYDNS, so that its general hint is not printed too.
  {
    code: 'EOFFLINEIMAGE',
    en: 'Hint: the registry {host} could not be found (no internet?). {image} is one of the offline images: load it with \'sudo tocker load -i {tarball}\'. Or set a mirror under "registry-mirrors" in /etc/tocker/daemon.json.',
    ko:
      '힌트: 레지스트리 {host}의 주소를 찾지 못했습니다 (인터넷 연결이 없나요?). {image}는 오프라인 이미지로 들어 있습니다: \'sudo tocker load -i {tarball}\'로 불러오세요. 또는 /etc/tocker/daemon.json의 "registry-mirrors"에 미러를 설정하세요.',
  },
  {
    code: 'ENOTOFFLINE',
    en:
      'Hint: the registry {host} could not be found (no internet?). {image} is not one of the offline images, which are in {dir}: {list}. Load one with \'sudo tocker load -i {dir}/<name>.tar\', or set a mirror under "registry-mirrors" in /etc/tocker/daemon.json.',
    ko:
      '힌트: 레지스트리 {host}의 주소를 찾지 못했습니다 (인터넷 연결이 없나요?). {image}는 오프라인 이미지에 없습니다. 오프라인 이미지는 {dir}에 있습니다: {list}. \'sudo tocker load -i {dir}/<이름>.tar\'로 불러오거나, /etc/tocker/daemon.json의 "registry-mirrors"에 미러를 설정하세요.',
  },
  {
    code: 'EDIDYOUMEAN',
    en: "Hint: did you mean {names}? ('{list}' lists them)",
    ko: "힌트: 혹시 {names} 말인가요? ('{list}'로 목록을 볼 수 있습니다)",
  },
  {
    code: 'EREGISTRYDNS',
    match: /lookup (?<host>[^\s:]+): no such host/,
    en: 'Hint: the registry {host} could not be found (no internet?). Load the offline images instead: \'tocker load -i rootfs-cache/out/busybox.tar\' (and httpd.tar), or set a mirror under "registry-mirrors" in /etc/tocker/daemon.json.',
    ko:
      '힌트: 레지스트리 {host}의 주소를 찾지 못했습니다 (인터넷 연결이 없나요?). 오프라인 이미지를 불러오세요: \'tocker load -i rootfs-cache/out/busybox.tar\' (httpd.tar도). 또는 /etc/tocker/daemon.json의 "registry-mirrors"에 미러를 설정하세요.',
  },
  {
    code: 'ENOPKGMGR',
    en: 'Hint: the image {image} has no package manager ({wanted} is not there): it is a minimal image.{editor} For apt, use a Debian-based image, such as debian or httpd (Apache on Debian).',
    ko: '힌트: 이미지 {image}에는 패키지 관리자가 없습니다 ({wanted} 없음). 최소한의 이미지입니다.{editor_ko} apt를 쓰려면 debian이나 httpd(Debian 위의 Apache) 같은 Debian 기반 이미지를 쓰세요.',
  },
  {
    // Debian's busybox-static (the offline busybox image): its wget dies of SIGSEGV with -T N, and
    // when a name does not resolve through the static glibc's resolver; Docker Hub's busybox
    // prints "wget: bad address". Not the container's fault: say so, and what works instead.
    code: 'EWGETSEGV',
    en:
      "Hint: busybox's wget crashed (exit 139 = 128 + 11, SIGSEGV). Debian's static busybox does that with -T N and when a name does not resolve: it is busybox's bug, not the container's. Use 'timeout N wget …' instead of -T, and check the name with 'nslookup NAME' (a container reaches another by name only on the same user network, or with --link).",
    ko:
      "힌트: busybox의 wget이 비정상 종료했습니다 (exit 139 = 128 + 11, SIGSEGV). Debian의 정적 busybox는 -T N을 쓰거나 이름을 찾지 못할 때 이렇게 됩니다. 컨테이너가 아니라 busybox의 버그입니다. -T 대신 'timeout N wget …'을 쓰고, 이름은 'nslookup 이름'으로 확인하세요 (다른 컨테이너의 이름은 같은 사용자 네트워크에 있거나 --link로 연결했을 때만 찾을 수 있습니다).",
  },
  {
    code: 'EOTHERPKGMGR',
    en: "Hint: the image {image} has no {wanted}; its package manager is {found} (try '{found} {verb} …').",
    ko: "힌트: 이미지 {image}에는 {wanted}가 없고, 패키지 관리자는 {found}입니다 ('{found} {verb} …'를 써 보세요).",
  },
  {
    code: 'ESECURITYOPT',
    match: /[Ii]nvalid --security-opt/,
    en: 'Hint: --security-opt takes seccomp=unconfined, seccomp=builtin or seccomp=<profile.json>, no-new-privileges[=true|false], apparmor=… or label=….',
    ko: '힌트: --security-opt에는 seccomp=unconfined, seccomp=builtin, seccomp=<프로파일.json>, no-new-privileges[=true|false], apparmor=…, label=…을 쓸 수 있습니다.',
  },
  {
    code: 'ESECCOMPPROFILE',
    match: /Decoding seccomp profile failed|seccomp profile \(.*\) failed/,
    en:
      'Hint: a seccomp profile is a JSON file in Docker\'s format: "defaultAction" (SCMP_ACT_ERRNO, …) and "syscalls": [{"names": [...], "action": "SCMP_ACT_…"}]. Docker\'s default profile, the one every container gets, is in src/runtime/seccomp/default-profile.ts.',
    ko:
      '힌트: seccomp 프로파일은 Docker 형식의 JSON 파일입니다: "defaultAction"(SCMP_ACT_ERRNO 등)과 "syscalls": [{"names": [...], "action": "SCMP_ACT_…"}]. 모든 컨테이너가 받는 Docker 기본 프로파일은 src/runtime/seccomp/default-profile.ts에 있습니다.',
  },
  // Docker's errors, explained in Korean.
  { code: 'ENOSUCHCONTAINER', match: /No such container: (?<name>\S+)/, ko: "힌트: '{name}'라는 이름이나 ID의 컨테이너가 없습니다. 'tocker ps -a'로 컨테이너 목록을 확인하세요." },
  { code: 'ENOSUCHIMAGE', match: /No such image: (?<name>\S+)/, ko: "힌트: 이미지 '{name}'가 저장소에 없습니다. 'tocker images'로 목록을 보거나 'tocker pull'로 받으세요." },
  {
    code: 'ECONTAINERRUNNING',
    match: /cannot remove container "\/?(?<name>[^"]+)": container is running/,
    ko: "힌트: 실행 중인 컨테이너는 지울 수 없습니다. 먼저 'tocker stop {name}'으로 멈추거나, 'tocker rm -f {name}'로 강제로 지우세요.",
  },
  {
    code: 'ENAMECONFLICT',
    match: /The container name "\/?(?<name>[^"]+)" is already in use/,
    ko: "힌트: 이름 '{name}'은 다른 컨테이너가 이미 쓰고 있습니다. 다른 --name을 쓰거나 'tocker rm -f {name}'로 먼저 지우세요.",
  },
  { code: 'ENOTRUNNING', match: /container (?<name>\S+) is not running/, ko: "힌트: 이 컨테이너는 실행 중이 아닙니다. 'tocker start'로 먼저 시작하세요." },
  { code: 'ESTOPPEDATTACH', match: /You cannot attach to a stopped container/, ko: "힌트: 멈춘 컨테이너에는 붙을 수 없습니다. 'tocker start -ai'로 시작하면서 붙으세요." },
  {
    code: 'EIMAGEINUSE',
    match: /conflict: unable to (remove|delete) .* container (?<name>[0-9a-f]+) is using/,
    ko: "힌트: 컨테이너 {name}가 이 이미지를 쓰고 있습니다. 'tocker rm -f {name}'로 컨테이너를 먼저 지우거나 'tocker rmi -f'를 쓰세요.",
  },
  {
    code: 'EPORTALLOCATED',
    match: /port is already allocated|address already in use/,
    ko: '힌트: 호스트의 그 포트는 이미 다른 컨테이너나 프로그램이 쓰고 있습니다. 포트포워딩에 다른 호스트 포트를 쓰세요 (-p 다른포트:컨테이너포트).',
  },
  {
    code: 'ECMDNOTFOUND',
    match: /executable file not found in \$PATH|exec: "(?<cmd>[^"]+)": .*no such file or directory/,
    ko: '힌트: 컨테이너의 이미지 안에 그 프로그램이 없습니다. 이미지마다 들어 있는 프로그램이 다릅니다 (busybox에는 sh, ls, vi 등).',
  },
  { code: 'EENGINEDOWN', match: /Cannot connect to the tocker engine/, ko: "힌트: tocker 엔진(tockerd)이 실행 중이 아닙니다. 'sudo tocker daemon'으로 시작하세요." },
  { code: 'ECGROUPV2', match: /limits need cgroup v2/, ko: '힌트: 메모리/CPU 제한은 cgroup v2가 있어야 적용됩니다. 실습 VM에서 해 보세요.' },
  { code: 'EREGISTRYREFUSED', match: /connect: connection refused/, ko: '힌트: 그 주소에서 응답하는 서버가 없습니다. 레지스트리가 실행 중인지, 주소와 포트가 맞는지 확인하세요.' },
  {
    code: 'ENOSPC',
    match: /^cannot write .*: no space left on device/,
    en: "Hint: the disk that holds tocker's store (--root, /var/lib/tocker by default) is full. Free space (tocker rm, tocker rmi, or other files there), then try again.",
    ko: '힌트: tocker 저장소(--root, 기본 /var/lib/tocker)가 있는 디스크가 가득 찼습니다. 공간을 확보한 뒤 (tocker rm, tocker rmi 또는 다른 파일 삭제) 다시 시도하세요.',
  },
  {
    code: 'ETOOMANYLAYERS',
    match: /too many layers for one overlay mount/,
    en: 'Hint: Docker runs at most 128 layers too. Rebuild the image with fewer layers (fewer RUN/COPY steps).',
    ko: '힌트: 레이어가 너무 많습니다 (Docker도 최대 128개). RUN/COPY 단계를 줄여 더 적은 레이어로 이미지를 다시 빌드하세요.',
  },
]
