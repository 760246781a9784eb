import type { EventPayload, OpResult } from '@contract'

/** Shapes of the bus domain as the renderer sees them, all derived from the contract rows. */
export type BusUpdate = EventPayload<'bus.update'>
export type AgentDied = EventPayload<'bus.agentDied'>
export type Agent = OpResult<'bus.agents'>['agents'][number]
export type AgentTotals = OpResult<'bus.agents'>['totals']
export type BusEvent = OpResult<'bus.events'>['events'][number]
export type AgentCommand = OpResult<'bus.command'>
export type CommandType = AgentCommand['type']
export type Killswitch = OpResult<'bus.killswitch.get'>
export type KillswitchResult = OpResult<'bus.killswitch.engage'>
export type Regime = OpResult<'bus.regime'>
export type BusStatus = OpResult<'bus.status'>
export type Connection = BusStatus['connection']
export type Trading = BusStatus['trading']
export type Rates = NonNullable<BusUpdate['rates']>
export type ChannelStat = Rates['channels'][number]
