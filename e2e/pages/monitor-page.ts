import type { Locator } from '@playwright/test'
import { BasePage } from './base-page'

/** The Monitor tab: agents, regime, channel rates, live events, agent commands and the killswitch. */
export class MonitorPage extends BasePage {
  // ---- agents -----------------------------------------------------------------------------------------
  readonly agentRows = this.id('agent-row')
  agent(id: string): AgentRow {
    return new AgentRow(this.page.locator(`[data-testid=agent-row][data-agent-id="${id}"]`))
  }
  readonly groupFilter = this.id('group-filter')
  readonly deadFirst = this.id('dead-first')
  readonly notifyEnable = this.id('notify-enable')
  readonly notifyState = this.id('notify-state')

  // ---- the row menu and its commands ------------------------------------------------------------------
  readonly agentMenu = this.id('agent-menu')
  readonly pauseCommand = this.id('cmd-pause')
  readonly resumeCommand = this.id('cmd-resume')
  readonly tuneCommand = this.id('cmd-tune')
  readonly tuneDialog = this.id('tune-dialog')
  readonly tuneError = this.id('tune-error')
  readonly tuneSubmit = this.id('tune-submit')
  tuneKey(i: number): Locator {
    return this.id(`tune-key-${i}`)
  }
  tuneValue(i: number): Locator {
    return this.id(`tune-value-${i}`)
  }

  // ---- regime, rates, events ----------------------------------------------------------------------------
  readonly regime = this.id('regime-panel')
  readonly regimeAge = this.id('regime-age')
  rate(channel: string): Locator {
    return this.page.locator(`[data-testid=rate-row][data-channel="${channel}"]`)
  }
  readonly eventRows = this.id('event-row')
  /** Event rows on any channel but `channel`. */
  eventRowsNotOn(channel: string): Locator {
    return this.page.locator(`[data-testid=event-row]:not([data-channel="${channel}"])`)
  }
  readonly eventTypeFilter = this.id('event-type-filter')
  readonly eventSourceFilter = this.id('event-source-filter')
  /** "N match · kept · received" of the live list. */
  readonly eventCounters = this.id('event-counters')

  // ---- stored ranges (the history store), export -------------------------------------------------
  /** The Events card; data-view is "live" or "stored". */
  readonly eventCard = this.id('event-monitor')
  /** The range select: live, 15m, 1h, today, custom. */
  readonly eventRange = this.id('event-range')
  rangeOption(choice: 'live' | '15m' | '1h' | 'today' | 'custom'): Locator {
    return this.id(`event-range-${choice}`)
  }
  readonly rangeUnavailable = this.id('range-unavailable')
  readonly rangeFrom = this.id('range-from')
  readonly rangeTo = this.id('range-to')
  readonly rangeApply = this.id('range-apply')
  /** The "stored, not live" banner; data-from / data-to hold the range. */
  readonly storedIndicator = this.id('stored-indicator')
  readonly storedRange = this.id('stored-range')
  readonly storedRows = this.id('stored-event-row')
  readonly storedEmpty = this.id('stored-empty')
  readonly storedError = this.id('stored-error')
  readonly storedLoadOlder = this.id('stored-load-older')
  readonly backToLive = this.id('back-to-live')
  /** history.status in the Events card; data-state: writing, paused, off, unknown, … */
  readonly historyStatus = this.id('history-status')
  readonly historyState = this.id('history-state')
  readonly exportScope = this.id('export-scope')
  readonly exportCsv = this.id('export-csv')
  readonly exportJsonl = this.id('export-jsonl')
  readonly exportProgress = this.id('export-progress')

  // ---- the agent drawer (details and status history) -----------------------------------------------
  readonly detailsCommand = this.id('cmd-details')
  readonly agentDrawer = this.id('agent-drawer')
  readonly agentDrawerClose = this.id('agent-drawer-close')
  readonly agentTransitions = this.id('agent-transition')
  /** Timeline entries that went to `status`. */
  agentTransitionTo(status: string): Locator {
    return this.page.locator(`[data-testid=agent-transition][data-to="${status}"]`)
  }
  readonly agentTimelineRefresh = this.id('agent-timeline-refresh')
  readonly agentTimelineUnavailable = this.id('agent-timeline-unavailable')

  // ---- the killswitch -------------------------------------------------------------------------------------
  readonly killswitch = this.id('killswitch-panel')
  readonly engageKillswitch = this.id('ks-engage')
  readonly releaseKillswitch = this.id('ks-release')
  readonly resumeTrading = this.id('ks-resume')
  readonly killswitchError = this.id('ks-error')
  readonly killswitchReason = this.id('ks-reason')
  readonly killswitchMeta = this.id('ks-meta')
  /** The outcome of one action of the last engage (store, trading, announce, stackPause, audit). */
  killswitchAction(action: string): Locator {
    return this.page.locator(`[data-testid=ks-actions] [data-action=${action}]`)
  }
  readonly killswitchRound = this.id('ks-round')
  readonly killswitchAcked = this.id('ks-acked')
  readonly killswitchPaused = this.id('ks-paused')
  readonly killswitchPauseFailed = this.id('ks-pause-failed')
  readonly tradingState = this.id('trading-state')
}

export class AgentRow {
  constructor(readonly root: Locator) {}
  get menuButton(): Locator {
    return this.root.getByTestId('agent-menu-button')
  }
  /** The last command's state (data-type, data-state). */
  get commandState(): Locator {
    return this.root.getByTestId('agent-command-state')
  }
  /** Seconds since the last beat (by test id: the column's position changes as columns are added). */
  get since(): Locator {
    return this.root.getByTestId('agent-since')
  }
}
