import { brand } from './brand.js';
import { StateError } from './errors.js';
import {
  BatchStat,
  Cache,
  Intermediate,
  Param,
  Perturbation,
  Variable,
  type VariableType,
} from './variable.js';

interface Registry {
  byName: Map<string, VariableType>;
  byType: Map<VariableType, string>;
}

const REGISTRY_KEY = Symbol.for('nnx-ts.variableTypeRegistry');

// One registry per process, shared by every installed copy of this package.
function registry(): Registry {
  const g = globalThis as Record<symbol, Registry | undefined>;
  let r = g[REGISTRY_KEY];
  if (r === undefined) {
    r = { byName: new Map(), byType: new Map() };
    g[REGISTRY_KEY] = r;
  }
  return r;
}

function preRegister(name: string, cls: VariableType): void {
  const r = registry();
  if (!r.byName.has(name)) r.byName.set(name, cls);
  r.byType.set(cls, name);
}
preRegister('params', Param);
preRegister('batch_stats', BatchStat);
preRegister('cache', Cache);
preRegister('intermediates', Intermediate);
preRegister('perturbations', Perturbation);

/**
 * Registers `cls` under the collection name `name` and brands it (`Symbol.for('nnx-ts.Variable.<name>')`) so that
 * `instanceof` works across installed copies.
 *
 * @example
 * ```ts
 * class LoRAParam<T = any> extends Param<T> {}
 * registerVariableName('lora', LoRAParam);
 * ```
 */
export function registerVariableName<V extends VariableType>(
  name: string,
  cls: V,
  options: { overwrite?: boolean } = {},
): V {
  const r = registry();
  const existing = r.byName.get(name);
  if (existing !== undefined && existing !== cls && !options.overwrite) {
    throw new StateError(`Variable type name '${name}' is already registered to ${existing.name}`);
  }
  if (!Object.hasOwn(cls, Symbol.for('nnx-ts.classBrand'))) brand(cls, `Variable.${name}`);
  r.byName.set(name, cls);
  r.byType.set(cls, name);
  return cls;
}

/**
 * The Variable type registered under `name`; with `allowRegister`, an unknown name creates and registers a new
 * subclass of `base` (what `sow('my_collection', ...)` does).
 *
 * @example
 * ```ts
 * variableTypeFromName('params'); // Param
 * ```
 */
export function variableTypeFromName(
  name: string,
  options: { base?: VariableType; allowRegister?: boolean } = {},
): VariableType {
  const found = registry().byName.get(name);
  if (found !== undefined) return found;
  if (!options.allowRegister) throw new StateError(`No Variable type registered under the name '${name}'`);
  const base = (options.base ?? Variable) as typeof Variable;
  const cls = { [name]: class extends base {} }[name] as VariableType;
  return registerVariableName(name, cls);
}

/**
 * The collection name of a Variable type; with `allowRegister`, an unregistered type is registered under its
 * class name.
 *
 * @example
 * ```ts
 * variableNameFromType(BatchStat); // 'batch_stats'
 * ```
 */
export function variableNameFromType(cls: VariableType, options: { allowRegister?: boolean } = {}): string {
  const found = registry().byType.get(cls);
  if (found !== undefined) return found;
  if (!options.allowRegister) throw new StateError(`Variable type ${cls.name} has no registered name`);
  registerVariableName(cls.name, cls);
  return cls.name;
}
