import { describe, expect, it } from '@jest/globals';
import type { NodeSpec } from '@vsnet/model';
import type { ObservedLink } from '../driver.js';
import { removeOp } from '../plan-links.js';
import { bondedClusterDocument } from '../testing/bonded-cluster.js';
import { smallClusterDocument } from '../testing/small-cluster.js';
import { compileSpecs } from '../testing/specs.js';
import { createDryRunDriver } from './dry-run.driver.js';

const [spec] = compileSpecs(smallClusterDocument()) as [NodeSpec];

describe('dry-run driver', () => {
  it('is a dry-run driver whose kernel starts empty', async () => {
    const driver = createDryRunDriver();
    expect(driver.kind).toBe('dry-run');
    expect((await driver.inspect()).namespaces).toEqual([]);
  });

  it('records every applied operation and reports one entry per item', async () => {
    const driver = createDryRunDriver({ namespacePrefix: 'x-' });
    const plan = driver.plan(spec, await driver.inspect());
    const report = await driver.apply(plan);
    expect(driver.history().map((o) => o.operation)).toEqual(plan.operations);
    expect(report.changed).toBe(true);
    expect(report.items).toContainEqual({ item: 'namespace x-vs-alpha', status: 'created' });
    expect(report.items).toContainEqual({
      item: 'link eth0 in the filer namespace',
      status: 'changed',
    });
    expect(new Set(report.items.map((i) => i.item)).size).toBe(report.items.length);
  });

  it('counts every vsvr namespace by vsvr name, with zero counters', async () => {
    const driver = createDryRunDriver({ namespacePrefix: 'x-' });
    await driver.apply(driver.plan(spec, await driver.inspect()));
    expect(await driver.counters()).toEqual({
      alpha: { ip: {}, tcp: {}, udp: {} },
      beta: { ip: {}, tcp: {}, udp: {} },
      gamma: { ip: {}, tcp: {}, udp: {} },
    });
  });

  it('a NIC the filer lacks is a failed item, and the rest still applies', async () => {
    const driver = createDryRunDriver({ physicalLinks: ['eth0'] });
    const report = await driver.apply(driver.plan(spec, await driver.inspect()));
    const failed = report.items.filter((i) => i.status === 'failed');
    expect(failed.map((i) => i.item)).toEqual([
      'link eth1 in the filer namespace',
      'link data0 in vs-alpha',
      'link data0 in vs-beta',
      'link data0 in vs-gamma',
      'address 198.18.1.21/24 on data0 in vs-alpha',
      'address 2001:db8:0:2::21/64 on data0 in vs-alpha',
      'address 198.18.1.22/24 on data0 in vs-beta',
      'address 2001:db8:0:2::22/64 on data0 in vs-beta',
      'route 198.19.20.0/24 table 254 in vs-alpha',
      'route 2001:db8:20::/64 table 254 in vs-alpha',
    ]);
    expect(failed[0]?.detail).toContain('Cannot find device "eth1"');
    expect((await driver.inspect()).addresses.map((a) => a.address)).toEqual([
      '198.18.0.11/24',
      '2001:db8:0:1::11/64',
    ]);
  });

  it('verify() lists what differs from the spec', async () => {
    const driver = createDryRunDriver();
    expect(await driver.verify(spec)).toContainEqual({
      item: 'namespace vs-alpha',
      expected: 'present',
      actual: 'absent',
    });
  });

  it('deleting a bond releases its members, as the kernel does', async () => {
    const [bonded] = compileSpecs(bondedClusterDocument()) as [NodeSpec];
    const driver = createDryRunDriver();
    await driver.apply(driver.plan(bonded, await driver.inspect()));
    const bond0 = (await driver.inspect()).links.find((l) => l.name === 'bond0');
    expect(bond0).toBeDefined();
    const report = await driver.apply({ operations: [removeOp(bond0 as ObservedLink)] });
    expect(report.items).toEqual([
      { item: 'link bond0 in the filer namespace', status: 'removed' },
    ]);
    const links = (await driver.inspect()).links;
    expect(links.filter((l) => l.master === 'bond0')).toEqual([]);
    expect(links.find((l) => l.name === 'eth0')).toBeDefined();
  });
});
