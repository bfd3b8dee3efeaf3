import * as tf from '@tensorflow/tfjs-core';
import { TransformError } from './errors.js';

/**
 * Property under which a Variable records the {@link Trace} it may be written from (absent: the top level).
 * `Symbol.for`, so that every installed copy of this package agrees.
 */
export const VARIABLE_TRACE: unique symbol = Symbol.for('nnx-ts.variableTrace') as any;

/** Property under which a graph node records the trace it was created in (absent or undefined: the top level). */
export const NODE_TRACE: unique symbol = Symbol.for('nnx-ts.nodeTrace') as any;

/** Property under which a graph node records the in-place transform call it was passed to (it may change there). */
export const NODE_OWNER: unique symbol = Symbol.for('nnx-ts.nodeOwner') as any;

/**
 * A level of mutation rights, NNX's trace level without JAX: each transform call opens one. A Variable may only be
 * written from the trace it belongs to, so a transformed function that writes a Variable it did not receive
 * through its arguments (one captured by closure) gets a `TransformError` instead of silently escaping the
 * transform's state propagation. Transforms that run the function on the caller's own objects (jit, grad, ...)
 * open a trace with a `journal`: the first write to each Variable records its previous value, so the call can be
 * rolled back when the function throws.
 *
 * @example
 * ```ts
 * const trace = openTrace('myTransform', { journal: true });
 * try { fn(); } finally { closeTrace(trace); }
 * ```
 */
export class Trace {
  /** Variables created while this trace was current (by a constructor, `fromMetadata` or `merge`). */
  readonly created: Variable[] = [];
  /** First-write originals: Variable → the value it held when it was first written in this trace. */
  readonly journal: Map<Variable, unknown> | undefined;
  /** The next TF.js tensor id when the trace opened: tensors with a larger or equal id were created inside. */
  readonly firstTensorId: number;

  constructor(
    /** The transform that opened the trace (used in error messages). */
    readonly name: string,
    /** The trace that was current when this one opened (undefined: the top level). */
    readonly parent: Trace | undefined,
    options: { journal?: boolean },
  ) {
    this.journal = options.journal === true ? new Map() : undefined;
    this.firstTensorId = nextTensorId();
  }

  /** Whether `v` (a Variable) belongs to this trace: created in it, or handed to it as an argument. */
  owns(v: object): boolean {
    return (v as Variable)[VARIABLE_TRACE] === this;
  }

  /**
   * Whether the Variable or graph node `x` was created while this trace (or one opened inside it) was current.
   *
   * @example
   * ```ts
   * trace.encloses(new Param(1)); // true while `trace` is current
   * ```
   */
  encloses(x: object): boolean {
    const marked = x as { [VARIABLE_TRACE]?: Trace; [NODE_TRACE]?: Trace };
    for (let t = marked[VARIABLE_TRACE] ?? marked[NODE_TRACE]; t !== undefined; t = t.parent) if (t === this) return true;
    return false;
  }

  /**
   * Forgets the created Variables and the journal once the call has ended (objects created inside keep a reference
   * to their trace, which must not keep the whole call alive).
   *
   * @example
   * ```ts
   * closeTrace(trace); trace.release();
   * ```
   */
  release(): void {
    this.created.length = 0;
    this.journal?.clear();
  }

  /** Whether `x` is a tensor created while this trace was open. */
  createdTensor(x: unknown): x is tf.Tensor {
    return x instanceof tf.Tensor && x.id >= this.firstTensorId;
  }
}

/** The minimal Variable surface this file needs (variable.ts imports this file, not the reverse). */
interface Variable {
  raw: unknown;
  [VARIABLE_TRACE]?: Trace;
}

interface TraceState {
  current: Trace | undefined;
}

// Shared by every installed copy of the package, like the brands.
const TRACE_STATE = Symbol.for('nnx-ts.traceState');
const traceState: TraceState = ((globalThis as Record<symbol, unknown>)[TRACE_STATE] ??= { current: undefined }) as TraceState;

/**
 * The TF.js engine's next tensor id. `Engine.nextTensorId` is a static counter of tfjs-core's Engine class (pinned
 * by a test, so a TF.js upgrade that moves it fails loudly).
 */
function nextTensorId(): number {
  return (tf.engine().constructor as unknown as { nextTensorId: number }).nextTensorId;
}

/**
 * The current trace (undefined at the top level).
 *
 * @example
 * ```ts
 * currentTrace(); // undefined outside every transform
 * ```
 */
export function currentTrace(): Trace | undefined {
  return traceState.current;
}

/**
 * Opens a trace on top of the current one and makes it current. Close it with {@link closeTrace}.
 *
 * @example
 * ```ts
 * const trace = openTrace('jit', { journal: true });
 * ```
 */
export function openTrace(name: string, options: { journal?: boolean } = {}): Trace {
  const trace = new Trace(name, traceState.current, options);
  traceState.current = trace;
  return trace;
}

/**
 * Makes `trace`'s parent current again. Traces close in the reverse order they opened.
 *
 * @example
 * ```ts
 * closeTrace(trace);
 * ```
 */
export function closeTrace(trace: Trace): void {
  if (traceState.current !== trace) throw new TransformError(`Trace of ${trace.name} closed out of order.`);
  traceState.current = trace.parent;
}

/** Records a new Variable in the current trace (called by Variable's constructor and `fromMetadata`). */
export function registerCreated(v: Variable): void {
  const trace = traceState.current;
  // Always assigned (undefined at the top level) so that every Variable has the same object shape.
  v[VARIABLE_TRACE] = trace;
  trace?.created.push(v);
}

/**
 * Whether the Variable `v` may be written at the current level (see {@link Trace}).
 *
 * @example
 * ```ts
 * canWrite(model.kernel); // true outside every transform
 * ```
 */
export function canWrite(v: object): boolean {
  return (v as Variable)[VARIABLE_TRACE] === traceState.current;
}

/**
 * Checks that `v` may be written now; returns the current trace. The error explains the closure rule.
 *
 * @example
 * ```ts
 * const trace = checkWritable(variable);
 * ```
 */
export function checkWritable(v: Variable & { constructor: { name: string } }): Trace | undefined {
  const trace = traceState.current;
  const owner = v[VARIABLE_TRACE];
  if (owner !== trace) {
    const where = trace === undefined ? 'outside every transform' : `inside ${trace.name}`;
    const from = owner === undefined ? 'the top level' : `a ${owner.name} call`;
    throw new TransformError(
      `Cannot write a ${v.constructor.name} ${where}: it belongs to ${from}. A transformed function may only change ` +
        `state it receives through its arguments; pass the Module (or Variable) captured by closure as an argument.`,
    );
  }
  return trace;
}

/**
 * Whether a displaced value must be kept rather than disposed: in a journaling trace, the first value a Variable
 * held there is kept for rollback (it is recorded on first write).
 */
export function journalDisplaced(v: Variable, trace: Trace | undefined, prev: unknown): boolean {
  const journal = trace?.journal;
  if (journal === undefined) return false;
  if (!journal.has(v)) {
    journal.set(v, prev);
    return true;
  }
  return journal.get(v) === prev;
}
