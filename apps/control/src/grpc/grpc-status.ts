import { Metadata, status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import type { Problem } from '@vsnet/model';
import { formatPath } from '@vsnet/model';
import { errorModelGrpc } from '../../../../libs/contracts/src/cluster-api.js';

/** The trailer gRPC's rich error model travels in: a serialized google.rpc.Status. */
export const STATUS_DETAILS_TRAILER = 'grpc-status-details-bin';
/** google.rpc.ErrorInfo's domain for every vsnet refusal. */
export const ERROR_DOMAIN = 'vsnet';

const TYPE_URL = 'type.googleapis.com/google.rpc.';

const errorModel = errorModelGrpc();

/** One field violation for the google.rpc.BadRequest of a refusal. */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/**
 * A refusal: `code` with a one-sentence `message`, and the same as a google.rpc.Status (one
 * BadRequest with the field violations, one ErrorInfo with `reason`) in the trailer.
 */
export function refusal(
  code: status,
  message: string,
  violations: readonly FieldViolation[],
  reason: string,
): RpcException {
  const badRequest = errorModel.BadRequest.serialize({ fieldViolations: [...violations] });
  const errorInfo = errorModel.ErrorInfo.serialize({ reason, domain: ERROR_DOMAIN });
  const details = errorModel.Status.serialize({
    code,
    message,
    details: [
      { type_url: `${TYPE_URL}BadRequest`, value: badRequest },
      { type_url: `${TYPE_URL}ErrorInfo`, value: errorInfo },
    ],
  });
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_TRAILER, details);
  return new RpcException({ code, message, metadata });
}

/** INVALID_ARGUMENT for a document the model refused: every error problem is a violation. */
export function documentRefusal(problems: readonly Problem[]): RpcException {
  const errors = problems.filter((p) => p.severity === 'error');
  const first = errors[0];
  if (first === undefined) {
    throw new Error('documentRefusal needs at least one error problem');
  }
  const count = `${errors.length} problem${errors.length === 1 ? '' : 's'}`;
  const message = `the document has ${count} and nothing was written; the first is at ${formatPath(first.path)}: ${stripPeriod(first.message)}`;
  return refusal(
    status.INVALID_ARGUMENT,
    message,
    errors.map((p) => ({ field: formatPath(p.path), description: `${p.message} — ${p.hint}` })),
    first.code,
  );
}

/** INVALID_ARGUMENT for a malformed request (a request field, lowerCamelCase, is the field). */
export function requestRefusal(field: string, description: string): RpcException {
  return refusal(
    status.INVALID_ARGUMENT,
    `${field}: ${description}`,
    [{ field, description }],
    'request.invalid',
  );
}

/** A plain status without details (NOT_FOUND, FAILED_PRECONDITION, INTERNAL, …). */
export function plainStatus(code: status, message: string): RpcException {
  return new RpcException({ code, message });
}

function stripPeriod(text: string): string {
  return text.endsWith('.') ? text.slice(0, -1) : text;
}
