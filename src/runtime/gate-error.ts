// The gate's refusals (native-shims/shim/gate.c answers a failed request with an E message) as
// GateError: the errno, the exit code runc would use (126/127 for a program that cannot run), its
// runc-style text, and a learner's hint for the working-directory checks of CVE-2024-21626.
import { TockerError } from '../errors.js'

/** What the gate said when a request failed: errno, the exit code to use, runc-style text. */
export class GateError extends TockerError {
  constructor(
    message: string,
    readonly errno: number,
    readonly gateExitCode: number,
  ) {
    super(message, { code: 'EGATE', exitCode: gateExitCode === 126 || gateExitCode === 127 ? gateExitCode : undefined, hint: cwdHint(message) })
  }
}

// The gate's refusals of a working directory (native-shims/shim/hygiene.c), explained.
const BREAKOUT_HINT = "The working directory led outside the container's root filesystem, so tocker refused to start the process (the check runc added after CVE-2024-21626): " +
  'use a directory inside the container for WorkingDir or -w. / 작업 디렉터리가 컨테이너의 루트 파일시스템 밖으로 이어져서 tocker가 프로세스 시작을 거부했습니다 ' +
  '(CVE-2024-21626 이후 runc가 넣은 검사): WorkingDir나 -w에는 컨테이너 안의 디렉터리를 쓰세요.'
const PROC_CWD_HINT = '/proc/<pid>/fd/N and the like name files that the process starting the container holds open; tocker closes every such fd before it changes directory, ' +
  'so they lead nowhere (a host directory reached this way was CVE-2024-21626): use an ordinary directory of the container. / ' +
  '/proc/<pid>/fd/N 같은 경로는 컨테이너를 시작하는 프로세스가 열어 둔 파일을 가리킵니다. tocker는 작업 디렉터리를 바꾸기 전에 그런 fd를 모두 닫으므로 ' +
  '이런 경로는 아무 데도 이어지지 않습니다 (이렇게 호스트 디렉터리에 닿은 것이 CVE-2024-21626): 컨테이너 안의 보통 디렉터리를 쓰세요.'

function cwdHint(message: string): string | undefined {
  if (message.includes('possible container breakout detected')) return BREAKOUT_HINT
  if (/chdir to cwd \("\/proc\//.test(message)) return PROC_CWD_HINT
  return undefined
}

/** "E<errno>\0<exit code>\0<message>" → GateError. */
export function parseError(msg: Buffer): GateError {
  const [errno, code, ...rest] = msg.subarray(1).toString().split('\0')
  return new GateError(rest.join(' '), Number(errno), Number(code))
}
