// GET /version and GET /info: what the engine says about itself and the host, in Docker's shape.
import { existsSync } from 'node:fs'
import { release as osRelease } from 'node:os'
import { API_VERSION } from '../api/types.js'
import type { ContainerRecord } from './state.js'

export function versionView(version = '0.0.0') {
  return {
    Platform: { Name: 'tocker' },
    Version: version,
    ApiVersion: API_VERSION,
    MinAPIVersion: '1.24',
    Os: 'linux',
    Arch: process.arch === 'x64' ? 'amd64' : process.arch,
    KernelVersion: osRelease(),
    GoVersion: `node ${process.version}`,
    GitCommit: '',
    BuildTime: '',
    Components: [
      {
        Name: 'Engine',
        Version: version,
        Details: {
          ApiVersion: API_VERSION,
          MinAPIVersion: '1.24',
          GoVersion: `node ${process.version}`,
          Os: 'linux',
          Arch: process.arch === 'x64' ? 'amd64' : process.arch,
          KernelVersion: osRelease(),
          GitCommit: '',
          BuildTime: '',
          Experimental: 'false',
        },
      },
    ],
  }
}

export function infoView(recs: ContainerRecord[], root: string, version = '0.0.0') {
  return {
    ID: 'tocker',
    Containers: recs.length,
    ContainersRunning: recs.filter((r) => r.State.Running).length,
    ContainersPaused: 0,
    ContainersStopped: recs.filter((r) => !r.State.Running).length,
    Driver: 'overlay2',
    DockerRootDir: root,
    OperatingSystem: 'tocker',
    OSType: 'linux',
    Architecture: process.arch,
    KernelVersion: osRelease(),
    ServerVersion: version,
    LoggingDriver: 'json-file',
    CgroupVersion: existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1',
  }
}
