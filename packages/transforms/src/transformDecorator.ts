/**
 * Any function a transform can wrap.
 *
 * @example
 * ```ts
 * const f: AnyFunction = (x: tf.Tensor) => tf.relu(x);
 * ```
 */
export type AnyFunction = (...args: any[]) => any;

/** The context object TC39 decorators receive (the subset transforms read). */
interface DecoratorContextLike {
  readonly kind: string;
  readonly name: string | symbol;
}

/** True when `value` is the context argument of a TC39 decorator call rather than a transform's options. */
export function isDecoratorContext(value: unknown): value is DecoratorContextLike {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as DecoratorContextLike).kind === 'string' &&
    typeof (value as { addInitializer?: unknown }).addInitializer === 'function'
  );
}

/**
 * Applies a transform to a class method: the method's receiver becomes the transformed function's first
 * argument (NNX: `self` counts as argument 0 for `argnums`, `inAxes`, `staticArgnums`, ...).
 */
export function transformMethod(method: AnyFunction, transform: (fn: AnyFunction) => AnyFunction): AnyFunction {
  const lifted = transform(function (self: unknown, ...args: unknown[]) {
    return method.apply(self, args);
  });
  return function (this: unknown, ...args: unknown[]) {
    return lifted(this, ...args);
  };
}

/**
 * The call forms an options-taking transform accepts (jit, vmap, scan): `t(fn, options?)`, `@t` on a method, and
 * `t(options?)` returning a wrapper/decorator. `apply` wraps one function (or method, given the decorator context).
 */
export function dispatchTransform<O extends object>(
  fnOrOptions: AnyFunction | O | undefined,
  maybeOptions: O | ClassMethodDecoratorContext | undefined,
  apply: (fn: AnyFunction, context: unknown, options: O) => AnyFunction,
): any {
  if (typeof fnOrOptions === 'function') {
    if (isDecoratorContext(maybeOptions)) return apply(fnOrOptions, maybeOptions, {} as O);
    return apply(fnOrOptions, undefined, (maybeOptions as O | undefined) ?? ({} as O));
  }
  const options = fnOrOptions ?? ({} as O);
  return (fn: AnyFunction, context?: unknown) => apply(fn, context, options);
}

/**
 * Applies `transform` either to a plain function, or, when called as a TC39 method decorator, to a method.
 */
export function applyTransform(fn: AnyFunction, context: unknown, transform: (fn: AnyFunction) => AnyFunction): AnyFunction {
  if (isDecoratorContext(context)) {
    if (context.kind !== 'method') {
      throw new TypeError(`transforms decorate methods only, not a ${context.kind} (${String(context.name)}); use a factory function`);
    }
    return transformMethod(fn, transform);
  }
  return transform(fn);
}
