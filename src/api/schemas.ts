// JSON Schemas of the request bodies the engine accepts, with the Go types Docker decodes them into
// (the `goType` annotation makes the error read as Docker's: "… of type int64"). Only the fields
// tocker reads or stores are typed; anything else passes through, as it does through Docker.
// A new route with a JSON body adds its schema here and names it in its route (server.ts).
import type { AuthConfig, ContainerCreateBody, ExecCreateBody, NetworkConnectBody, NetworkCreateBody, NetworkDisconnectBody, VolumeCreateBody } from './types.js'
import { bodyValidator, type JsonSchema } from './validate.js'

const string: JsonSchema = { type: 'string' }
const bool: JsonSchema = { type: 'boolean' }
const int64: JsonSchema = { type: 'integer' }
const int: JsonSchema = { type: 'integer', goType: 'int' }
const stringList: JsonSchema = { type: ['array', 'null'], items: string, goType: '[]string' }
const stringMap: JsonSchema = { type: ['object', 'null'], additionalProperties: string, goType: 'map[string]string' }
const emptyObjectMap = (goType: string): JsonSchema => ({ type: ['object', 'null'], additionalProperties: { type: 'object', goType: 'struct {}' }, goType })
/** A pointer in Go (*int64): null is meaningful ("not set"). */
const nullable = (s: JsonSchema): JsonSchema => ({ ...s, type: [s.type as string, 'null'] })
const object = (goType: string, properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema => ({
  type: 'object',
  goType,
  properties,
  ...(required.length ? { required } : {}),
})

const portBinding = object('nat.PortBinding', { HostIp: string, HostPort: string })

const hostConfig = object('container.HostConfig', {
  Binds: stringList,
  NetworkMode: string,
  PortBindings: { type: ['object', 'null'], additionalProperties: { type: ['array', 'null'], items: portBinding, goType: '[]nat.PortBinding' }, goType: 'nat.PortMap' },
  PublishAllPorts: bool,
  AutoRemove: bool,
  Privileged: bool,
  ReadonlyRootfs: bool,
  Memory: int64,
  MemorySwap: int64,
  MemoryReservation: int64,
  NanoCpus: int64,
  CpuShares: int64,
  CpuQuota: int64,
  CpuPeriod: int64,
  PidsLimit: nullable(int64),
  OomKillDisable: nullable(bool),
  ShmSize: int64,
  CapAdd: stringList,
  CapDrop: stringList,
  SecurityOpt: stringList,
  Dns: stringList,
  DnsOptions: stringList,
  DnsSearch: stringList,
  ExtraHosts: stringList,
  Links: stringList,
  VolumesFrom: stringList,
  GroupAdd: stringList,
  Tmpfs: stringMap,
  Mounts: {
    type: ['array', 'null'],
    goType: '[]mount.Mount',
    items: object('mount.Mount', {
      Type: string,
      Source: string,
      Target: string,
      ReadOnly: bool,
      Consistency: string,
      BindOptions: nullable(object('mount.BindOptions', { Propagation: string, NonRecursive: bool, CreateMountpoint: bool })),
      VolumeOptions: nullable(
        object('mount.VolumeOptions', {
          NoCopy: bool,
          Labels: stringMap,
          Subpath: string,
          DriverConfig: nullable(object('mount.Driver', { Name: string, Options: stringMap })),
        }),
      ),
      TmpfsOptions: nullable(object('mount.TmpfsOptions', { SizeBytes: int64, Mode: { type: 'integer', minimum: 0, goType: 'os.FileMode' } })),
    }),
  },
  Sysctls: stringMap,
  IpcMode: string,
  PidMode: string,
  UTSMode: string,
  UsernsMode: string,
  CgroupnsMode: string,
  CgroupParent: string,
  Runtime: string,
  Init: nullable(bool),
  ConsoleSize: { type: ['array', 'null'], items: { type: 'integer', minimum: 0, goType: 'uint' }, maxItems: 2, goType: '[2]uint' },
  LogConfig: object('container.LogConfig', { Type: string, Config: stringMap }),
  RestartPolicy: object('container.RestartPolicy', { Name: string, MaximumRetryCount: int }),
})

/** POST /containers/create: Docker's container.Config with HostConfig and NetworkingConfig beside it. */
export const containerCreateBody = bodyValidator<ContainerCreateBody>(
  'CreateRequest',
  object('container.CreateRequest', {
    Hostname: string,
    Domainname: string,
    User: string,
    AttachStdin: bool,
    AttachStdout: bool,
    AttachStderr: bool,
    ExposedPorts: emptyObjectMap('nat.PortSet'),
    Tty: bool,
    OpenStdin: bool,
    StdinOnce: bool,
    Env: stringList,
    Cmd: stringList,
    Entrypoint: stringList,
    Image: string,
    Volumes: emptyObjectMap('map[string]struct {}'),
    WorkingDir: string,
    Labels: stringMap,
    StopSignal: string,
    StopTimeout: nullable(int),
    NetworkDisabled: bool,
    MacAddress: string,
    OnBuild: stringList,
    Shell: stringList,
    HostConfig: nullable(hostConfig),
    NetworkingConfig: nullable(object('network.NetworkingConfig', { EndpointsConfig: { type: ['object', 'null'], additionalProperties: { type: ['object', 'null'] }, goType: 'map[string]*network.EndpointSettings' } })),
  }),
)

/** POST /containers/{id}/exec */
export const execCreateBody = bodyValidator<ExecCreateBody>(
  'ExecConfig',
  object('container.ExecOptions', {
    User: string,
    Privileged: bool,
    Tty: bool,
    ConsoleSize: { type: ['array', 'null'], items: { type: 'integer', minimum: 0, goType: 'uint' }, maxItems: 2, goType: '*[2]uint' },
    AttachStdin: bool,
    AttachStderr: bool,
    AttachStdout: bool,
    Detach: bool,
    DetachKeys: string,
    Env: stringList,
    WorkingDir: string,
    Cmd: stringList,
  }),
)

/** POST /exec/{id}/start */
export const execStartBody = bodyValidator<{ Detach?: boolean; Tty?: boolean; ConsoleSize?: number[] | null }>(
  'ExecStartCheck',
  object('container.ExecStartOptions', {
    Detach: bool,
    Tty: bool,
    ConsoleSize: { type: ['array', 'null'], items: { type: 'integer', minimum: 0, goType: 'uint' }, maxItems: 2, goType: '*[2]uint' },
  }),
)

/** POST /auth */
export const authConfigBody = bodyValidator<AuthConfig>(
  'AuthConfig',
  object('registry.AuthConfig', {
    username: string,
    password: string,
    auth: string,
    email: string,
    serveraddress: string,
    identitytoken: string,
    registrytoken: string,
  }),
)

/** POST /volumes/create */
export const volumeCreateBody = bodyValidator<VolumeCreateBody>(
  'CreateOptions',
  object('volume.CreateOptions', {
    Name: string,
    Driver: string,
    DriverOpts: stringMap,
    Labels: stringMap,
  }),
)

const ipamConfig = object('network.IPAMConfig', { Subnet: string, IPRange: string, Gateway: string, AuxiliaryAddresses: stringMap })
const endpointConfig = object('network.EndpointSettings', {
  IPAMConfig: nullable(object('network.EndpointIPAMConfig', { IPv4Address: string, IPv6Address: string, LinkLocalIPs: stringList })),
  Links: stringList,
  Aliases: stringList,
  MacAddress: string,
  DriverOpts: stringMap,
})

/** POST /networks/create */
export const networkCreateBody = bodyValidator<NetworkCreateBody>(
  'CreateRequest',
  object('network.CreateRequest', {
    Name: string,
    CheckDuplicate: bool,
    Driver: string,
    Scope: string,
    EnableIPv4: nullable(bool),
    EnableIPv6: nullable(bool),
    Internal: bool,
    Attachable: bool,
    Ingress: bool,
    ConfigOnly: bool,
    IPAM: nullable(object('network.IPAM', { Driver: string, Options: stringMap, Config: { type: ['array', 'null'], items: ipamConfig, goType: '[]network.IPAMConfig' } })),
    Options: stringMap,
    Labels: stringMap,
  }),
)

/** POST /networks/{id}/connect */
export const networkConnectBody = bodyValidator<NetworkConnectBody>('ConnectOptions', object('network.ConnectOptions', { Container: string, EndpointConfig: nullable(endpointConfig) }))

/** POST /networks/{id}/disconnect */
export const networkDisconnectBody = bodyValidator<NetworkDisconnectBody>('DisconnectOptions', object('network.DisconnectOptions', { Container: string, Force: bool }))
