import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DhcpPlan } from '@vsnet/dhcp';
import { renderDhcpd, renderKea } from '@vsnet/dhcp';
import { run } from '../../../deploy/lab/src/run.js';
import { LongRunning } from './processes.js';

/**
 * Waits until `dev` has a link-local address out of duplicate address detection: a DHCPv6
 * server binds to it, and one started earlier does not listen on the link at all.
 */
export async function linkLocalReady(ns: string, dev: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await run('ip', ['-n', ns, '-6', 'addr', 'show', 'dev', dev, 'scope', 'link']);
    const tentative = await run('ip', [
      '-n',
      ns,
      '-6',
      'addr',
      'show',
      'dev',
      dev,
      'scope',
      'link',
      'tentative',
    ]);
    if (all.stdout.includes('inet6') && !tentative.stdout.includes('inet6')) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`${dev} in ${ns} has no usable link-local address after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A DHCP server (v4 and v6) a lab test runs in one namespace, ended by pid. */
export interface LabDhcpServer {
  readonly kind: 'kea' | 'dhcpd';
  /** The configurations as served: exactly the generated ones. */
  readonly configs: { readonly v4: string; readonly v6: string };
  stop(): Promise<void>;
}

/**
 * Kea DHCPv4 and DHCPv6 serving exactly what `renderKea` generates for `plan`: the plan's
 * options say where it listens and serves each subnet, its first-boot pool and its lease
 * database (the lab keeps leases in memory).
 */
export async function startKea(
  ns: string,
  dir: string,
  plan: DhcpPlan,
  lab: { readonly iface: string },
): Promise<LabDhcpServer> {
  await mkdir(join(dir, 'run'), { recursive: true });
  const v4 = renderKea(plan, 4);
  const v6 = renderKea(plan, 6);
  await linkLocalReady(ns, lab.iface);
  await writeFile(join(dir, 'kea4.conf'), v4);
  await writeFile(join(dir, 'kea6.conf'), v6);
  const env = [
    `KEA_PIDFILE_DIR=${join(dir, 'run')}`,
    `KEA_LOCKFILE_DIR=${join(dir, 'run')}`,
    `KEA_LOG_FILE_DIR=${join(dir, 'run')}`,
  ];
  const k4 = LongRunning.inNamespace('kea-dhcp4', ns, 'env', [
    ...env,
    '/usr/sbin/kea-dhcp4',
    '-c',
    join(dir, 'kea4.conf'),
  ]);
  const k6 = LongRunning.inNamespace('kea-dhcp6', ns, 'env', [
    ...env,
    '/usr/sbin/kea-dhcp6',
    '-c',
    join(dir, 'kea6.conf'),
  ]);
  await Promise.all([
    k4.waitForOutput(/DHCP4_STARTED/, 10_000),
    k6.waitForOutput(/DHCP6_STARTED/, 10_000),
  ]);
  return {
    kind: 'kea',
    configs: { v4, v6 },
    stop: async () => {
      await Promise.all([k4.stop(), k6.stop()]);
    },
  };
}

/** ISC dhcpd (-4 and -6) serving exactly what `renderDhcpd` generates for `plan`. */
export async function startDhcpd(
  ns: string,
  dir: string,
  plan: DhcpPlan,
  lab: { readonly iface: string },
): Promise<LabDhcpServer> {
  await mkdir(dir, { recursive: true });
  const v4 = renderDhcpd(plan, 4);
  const v6 = renderDhcpd(plan, 6);
  await linkLocalReady(ns, lab.iface);
  await writeFile(join(dir, 'dhcpd4.conf'), v4);
  await writeFile(join(dir, 'dhcpd6.conf'), v6);
  await writeFile(join(dir, 'dhcpd4.leases'), '');
  await writeFile(join(dir, 'dhcpd6.leases'), '');
  const args = (family: 4 | 6): string[] => [
    '-f',
    `-${family}`,
    '-cf',
    join(dir, `dhcpd${family}.conf`),
    '-lf',
    join(dir, `dhcpd${family}.leases`),
    '-pf',
    join(dir, `dhcpd${family}.pid`),
    lab.iface,
  ];
  const d4 = LongRunning.inNamespace('dhcpd -4', ns, '/usr/sbin/dhcpd', args(4));
  const d6 = LongRunning.inNamespace('dhcpd -6', ns, '/usr/sbin/dhcpd', args(6));
  await Promise.all([
    d4.waitForOutput(/Sending on\s+\S+\/eth/, 10_000),
    d6.waitForOutput(/Sending on\s+\S+\/eth/, 10_000),
  ]);
  return {
    kind: 'dhcpd',
    configs: { v4, v6 },
    stop: async () => {
      await Promise.all([d4.stop(), d6.stop()]);
    },
  };
}
