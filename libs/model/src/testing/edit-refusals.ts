import { expect } from '@jest/globals';
import { check } from './analyze-document.js';
import { EditRefusal } from '../edits/edit-refusal.js';
import type { EditRefusalKind } from '../edits/edit-refusal.js';
import type { PlannedEdit } from '../edits/planned-edit.js';

// Test helpers for edits: what the store does with a planned edit, in memory.

/** The refusal `edit` throws; fails the test when it throws anything else or nothing. */
export function refusalOf(edit: () => unknown): EditRefusal {
  try {
    edit();
  } catch (error) {
    if (error instanceof EditRefusal) {
      return error;
    }
    throw error;
  }
  throw new Error('the edit was not refused');
}

/** The store's verdict on a planned edit: the model's refusal of the whole result, or none. */
export function verdictOf(planned: PlannedEdit<unknown>): EditRefusal | undefined {
  const errors = check(planned.document).errors;
  return errors.length === 0 ? undefined : EditRefusal.fromProblems(errors);
}

/** The edit is refused with `kind` naming `field` (a request field or a document path). */
export function expectRefused(
  refusal: EditRefusal | undefined,
  kind: EditRefusalKind,
  field: string,
  reason?: string,
): void {
  expect(refusal).toBeInstanceOf(EditRefusal);
  expect({ kind: refusal?.kind, fields: refusal?.violations.map((v) => v.field) }).toEqual({
    kind,
    fields: expect.arrayContaining([field]),
  });
  if (reason !== undefined) {
    expect(refusal?.reason).toBe(reason);
  }
}
