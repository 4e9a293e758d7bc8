// Types of what the TypeScript tests use of oci-layout.mjs (test/helpers/tiny-images.ts); the
// module's JSDoc says the rest.
export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  platform?: object
}

export interface ImageDescriptor extends Descriptor {
  platform: object
  configDigest: string
  layerDigests: string[]
}

export declare class OciLayoutWriter {
  constructor(dir: string)
  init(): Promise<this>
  blob(bytes: Buffer): Promise<{ digest: string; size: number }>
  /** Entries as tar-writer.mjs takes them (its JSDoc TarEntry). */
  layer(entries: Iterable<object> | AsyncIterable<object>, opts?: { sort?: boolean; level?: number }): Promise<{ digest: string; size: number; diffId: string; uncompressedSize: number }>
  image(img: {
    layers: { digest: string; size: number; diffId: string }[]
    config: object
    created: number
    format?: 'oci' | 'docker'
    platform?: { os: string; architecture: string; variant?: string }
    history?: string[]
  }): Promise<ImageDescriptor>
  platformIndex(manifests: Descriptor[], format?: 'oci' | 'docker'): Promise<Descriptor>
  indexJson(refs: { descriptor: Descriptor; name?: string; tag?: string }[]): Promise<void>
}

export declare function retagLayout(src: string, dst: string, imageName: string): Promise<string>

export declare function nameAnnotations(imageName: string): Record<string, string>
