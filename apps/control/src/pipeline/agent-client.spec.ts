import { afterEach, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { makeTlsFixture } from '../../../../libs/contracts/src/testing/tls-fixture.js';
import { loadControlConfig } from '../config/control-config.js';
import { AgentClients } from './agent-client.js';

/** What AgentClients logged at start, as `level: message` lines. */
function startLines(agentTls: Parameters<typeof loadControlConfig>[0]): string[] {
  const lines: string[] = [];
  const capture = (level: string) => (message: unknown) =>
    void lines.push(`${level}: ${String(message)}`);
  Logger.overrideLogger({
    log: capture('info'),
    warn: capture('warn'),
    error: capture('error'),
  });
  const clients = new AgentClients(loadControlConfig(agentTls));
  clients.onModuleInit();
  clients.onApplicationShutdown();
  return lines;
}

describe('AgentClients at start', () => {
  afterEach(() => {
    Logger.overrideLogger(false);
  });

  it('says once that it uses TLS, and does not warn, with VSNET_AGENT_TLS_*', () => {
    const tls = makeTlsFixture('vsnet-agent-clients-');
    try {
      expect(
        startLines({
          VSNET_AGENT_TLS_CA: tls.ca,
          VSNET_AGENT_TLS_CERT: tls.client.cert,
          VSNET_AGENT_TLS_KEY: tls.client.key,
        }),
      ).toEqual([
        'info: the agent channel uses TLS, trusting VSNET_AGENT_TLS_CA, presenting VSNET_AGENT_TLS_CERT',
      ]);
    } finally {
      tls.remove();
    }
  });

  it('warns once that the agent channel is not encrypted without VSNET_AGENT_TLS_*', () => {
    const lines = startLines({});
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^warn: the agent channel is not encrypted: .*set VSNET_AGENT_TLS_CA, VSNET_AGENT_TLS_CERT and VSNET_AGENT_TLS_KEY/,
    );
  });
});

describe('AgentClients.track', () => {
  it("closes the channel to a filer's old address once its agent moved, unless another filer's agent is there", async () => {
    Logger.overrideLogger(false);
    const clients = new AgentClients(loadControlConfig({}));
    try {
      // Nothing listens on port 9 of loopback (discard): the call fails, its channel stays.
      await clients.getState('127.0.0.1:9', 200).catch(() => undefined);
      await clients.getState('127.0.0.1:10', 200).catch(() => undefined);
      clients.track('filer1', '127.0.0.1:9');
      clients.track('filer2', '127.0.0.1:10');
      expect(clients.channels).toBe(2);
      clients.track('filer1', '127.0.0.1:10');
      expect(clients.channels).toBe(1);
      clients.track('filer2', '127.0.0.1:11');
      expect(clients.channels).toBe(1);
    } finally {
      clients.onApplicationShutdown();
    }
  });
});
