import { describe, expect, it } from 'vitest'
import { AgentCommands } from './agent-commands'

function setup(receivers = 1, ackTimeoutMs = 100) {
  const sent: Array<{ channel: string; message: Record<string, unknown> }> = []
  let onSend: ((m: Record<string, unknown>) => void) | null = null
  let fail = false
  const cmds = new AgentCommands(
    async (channel, message) => {
      if (fail) throw new Error('connection is closed')
      const m = JSON.parse(message) as Record<string, unknown>
      sent.push({ channel, message: m })
      onSend?.(m)
      return receivers
    },
    { ackTimeoutMs, historySize: 5, now: () => Date.now() },
  )
  return {
    cmds,
    sent,
    reply: (fn: (m: Record<string, unknown>) => void) => (onSend = fn),
    fail: () => (fail = true),
  }
}

describe('AgentCommands', () => {
  it('publishes on agent.<id>.command and is acked by the agent', async () => {
    const { cmds, sent, reply } = setup()
    reply((m) =>
      queueMicrotask(() =>
        cmds.onAck(
          'exec-1',
          { command_id: String(m['command_id']), ok: true, message: 'paused' },
          Date.now(),
        ),
      ),
    )
    const r = await cmds.send({ agentId: 'exec-1', type: 'pause', who: 'alice', wait: true })
    expect(sent[0]).toMatchObject({
      channel: 'agent.exec-1.command',
      message: { type: 'pause', who: 'alice', params: {} },
    })
    expect(typeof sent[0]!.message['issued_at']).toBe('string')
    expect(r).toMatchObject({ state: 'acked', receivers: 1, message: 'paused', late: false })
    expect(r.ackMs).not.toBeNull()
  })

  it('handles an ack that arrives before PUBLISH returns', async () => {
    const { cmds, reply } = setup()
    reply((m) =>
      cmds.onAck('a', { command_id: String(m['command_id']), ok: false, message: 'busy' }, Date.now()),
    )
    const r = await cmds.send({ agentId: 'a', type: 'resume', who: 'w', wait: true })
    expect(r).toMatchObject({ state: 'rejected', message: 'busy' })
  })

  it('requires at least one parameter for tune', async () => {
    const { cmds, sent } = setup()
    await expect(cmds.send({ agentId: 'a', type: 'tune', who: 'w' })).rejects.toMatchObject({
      code: 'invalid_input',
      path: '/params',
    })
    await expect(cmds.send({ agentId: 'a', type: 'tune', params: {}, who: 'w' })).rejects.toMatchObject({
      code: 'invalid_input',
    })
    expect(sent).toEqual([])
    const r = await cmds.send({ agentId: 'a', type: 'tune', params: { max_position: 5 }, who: 'w' })
    expect(r.params).toEqual({ max_position: 5 })
  })

  it('rejects agent ids that could be channel globs', async () => {
    const { cmds } = setup()
    await expect(cmds.send({ agentId: 'a*', type: 'pause', who: 'w' })).rejects.toMatchObject({
      code: 'invalid_input',
      path: '/agentId',
    })
  })

  it('says undelivered when nobody subscribes to the command channel', async () => {
    const { cmds } = setup(0)
    const r = await cmds.send({ agentId: 'ghost', type: 'terminate', who: 'w', wait: true })
    expect(r).toMatchObject({ state: 'undelivered', receivers: 0 })
  })

  it('times out without an ack, and records a late ack truthfully', async () => {
    const { cmds } = setup(1, 50)
    const r = await cmds.send({ agentId: 'slow', type: 'pause', who: 'w', wait: true })
    expect(r.state).toBe('timeout')
    cmds.onAck('slow', { command_id: r.commandId, ok: true }, Date.now())
    expect(cmds.list()[0]).toMatchObject({ state: 'acked', late: true })
  })

  it('ignores an ack from a different agent', async () => {
    const { cmds } = setup(1, 50)
    const r = await cmds.send({ agentId: 'a', type: 'pause', who: 'w' })
    cmds.onAck('b', { command_id: r.commandId, ok: true }, Date.now())
    expect(cmds.strayAcks).toBe(1)
    expect(cmds.list()[0]!.state).toBe('delivered')
    cmds.dispose()
  })

  it('reports a publish failure as unavailable and keeps it in history', async () => {
    const { cmds, fail } = setup()
    fail()
    await expect(cmds.send({ agentId: 'a', type: 'pause', who: 'w' })).rejects.toMatchObject({
      code: 'unavailable',
    })
    expect(cmds.list()[0]).toMatchObject({ state: 'failed' })
  })

  it('keeps a bounded history, newest first, filterable by agent', async () => {
    const { cmds } = setup(0)
    for (let i = 0; i < 8; i++)
      await cmds.send({ agentId: i % 2 ? 'odd' : 'even', type: 'pause', who: String(i) })
    expect(cmds.list({ limit: 100 }).map((c) => c.who)).toEqual(['7', '6', '5', '4', '3'])
    expect(cmds.list({ agentId: 'odd' }).map((c) => c.who)).toEqual(['7', '5', '3'])
    expect(cmds.takeChanged().length).toBeGreaterThan(0)
  })
})
