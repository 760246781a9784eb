/**
 * The e2e suite's page objects, one per tab plus the app shell, handed to each test as fixtures:
 * `test('…', async ({ shell, stack }) => …)`. Specs import `test` and `expect` from here.
 */
import { test as base } from '@playwright/test'
import { AppShell } from './app-shell'
import { AuditPage } from './audit-page'
import { ConfigPage } from './config-page'
import { MonitorPage } from './monitor-page'
import { SchedulePage } from './schedule-page'
import { StackPage } from './stack-page'
import { SupervisePage } from './supervise-page'

export { expect } from '@playwright/test'
export { AppShell, AuditPage, ConfigPage, MonitorPage, SchedulePage, StackPage, SupervisePage }

export interface Pages {
  shell: AppShell
  stack: StackPage
  config: ConfigPage
  monitor: MonitorPage
  schedule: SchedulePage
  supervise: SupervisePage
  audit: AuditPage
}

export const test = base.extend<Pages>({
  shell: async ({ page }, use) => use(new AppShell(page)),
  stack: async ({ page }, use) => use(new StackPage(page)),
  config: async ({ page }, use) => use(new ConfigPage(page)),
  monitor: async ({ page }, use) => use(new MonitorPage(page)),
  schedule: async ({ page }, use) => use(new SchedulePage(page)),
  supervise: async ({ page }, use) => use(new SupervisePage(page)),
  audit: async ({ page }, use) => use(new AuditPage(page)),
})
