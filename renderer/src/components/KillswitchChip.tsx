import { useEffect, useState } from 'react'
import type { OpResult } from '@contract'
import { getClient } from '../api/client'
import { StateBadge } from './StateBadge'

type Killswitch = OpResult<'bus.killswitch.get'>

/** The killswitch is visible on every tab: an engaged switch must never hide behind another view. */
export function KillswitchChip() {
  const [ks, setKs] = useState<Killswitch | null>(null)
  useEffect(() => {
    const client = getClient()
    client.call('bus.killswitch.get', {}).then(setKs, () => undefined)
    return client.on('bus.update', (u) => {
      if (u.killswitch) setKs(u.killswitch)
    })
  }, [])
  if (!ks) return null
  return ks.engaged ? (
    <span title={`${ks.reason ?? ''} — ${ks.who ?? '?'} at ${ks.at ?? '?'}`} data-testid="killswitch-chip" data-engaged="true">
      <StateBadge state="failed" label="KILLSWITCH ENGAGED" />
    </span>
  ) : (
    <span data-testid="killswitch-chip" data-engaged="false">
      <StateBadge state="disabled" label="killswitch off" />
    </span>
  )
}
