import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';

/**
 * libs/model is the pure domain: the lint rule that keeps I/O and frameworks out of it must
 * really fire (STYLE.md rule 1). Lints snippets as if they were a file of libs/model.
 */
/** The first lint starts TypeScript's project service, which takes seconds. */
const LINT_TIMEOUT_MS = 120_000;

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

async function messagesFor(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-globals')
    .map((m) => m.message);
}

describe('the libs/model purity rule', () => {
  it.each([
    ["import { readFileSync } from 'node:fs';"],
    ["import { readFileSync } from 'fs';"],
    ["import { spawn } from 'node:child_process';"],
    ["import { Injectable } from '@nestjs/common';"],
    ["import { Entity } from 'typeorm';"],
    ["import { Queue } from 'bullmq';"],
    ["import * as grpc from '@grpc/grpc-js';"],
    ["import { parse } from 'yaml';"],
  ])(
    'refuses %s in libs/model',
    async (line) => {
      const messages = await messagesFor(
        `${line}\nexport const x = 1;\n`,
        'libs/model/src/names.ts',
      );
      expect(messages.join('\n')).toContain('libs/model is pure domain code');
    },
    LINT_TIMEOUT_MS,
  );

  it(
    'refuses reading the environment in libs/model',
    async () => {
      const messages = await messagesFor(
        'export const x = process.env.HOME;\n',
        'libs/model/src/names.ts',
      );
      expect(messages.join('\n')).toContain('must not read the process environment');
    },
    LINT_TIMEOUT_MS,
  );

  it(
    'allows hashing and plain libraries in libs/model, and I/O in apps',
    async () => {
      expect(
        await messagesFor(
          "import { createHash } from 'node:crypto';\nimport ipaddr from 'ipaddr.js';\nexport const x = [createHash, ipaddr];\n",
          'libs/model/src/names.ts',
        ),
      ).toEqual([]);
      expect(
        await messagesFor(
          "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
          'apps/cli/src/main.ts',
        ),
      ).toEqual([]);
    },
    LINT_TIMEOUT_MS,
  );
});
