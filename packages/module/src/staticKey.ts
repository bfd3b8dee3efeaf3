const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;

function objectId(x: object): number {
  let id = objectIds.get(x);
  if (id === undefined) {
    id = nextObjectId++;
    objectIds.set(x, id);
  }
  return id;
}

/**
 * A stable string for a static value: primitives by value, arrays and plain objects structurally, anything else
 * (functions, classes, class instances) by identity.
 */
export function staticKey(x: unknown): string {
  switch (typeof x) {
    case 'undefined':
      return 'u';
    case 'number':
      return Object.is(x, -0) ? 'd-0' : `d${x}`;
    case 'string':
      return JSON.stringify(x);
    case 'boolean':
      return x ? 'T' : 'F';
    case 'bigint':
      return `n${x}`;
    case 'symbol':
      return `s${String(x)}`;
    case 'function':
      return `#${(x as { name?: string }).name ?? ''}@${objectId(x)}`;
    default: {
      if (x === null || x === undefined) return 'N';
      if (Array.isArray(x)) return `[${x.map(staticKey).join(',')}]`;
      const proto = Object.getPrototypeOf(x);
      if (proto === Object.prototype || proto === null) {
        const keys = Object.keys(x).sort();
        return `{${keys.map((k) => `${JSON.stringify(k)}:${staticKey((x as Record<string, unknown>)[k])}`).join(',')}}`;
      }
      return `#${objectId(x)}`;
    }
  }
}

/** FNV-1a 32-bit hash of a string. */
export function stringHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
