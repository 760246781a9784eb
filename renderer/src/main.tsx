import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import { initClient, isWsClient } from './api/client'
import { takeTokenFromLocation } from './api/token'
import { useAlerts } from './store/alerts'
import { useConnection } from './store/connection'
import { startSafetyFeed } from './store/safety'
import './styles.css'

const client = initClient(window.stackdeck ? null : takeTokenFromLocation())
const conn = useConnection.getState()
if (!client) conn.set({ state: 'no-token', door: 'ws' })
else {
  conn.set({ door: client.door, state: client.door === 'ipc' ? 'open' : 'connecting' })
  if (isWsClient(client)) client.onState((s) => useConnection.getState().set({ state: s }))
  client.on('app.alert', (a) => useAlerts.getState().add(a))
  startSafetyFeed(client)
  client
    .call('app.info', {})
    .then((info) => useConnection.getState().set({ who: info.who, version: info.version }))
    .catch(() => undefined)
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
