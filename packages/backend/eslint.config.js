import { eslintConfig } from '@nnx-ts/tooling/eslint';

export default eslintConfig();
