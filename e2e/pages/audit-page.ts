import type { Locator } from '@playwright/test'
import { BasePage } from './base-page'

/** The Audit tab: the live log, its filter and paging, and a record's detail drawer. */
export class AuditPage extends BasePage {
  readonly live = this.id('audit-live')
  /** Audit rows, optionally by attribute: `{ action: 'stack.pause', door: 'ws' }`. */
  rows(attrs: Record<string, string> = {}): Locator {
    return this.page.locator(
      `[data-testid=audit-row]${Object.entries(attrs)
        .map(([k, v]) => `[data-${k}="${v}"]`)
        .join('')}`,
    )
  }
  /** One attribute of every row, top to bottom (typed by hand: the e2e project has no DOM lib). */
  attributeOfRows(name: string): Promise<(string | null)[]> {
    return this.rows().evaluateAll(
      (trs: { getAttribute(n: string): string | null }[], n: string) => trs.map((tr) => tr.getAttribute(n)),
      name,
    )
  }
  readonly actionFilter = this.id('audit-filter-action')
  readonly doorFilter = this.id('audit-filter-door')
  readonly clearFilter = this.id('audit-filter-clear')
  readonly loadOlder = this.id('audit-load-older')
  readonly drawer = this.id('audit-drawer')
  readonly detailJson = this.id('audit-detail-json')
  /** A row's "events around this" link (opens the Monitor's stored range around the act). */
  eventsLink(row: Locator): Locator {
    return row.getByTestId('audit-events-link')
  }
}
