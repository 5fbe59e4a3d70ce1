import type { ClusterDocument, FilerDocument } from '../document-types.js';
import { normalizeMac } from '../mac.js';
import { parseInterfaceName } from '../names.js';
import { findFiler, requireCluster, requireText } from './document-edit.js';
import { EditRefusal } from './edit-refusal.js';
import type { PhysicalInterfaceInput } from './filer-edits.js';
import { describeFiler, registerFiler } from './filer-edits.js';
import type { PlannedEdit } from './planned-edit.js';

/** What a filer's agent tells the control service when it joins (FilerService/JoinFiler). */
export interface JoinFilerInput {
  readonly name: string;
  /** The physical interfaces the agent found in its kernel, with their MACs. */
  readonly interfaces: readonly PhysicalInterfaceInput[];
  /** `host:port` the control service dials the agent at. */
  readonly agentAddress: string;
  /**
   * The filer name the join token was minted for; '' for a token any new filer may use. Only a
   * token minted for a filer's name may join a filer the cluster already has: the administrator
   * who minted it agreed that whoever holds it becomes that filer's agent.
   */
  readonly tokenFiler: string;
}

/** Longest agent address (its column, `filer_state.agent_address`). */
export const AGENT_ADDRESS_LENGTH = 96;
const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

/**
 * A filer joining through its agent: a new filer is registered with the interfaces it reports
 * ({@link registerFiler}, whose refusals apply; a MAC another filer has is ALREADY_EXISTS). A
 * known one needs a token minted for its name (ALREADY_EXISTS otherwise: an any-filer token
 * would let its holder take over any filer's agent address); it keeps the stored document, and
 * its physical interfaces must be the ones it reports (same `eth#` names, same MACs) —
 * FAILED_PRECONDITION otherwise, since the stored filer would not match the machine. Refusals
 * never quote a stored MAC: the caller holds a join token, not a principal that may read the
 * cluster. The result is the filer as stored after the join; the audit summary adds the
 * agent's address.
 */
export function joinFiler(
  current: ClusterDocument | undefined,
  input: JoinFilerInput,
): PlannedEdit<FilerDocument> {
  const agentAddress = requireAgentAddress(input.agentAddress);
  const document = requireCluster(current);
  const name = requireText(input.name, 'name', 'the joining filer’s name').trim();
  const stored = document.filers[findFiler(document, name)];
  if (stored === undefined) {
    checkMacsUnused(document, input.interfaces);
    const planned = registerFiler(document, { name, interfaces: input.interfaces });
    return { ...planned, after: `${planned.after}; agent at ${agentAddress}` };
  }
  if (input.tokenFiler.trim().toLowerCase() !== stored.name.toLowerCase()) {
    throw EditRefusal.field(
      'already-exists',
      'name',
      `filer ${stored.name} is in the cluster already and this join token only registers a new filer; to join ${stored.name} again, ask an administrator for a token minted for it (vsnet filer join-token --filer ${stored.name})`,
      'name.duplicate',
    );
  }
  checkSameInterfaces(stored, input.interfaces);
  return {
    document,
    target: `filer ${stored.name}`,
    before: '',
    after: `${describeFiler(stored)}; agent at ${agentAddress}`,
    result: stored,
  };
}

function requireAgentAddress(value: string): string {
  const text = requireText(value, 'agentAddress', 'host:port of the agent’s gRPC server').trim();
  const port = HOST_PORT.exec(text)?.[1];
  if (
    port === undefined ||
    Number(port) < 1 ||
    Number(port) > 65_535 ||
    text.length > AGENT_ADDRESS_LENGTH
  ) {
    throw EditRefusal.field(
      'invalid-argument',
      'agentAddress',
      `"${value}" is not an address the control service can dial; give host:port or [ipv6]:port (port 1-65535, at most ${AGENT_ADDRESS_LENGTH} characters), e.g. 198.51.100.7:7401`,
      'address.invalid',
    );
  }
  return text;
}

/**
 * Refuses a reported MAC that another filer's interface has, without saying which filer (the
 * model's own duplicate check would name it and its interface).
 */
function checkMacsUnused(
  document: ClusterDocument,
  reported: readonly PhysicalInterfaceInput[],
): void {
  const stored = new Set(
    document.filers.flatMap((f) => f.interfaces.map((i) => normalizeMac(i.mac ?? '') ?? '')),
  );
  stored.delete('');
  reported.forEach((i, k) => {
    const mac = normalizeMac(i.mac);
    if (mac !== undefined && stored.has(mac)) {
      throw EditRefusal.field(
        'already-exists',
        `interfaces[${k}].mac`,
        `${mac} is already a MAC of a filer in the cluster; if this machine is that filer, join it under that filer's name with a token minted for it`,
        'mac.duplicate',
      );
    }
  });
}

/** Refuses unless `reported` lists exactly the stored filer's physical interfaces and MACs. */
function checkSameInterfaces(
  stored: FilerDocument,
  reported: readonly PhysicalInterfaceInput[],
): void {
  if (reported.length === 0) {
    throw EditRefusal.field(
      'invalid-argument',
      'interfaces',
      'list at least one physical interface (eth#) with its MAC',
    );
  }
  const physical = new Map(
    stored.interfaces
      .filter((i) => {
        const parsed = parseInterfaceName(i.name);
        return parsed.ok && parsed.value.baseKind === 'eth' && parsed.value.vlanTags.length === 0;
      })
      .map((i) => [i.name, i.mac ?? ''] as const),
  );
  const seen = new Set<string>();
  reported.forEach((i, k) => {
    const ifname = requireText(i.name, `interfaces[${k}].name`, 'the interface name, eth0, …')
      .trim()
      .toLowerCase();
    const rawMac = requireText(i.mac, `interfaces[${k}].mac`, `the burnt-in MAC of ${ifname}`);
    const mac = normalizeMac(rawMac);
    if (mac === undefined) {
      throw EditRefusal.field(
        'invalid-argument',
        `interfaces[${k}].mac`,
        `"${rawMac}" is not a MAC address; write it as 00:07:34:04:12:0e`,
        'mac.invalid',
      );
    }
    if (seen.has(ifname)) {
      throw EditRefusal.field(
        'invalid-argument',
        `interfaces[${k}].name`,
        `${ifname} is listed twice; list each physical interface once`,
        'name.duplicate',
      );
    }
    seen.add(ifname);
    const storedMac = physical.get(ifname);
    if (storedMac === undefined) {
      throw EditRefusal.field(
        'failed-precondition',
        `interfaces[${k}].name`,
        `filer ${stored.name} is stored without ${ifname}; if this is another machine, join it under another name, otherwise add the interface to the stored filer first`,
        'filer.interfaces-differ',
      );
    }
    if (storedMac !== mac) {
      throw EditRefusal.field(
        'failed-precondition',
        `interfaces[${k}].mac`,
        `filer ${stored.name}'s ${ifname} is stored with another MAC than ${mac}; if this is another machine, join it under another name, otherwise correct the stored MAC first`,
        'filer.interfaces-differ',
      );
    }
  });
  const missing = [...physical.keys()].filter((n) => !seen.has(n));
  if (missing.length > 0) {
    throw EditRefusal.field(
      'failed-precondition',
      'interfaces',
      `filer ${stored.name} is stored with ${missing.join(', ')}, which this machine does not report; check its cabling and drivers, or join it under another name`,
      'filer.interfaces-differ',
    );
  }
}
