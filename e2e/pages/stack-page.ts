import type { Locator } from '@playwright/test'
import { BasePage } from './base-page'

/** The Stack tab: services, their containers and how each container sees config.toml. */
export class StackPage extends BasePage {
  readonly containerRows = this.id('container-row')
  readonly pauseStack = this.id('pause-stack')
  readonly resumeStack = this.id('resume-stack')
  readonly restartStack = this.page.getByRole('button', { name: 'Restart stack…' })
  readonly singleFileNote = this.id('stack-single-file-note')

  service(name: string): Locator {
    return this.page.locator(`[data-testid=service-card][data-service=${name}]`)
  }
  /** The container rows of one service. */
  rowsOf(service: string): Locator {
    return this.service(service).getByTestId('container-row')
  }
  row(containerName: string): Locator {
    return this.page.locator(`[data-testid=container-row][data-name="${containerName}"]`)
  }
  /** Container rows by attribute, e.g. `{ state: 'paused' }` or `{ 'config-kind': 'none' }`. */
  rowsWhere(attrs: Record<string, string>, within: Locator | null = null): Locator {
    const sel = `[data-testid=container-row]${Object.entries(attrs)
      .map(([k, v]) => `[data-${k}=${v}]`)
      .join('')}`
    return within ? within.locator(sel) : this.page.locator(sel)
  }
  configBadge(containerName: string): Locator {
    return this.row(containerName).getByTestId('config-view-badge')
  }
  /** The expanded detail under a container's config badge. */
  configDetail(containerName: string): ConfigViewDetail {
    return new ConfigViewDetail(this.page.locator(`[data-testid=config-view-row][data-name="${containerName}"]`))
  }
}

export class ConfigViewDetail {
  constructor(readonly root: Locator) {}
  get detail(): Locator {
    return this.root.getByTestId('config-view-detail')
  }
  get fixReplace(): Locator {
    return this.root.getByTestId('fix-replace')
  }
  get fixWith(): Locator {
    return this.root.getByTestId('fix-with')
  }
  get copyFix(): Locator {
    return this.root.getByTestId('copy-fix')
  }
}
