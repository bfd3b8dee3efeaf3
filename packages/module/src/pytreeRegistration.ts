// Registers Pytree/Module, Variable and State with @nnx-ts/pytree so that tree functions (map, leaves, ...) treat
// them as containers: a module's data attributes, a Variable's value and a State's entries are children.
import { registerNode } from '@nnx-ts/pytree';
import { createNode, rawNode } from './nodeGuard.js';
import { staticKey } from './staticKey.js';
import { isPytree, markData, markStatic, pytreeAttributes, type Pytree } from './pytree.js';
import { isState, State } from './state.js';
import { isVariable, Variable, type VariableMetadata, type VariableType } from './variable.js';
import { keyOf, sortedKeysOf, type Key } from './paths.js';

interface PytreeAux {
  readonly ctor: abstract new (...args: any[]) => Pytree;
  readonly data: readonly string[];
  readonly statics: ReadonlyArray<readonly [string, unknown]>;
}

registerNode<Pytree>(
  isPytree,
  {
    flatten(node) {
      const { data, statics } = pytreeAttributes(node);
      const record = node as unknown as Record<string, unknown>;
      return {
        children: data.map((n) => record[n]),
        keys: data.map((name) => ({ kind: 'attr' as const, name })),
        aux: { ctor: node.constructor as PytreeAux['ctor'], data, statics: statics.map((n) => [n, record[n]] as const) },
      };
    },
    unflatten(aux: PytreeAux, children) {
      const obj = createNode(aux.ctor) as unknown as Pytree;
      const record = rawNode(obj) as unknown as Record<string, unknown>;
      aux.data.forEach((n, i) => (record[n] = children[i]));
      for (const [n, v] of aux.statics) record[n] = v;
      markData(obj, ...aux.data);
      markStatic(obj, ...aux.statics.map(([n]) => n));
      return obj;
    },
    auxKey: (aux: PytreeAux) => staticKey([aux.ctor, aux.data, aux.statics]),
  },
  'nnx-ts.Pytree',
);

interface VariableAux {
  readonly type: VariableType;
  readonly metadata: VariableMetadata;
}

registerNode<Variable>(
  isVariable,
  {
    flatten: (v) => ({
      children: [v.raw],
      keys: [{ kind: 'attr', name: 'value' }],
      aux: { type: v.constructor as VariableType, metadata: v.metadata },
    }),
    unflatten: (aux: VariableAux, [value]) => Variable.fromMetadata.call(aux.type, value, aux.metadata),
    auxKey: (aux: VariableAux) => staticKey([aux.type, aux.metadata]),
  },
  'nnx-ts.Variable',
);

registerNode<State>(
  isState,
  {
    flatten(s) {
      const keys = sortedKeysOf(s);
      return {
        children: keys.map((k) => s[k]),
        keys: keys.map((key) => ({ kind: 'key' as const, key })),
        aux: keys,
      };
    },
    unflatten(keys: Key[], children) {
      const s = new State();
      keys.forEach((k, i) => (s[keyOf(String(k))] = children[i]));
      return s;
    },
    auxKey: (keys: Key[]) => staticKey(keys),
  },
  'nnx-ts.State',
);
