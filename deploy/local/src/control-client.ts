import * as grpc from '@grpc/grpc-js';
import type { ClusterDocument } from '@vsnet/model';
import { clusterDocumentToWire } from '../../../libs/contracts/src/cluster-api-document.js';
import { clusterApiGrpc } from '../../../libs/contracts/src/cluster-api.js';
import type {
  ChangeServiceClient,
  ConfigServiceClient,
  FilerServiceClient,
} from '../../../libs/contracts/src/cluster-api.js';
import type { ApplyResponse__Output } from '../../../libs/contracts/src/generated/vsnet/v1/ApplyResponse.js';
import type { CreateJoinTokenResponse__Output } from '../../../libs/contracts/src/generated/vsnet/v1/CreateJoinTokenResponse.js';
import type { ListFilerStatusResponse__Output } from '../../../libs/contracts/src/generated/vsnet/v1/ListFilerStatusResponse.js';

const CALL_DEADLINE_MS = 15_000;

/** A unary call's callback-style method, bound to its client. */
type Unary<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, value?: Res) => void,
) => grpc.ClientUnaryCall;

/** True when the control service does not implement the method (yet). */
export function isUnimplemented(err: unknown): boolean {
  return (err as { code?: unknown }).code === grpc.status.UNIMPLEMENTED;
}

/** The few calls `npm start` makes to the control service, with the admin token. */
export class ControlClient {
  private readonly config: ConfigServiceClient;
  private readonly filers: FilerServiceClient;
  private readonly changes: ChangeServiceClient;

  constructor(
    readonly server: string,
    private readonly token: string,
  ) {
    const api = clusterApiGrpc();
    const credentials = grpc.credentials.createInsecure();
    this.config = new api.ConfigService(server, credentials);
    this.filers = new api.FilerService(server, credentials);
    this.changes = new api.ChangeService(server, credentials);
  }

  private call<Req, Res>(method: Unary<Req, Res>, request: Req): Promise<Res> {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${this.token}`);
    return new Promise((resolve, reject) => {
      method(request, metadata, { deadline: Date.now() + CALL_DEADLINE_MS }, (err, value) =>
        err !== null || value === undefined
          ? reject(err ?? new Error('empty answer'))
          : resolve(value),
      );
    });
  }

  /** Makes the stored cluster equal to `doc`. */
  apply(doc: ClusterDocument): Promise<ApplyResponse__Output> {
    return this.call(this.config.apply.bind(this.config), {
      document: clusterDocumentToWire(doc),
      dryRun: false,
    });
  }

  /** A join token for `filer`, valid for an hour. */
  joinToken(filer: string): Promise<CreateJoinTokenResponse__Output> {
    return this.call(this.filers.createJoinToken.bind(this.filers), { filer, ttlSeconds: 3600 });
  }

  /** Every filer's desired and observed generation. */
  filerStatus(): Promise<ListFilerStatusResponse__Output> {
    return this.call(this.changes.listFilerStatus.bind(this.changes), {});
  }

  close(): void {
    this.config.close();
    this.filers.close();
    this.changes.close();
  }
}
