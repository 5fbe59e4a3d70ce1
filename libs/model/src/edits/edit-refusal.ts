import type { Problem, ProblemCode } from '../problems.js';
import { formatPath } from '../problems.js';

/**
 * Why an edit of the cluster cannot be made, in the terms every API uses (docs/api.md, error
 * model): the request is malformed, the thing it names is missing, the thing it creates
 * exists, or the cluster forbids it.
 */
export type EditRefusalKind =
  'invalid-argument' | 'not-found' | 'already-exists' | 'failed-precondition';

/** One thing wrong with an edit: a request field (lowerCamelCase) or a document path. */
export interface EditViolation {
  readonly field: string;
  readonly description: string;
}

/**
 * Thrown by an edit (a pure function from one cluster document to the next) when it cannot be
 * made; nothing is written. `reason` is a stable code: a model problem code or `request.*`.
 */
export class EditRefusal extends Error {
  override readonly name = 'EditRefusal';

  constructor(
    readonly kind: EditRefusalKind,
    message: string,
    readonly violations: readonly EditViolation[],
    readonly reason: string,
  ) {
    super(message);
  }

  /** A refusal about one field of the request. */
  static field(
    kind: EditRefusalKind,
    field: string,
    description: string,
    reason = 'request.invalid',
  ): EditRefusal {
    return new EditRefusal(kind, `${field}: ${description}`, [{ field, description }], reason);
  }

  /**
   * The refusal for a document the model finds errors in after an edit: every error problem is
   * a violation at its document path; the first decides the kind (see {@link refusalKindOf}).
   */
  static fromProblems(problems: readonly Problem[]): EditRefusal {
    const errors = problems.filter((p) => p.severity === 'error');
    const first = errors[0];
    if (first === undefined) {
      throw new Error('EditRefusal.fromProblems needs at least one error problem');
    }
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    return new EditRefusal(
      refusalKindOf(first.code),
      `${formatPath(first.path)}: ${stripPeriod(first.message)}${more}; nothing was changed`,
      errors.map((p) => ({ field: formatPath(p.path), description: `${p.message} — ${p.hint}` })),
      first.code,
    );
  }
}

const ALREADY_EXISTS: ReadonlySet<ProblemCode> = new Set([
  'name.duplicate',
  'mac.duplicate',
  'address.duplicate',
  'address.instance',
]);

const FAILED_PRECONDITION: ReadonlySet<ProblemCode> = new Set([
  'interface.unknown',
  'interface.consumed',
  'interface.cycle',
  'interface.mtu',
  'interface.members',
  'address.not-on-alias',
  'address.owner',
  'vsvr.failover-group',
  'vsvr.no-placement',
  'vsvr.mgmt-reach',
  'routing.unknown-policy',
  'routing.cycle',
  'routing.conflict',
  'routing.gateway',
  'site.overlap',
]);

/**
 * How a problem the model finds in the cluster an edit produced is reported: a clash with
 * something that exists is ALREADY_EXISTS, a well-formed edit the cluster's other parts forbid
 * is FAILED_PRECONDITION, a bad value is INVALID_ARGUMENT.
 */
export function refusalKindOf(code: ProblemCode): EditRefusalKind {
  if (ALREADY_EXISTS.has(code)) {
    return 'already-exists';
  }
  return FAILED_PRECONDITION.has(code) ? 'failed-precondition' : 'invalid-argument';
}

function stripPeriod(text: string): string {
  return text.endsWith('.') ? text.slice(0, -1) : text;
}
