/**
 * Imports a Node-only module (`node:fs`, the native `webgpu` package) through a computed specifier, so that browser
 * bundlers do not try to resolve or bundle it; it is only reached when running in Node.
 */
export async function importNodeOnly<T>(specifier: string): Promise<T> {
  return (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as T;
}
