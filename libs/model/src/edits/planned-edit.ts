import type { ClusterDocument } from '../document-types.js';

/** What an edit makes of the stored cluster: the next document and what the audit row says. */
export interface PlannedEdit<T> {
  readonly document: ClusterDocument;
  /** What the change is about, as audit rows name it: `vsvr sales`, `filer filer1 bond0`. */
  readonly target: string;
  /** One-line summaries of the target before and after ('' where it does not exist). */
  readonly before: string;
  readonly after: string;
  /** What the caller gets back besides the generation (the address added, …). */
  readonly result: T;
}
