// tocker image …: Docker's management-command group for images (`image ls`, `image rm`, …).
import type { TockerCommand } from '../command.js'
import { imageInspect } from './image-inspect.js'
import { imageLs } from './images.js'
import { load } from './load.js'
import { pullCommand } from './pull.js'
import { imageRm } from './rmi.js'
import { save } from './save.js'
import { imageTag } from './tag.js'

export const image: TockerCommand = {
  command: 'image',
  describe: 'Manage images',
  run: async () => {},
  subcommands: [imageInspect, load, imageLs, pullCommand, imageRm, save, imageTag],
}
