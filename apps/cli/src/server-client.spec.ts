import { describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { EXIT_INVALID, EXIT_USAGE } from './cli-io.js';
import { parseDocumentPath, serverAddress, serverFailure, valueFromWire } from './server-client.js';

function serviceError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), {
    code,
    details,
    metadata: new grpc.Metadata(),
  });
}

const CALL = { server: '10.0.0.1:7400', timeoutSeconds: 10 };

describe('server-client', () => {
  it('reads document paths back as formatPath wrote them', () => {
    expect(parseDocumentPath('vsvrs[0].addresses[2].address')).toEqual([
      'vsvrs',
      0,
      'addresses',
      2,
      'address',
    ]);
    expect(parseDocumentPath('cluster.mac')).toEqual(['cluster', 'mac']);
    expect(parseDocumentPath('filers[Filer2].interfaces')).toEqual([
      'filers',
      'Filer2',
      'interfaces',
    ]);
    expect(parseDocumentPath('(document)')).toEqual([]);
  });

  it('takes --server, else VSNET_SERVER, else 127.0.0.1:7400, and refuses what is not HOST:PORT', () => {
    expect(serverAddress({ server: 'h:1', timeout: 10 }, { VSNET_SERVER: 'e:2' })).toBe('h:1');
    expect(serverAddress({ timeout: 10 }, { VSNET_SERVER: 'e:2' })).toBe('e:2');
    expect(serverAddress({ timeout: 10 }, { VSNET_SERVER: '' })).toBe('127.0.0.1:7400');
    expect(serverAddress({ server: '[::1]:7400', timeout: 10 }, {})).toBe('[::1]:7400');
    expect(() => serverAddress({ server: 'http://h:1', timeout: 10 }, {})).toThrow(
      /expected HOST:PORT/,
    );
    expect(() => serverAddress({ server: 'h', timeout: 10 }, {})).toThrow(/expected HOST:PORT/);
  });

  it('turns google.protobuf.Value back into JSON values', () => {
    expect(
      valueFromWire({
        kind: 'structValue',
        structValue: {
          fields: {
            a: { kind: 'numberValue', numberValue: 1 },
            b: {
              kind: 'listValue',
              listValue: { values: [{ kind: 'stringValue', stringValue: 'x' }] },
            },
            c: { kind: 'nullValue', nullValue: 'NULL_VALUE' },
            d: { kind: 'boolValue', boolValue: true },
          },
        },
      }),
    ).toEqual({ a: 1, b: ['x'], c: null, d: true });
    expect(valueFromWire(null)).toBeUndefined();
  });

  it('maps failures to one line and an exit status', () => {
    const unavailable = serverFailure(CALL, serviceError(grpc.status.UNAVAILABLE, 'No connection'));
    expect(unavailable.exitCode).toBe(EXIT_USAGE);
    expect(unavailable.message).toMatch(/^vsnet: cannot reach .* at 10\.0\.0\.1:7400 .*--server/);
    const refused = serverFailure(
      CALL,
      serviceError(
        grpc.status.UNAVAILABLE,
        'No connection established. Last error: Error: connect ECONNREFUSED 10.0.0.1:7400. Resolution note: ',
      ),
    );
    expect(refused.message).toMatch(
      /at 10\.0\.0\.1:7400 \(connect ECONNREFUSED 10\.0\.0\.1:7400\); check/,
    );
    const late = serverFailure(CALL, serviceError(grpc.status.DEADLINE_EXCEEDED, 'Deadline'));
    expect(late.exitCode).toBe(EXIT_USAGE);
    expect(late.message).toMatch(/did not answer within 10 s.*--timeout/);
    const never = serverFailure(
      CALL,
      serviceError(grpc.status.FAILED_PRECONDITION, 'the cluster has never been applied'),
    );
    expect(never.exitCode).toBe(EXIT_INVALID);
    expect(never.message).toBe('vsnet: 10.0.0.1:7400: the cluster has never been applied');
    for (const failure of [unavailable, late, never]) {
      expect(failure.message).not.toMatch(/\n/);
    }
  });
});
