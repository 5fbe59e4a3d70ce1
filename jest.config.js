/** Jest runs the TypeScript sources as ESM through ts-jest (see STACK.md traps 1, 3 and 7). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test', '<rootDir>/deploy'],
  testMatch: ['**/*.spec.ts', '**/*.test.ts'],
  moduleNameMapper: {
    '^@vsnet/model$': '<rootDir>/libs/model/src/index.ts',
    '^@vsnet/dataplane$': '<rootDir>/libs/dataplane/src/index.ts',
    '^@vsnet/contracts$': '<rootDir>/libs/contracts/src/index.ts',
    '^@vsnet/store$': '<rootDir>/libs/store/src/index.ts',
    '^@vsnet/dhcp$': '<rootDir>/libs/dhcp/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
};
