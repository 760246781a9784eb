import { Type, type Static } from 'typebox'
import { ev, op } from '../define'

const Reachability = Type.Object({
  ok: Type.Boolean(),
  detail: Type.String(),
})

export const AppInfo = Type.Object({
  name: Type.String(),
  version: Type.String(),
  platform: Type.String(),
  node: Type.String(),
  pid: Type.Integer(),
  startedAt: Type.String({ format: 'date-time' }),
  uptimeS: Type.Number(),
  settingsSource: Type.Union([Type.String(), Type.Null()]),
  who: Type.String({ description: 'The identity this client acts as (OS user or token name).' }),
  instance: Type.Object(
    {
      kind: Type.Union([Type.Literal('desktop'), Type.Literal('headless'), Type.Literal('embedded')], {
        description: 'desktop: the desktop app; headless: the headless host; embedded: a core started by another program (tests).',
      }),
      url: Type.Union([Type.String(), Type.Null()], { description: 'Where its control API answers; null when it serves none.' }),
      hostname: Type.String({ description: 'The machine it runs on.' }),
      stateDir: Type.String({ description: 'The state directory it owns (one instance per state directory).' }),
    },
    { description: 'Which Stackdeck this is: the header names the host a window drives from it.' },
  ),
})

export type AppInfoT = Static<typeof AppInfo>

export const appOperations = {
  'app.info': op({
    summary: 'Version, process and identity facts about the running Stackdeck.',
    scope: 'read',
    input: Type.Object({}, { additionalProperties: false }),
    result: AppInfo,
    http: { method: 'GET', path: '/info' },
  }),
  'app.health': op({
    summary: 'Liveness and reachability of Docker and Redis. The only route that needs no token.',
    scope: 'read',
    input: Type.Object({}, { additionalProperties: false }),
    result: Type.Object({
      status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
      version: Type.String(),
      uptimeS: Type.Number(),
      docker: Reachability,
      redis: Reachability,
    }),
    http: { method: 'GET', path: '/health' },
  }),
  'settings.get': op({
    summary: 'The effective settings, with secrets redacted.',
    scope: 'read',
    input: Type.Object({}, { additionalProperties: false }),
    result: Type.Object({
      source: Type.Union([Type.String(), Type.Null()]),
      settings: Type.Unknown({ description: 'Settings as in schemas/settings.schema.json, tokens and passwords redacted.' }),
    }),
    http: { method: 'GET', path: '/settings' },
  }),
} as const

export const appEvents = {
  'app.alert': ev({
    summary: 'A loud, persistent alert the trader must see (e.g. containers left paused).',
    payload: Type.Object({
      id: Type.String(),
      level: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]),
      title: Type.String(),
      message: Type.String(),
      at: Type.String(),
      sticky: Type.Boolean(),
    }),
  }),
} as const
