/** Settings for a host under test, pointing at the private test engine and Redis when present. */
export function testSettings(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const docker = process.env['STACKDECK_TEST_DOCKER_HOST']
  const redis = process.env['STACKDECK_TEST_REDIS_URL']
  return {
    docker: {
      endpoints: [{ id: 'test', url: docker ?? 'unix:///nonexistent/docker.sock' }],
      actionTimeoutMs: 15000,
    },
    redis: { url: redis ?? 'redis://127.0.0.1:1' },
    ...extra,
  }
}
