import { vitestConfig } from '@nnx-ts/tooling/vitest';

export default vitestConfig('@nnx-ts/e2e', { testTimeout: 600_000, hookTimeout: 600_000, fileParallelism: false });
