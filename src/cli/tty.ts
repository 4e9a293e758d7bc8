// Docker's CheckTty: -t with stdin attached needs a terminal on our stdin (a pipe or a file cannot
// be put in raw mode, and the container would wait for keys that never come).
import { TockerError } from '../errors.js'

export function refuseTtyWithoutTerminal(attachStdin: boolean, tty: boolean): void {
  if (tty && attachStdin && !process.stdin.isTTY) throw new TockerError('the input device is not a TTY', { code: 'ENOTTY', exitCode: 1 })
}
