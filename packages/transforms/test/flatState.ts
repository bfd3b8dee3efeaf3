import { isVariable, type Variable } from '@nnx-ts/module';

/** Test helper: `{ 'l1/kernel': Variable, ... }` from a nested State (or module), Flax's '/'-joined paths. */
export function flatState(root: object): Record<string, Variable<unknown>> {
  const out: Record<string, Variable<unknown>> = {};
  const visit = (node: unknown, path: string[]): void => {
    if (isVariable(node)) {
      out[path.join('/')] = node;
    } else if (node !== null && typeof node === 'object') {
      for (const key of Object.keys(node)) visit((node as Record<string, unknown>)[key], [...path, key]);
    }
  };
  visit(root, []);
  return out;
}
