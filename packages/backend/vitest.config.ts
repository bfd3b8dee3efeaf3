import { vitestConfig } from '@nnx-ts/tooling/vitest';

// Backend tests start real backends (wasm binaries, Dawn on SwiftShader); running them one file at a time keeps the
// 2-core CI machine from timing out and keeps backends from competing.
export default vitestConfig('@nnx-ts/backend', { fileParallelism: false, testTimeout: 120_000 });
