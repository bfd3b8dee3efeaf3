import { vitestConfig } from '@nnx-ts/tooling/vitest';

export default vitestConfig('@nnx-ts/transforms');
