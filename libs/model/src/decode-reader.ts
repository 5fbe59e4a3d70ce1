import type { Path } from './problems.js';
import { ProblemList } from './problems.js';

/**
 * Typed reading of untyped document data. Each accessor records one precise problem when a
 * value has the wrong shape and returns `undefined`, so decoding goes on and reports everything.
 */
export class DocumentReader {
  constructor(readonly problems: ProblemList) {}

  object(value: unknown, path: Path, what: string): Record<string, unknown> | undefined {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
    this.problems.error(
      'document.shape',
      path,
      `${what} must be a mapping (key: value), not ${describe(value)}`,
      `write ${what} as key: value lines`,
    );
    return undefined;
  }

  /** Flags every key not in `allowed`, suggesting the nearest allowed one. */
  keys(obj: Record<string, unknown>, allowed: readonly string[], path: Path, what: string): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) {
        const near = nearest(key, allowed);
        this.problems.error(
          'document.unknown-field',
          [...path, key],
          `${what} has no field "${key}"`,
          near ? `did you mean "${near}"?` : `the fields of ${what} are: ${allowed.join(', ')}`,
        );
      }
    }
  }

  list(
    obj: Record<string, unknown>,
    key: string,
    path: Path,
    required: boolean,
  ): unknown[] | undefined {
    const v = obj[key];
    if (v === undefined || v === null) {
      if (required) {
        this.problems.error(
          'document.shape',
          [...path, key],
          `"${key}" is missing`,
          `add ${key}: as a list`,
        );
      }
      return undefined;
    }
    if (!Array.isArray(v)) {
      this.problems.error(
        'document.shape',
        [...path, key],
        `"${key}" must be a list, not ${describe(v)}`,
        `write each entry of ${key} on a line starting with "- "`,
      );
      return undefined;
    }
    return v as unknown[];
  }

  string(
    obj: Record<string, unknown>,
    key: string,
    path: Path,
    required: boolean,
  ): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null) {
      if (required) {
        this.problems.error(
          'document.shape',
          [...path, key],
          `"${key}" is missing`,
          `add ${key}: <value>`,
        );
      }
      return undefined;
    }
    if (typeof v === 'string' && v.trim() !== '') {
      return v.trim();
    }
    if (typeof v === 'number' && key !== 'mac') {
      return String(v);
    }
    this.problems.error(
      'document.shape',
      [...path, key],
      `"${key}" must be text, not ${describe(v)}`,
      key === 'mac' || key === 'address' ? 'quote the value: "…"' : `write ${key}: <text>`,
    );
    return undefined;
  }

  strings(value: unknown, path: Path, what: string): string[] {
    if (!Array.isArray(value)) {
      this.problems.error(
        'document.shape',
        path,
        `${what} must be a list, not ${describe(value)}`,
        'write it as [a, b] or as "- " lines',
      );
      return [];
    }
    const out: string[] = [];
    value.forEach((item, i) => {
      if (typeof item === 'string' && item.trim() !== '') {
        out.push(item.trim());
      } else {
        this.problems.error(
          'document.shape',
          [...path, i],
          `${what} entries must be text, not ${describe(item)}`,
          'write a name',
        );
      }
    });
    return out;
  }

  integer(
    obj: Record<string, unknown>,
    key: string,
    path: Path,
    min: number,
    max: number,
  ): number | undefined {
    const v = obj[key];
    if (v === undefined || v === null) {
      return undefined;
    }
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) {
      return v;
    }
    this.problems.error(
      'document.shape',
      [...path, key],
      `"${key}" must be a whole number from ${min} to ${max}, not ${describe(v)}`,
      `write ${key}: <number>`,
    );
    return undefined;
  }
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) {
    return 'empty';
  }
  if (Array.isArray(value)) {
    return 'a list';
  }
  if (typeof value === 'object') {
    return 'a mapping';
  }
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** The allowed word closest to `word` by edit distance, if it is close enough to be a typo. */
export function nearest(word: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
