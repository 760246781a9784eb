import { Type, type Static } from 'typebox'
import { createAjv } from '../api/ajv'

/**
 * Shapes agents send on the bus. Extra fields are allowed (agents evolve faster than Stackdeck);
 * missing or mistyped required fields make the message malformed: counted and dropped.
 */

export const AGENT_ID_PATTERN = '^[A-Za-z0-9_.:@-]{1,128}$'
const Counter = Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])

export const HeartbeatSchema = Type.Object({
  agent_id: Type.String({ pattern: AGENT_ID_PATTERN }),
  name: Type.String({ maxLength: 200 }),
  group: Type.String({ maxLength: 64 }),
  status: Type.String({ minLength: 1, maxLength: 64 }),
  timestamp: Type.Union([Type.String({ maxLength: 64 }), Type.Number()]),
  step: Type.Optional(Counter),
  checkpoint_version: Type.Optional(Counter),
  container_id: Type.Optional(Type.String({ pattern: '^[a-fA-F0-9]{6,64}$' })),
  hostname: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
})
export type Heartbeat = Static<typeof HeartbeatSchema>

export const RegimeSchema = Type.Object({
  regime: Type.String({ minLength: 1, maxLength: 64 }),
  confidence: Type.Number({ minimum: 0, maximum: 1 }),
  at: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Number()])),
})
export type RegimePayload = Static<typeof RegimeSchema>

export const KillswitchAckSchema = Type.Object({
  agent_id: Type.String({ pattern: AGENT_ID_PATTERN }),
  request_id: Type.String({ minLength: 1, maxLength: 128 }),
})
export type KillswitchAck = Static<typeof KillswitchAckSchema>

export const CommandAckSchema = Type.Object({
  command_id: Type.String({ minLength: 1, maxLength: 128 }),
  ok: Type.Boolean(),
  message: Type.Optional(Type.String({ maxLength: 2000 })),
})
export type CommandAck = Static<typeof CommandAckSchema>

// allErrors off: on the hot path we only need "valid or not"; the first error is enough for a sample.
const ajv = createAjv({ allErrors: false })
export const isHeartbeat = ajv.compile<Heartbeat>(HeartbeatSchema)
export const isRegime = ajv.compile<RegimePayload>(RegimeSchema)
export const isKillswitchAck = ajv.compile<KillswitchAck>(KillswitchAckSchema)
export const isCommandAck = ajv.compile<CommandAck>(CommandAckSchema)
