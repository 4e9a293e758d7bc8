// process.apparmorProfile: the gate asks the kernel to switch to that AppArmor profile at the
// program's execve (writes "exec <profile>" to /proc/thread-self/attr/apparmor/exec, as runc's
// apparmor.ApplyProfile). Only where AppArmor is enabled: elsewhere (this kernel has no AppArmor
// module, for one) the profile cannot be applied and is reported on the log instead, the way a
// runtime without the LSM must (runc refuses only when asked to *enforce* a profile that exists).
import { readFileSync } from 'node:fs'

let enabled: boolean | undefined

/** /sys/module/apparmor/parameters/enabled says "Y" (runc's apparmor.IsEnabled). */
export function appArmorEnabled(): boolean {
  if (enabled === undefined) {
    try {
      enabled = readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').startsWith('Y')
    } catch {
      enabled = false
    }
  }
  return enabled
}

/** The profile to hand to the gate, or undefined (none asked, or AppArmor off: then a warning). */
export function appArmorProfile(profile: string | undefined, warn?: (message: string) => void): string | undefined {
  if (!profile) return undefined
  if (appArmorEnabled()) return profile
  warn?.(`apparmor profile ${JSON.stringify(profile)} not applied: AppArmor is not enabled on this host`)
  return undefined
}
