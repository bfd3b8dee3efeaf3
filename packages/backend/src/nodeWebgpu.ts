import { BackendError } from './errors.js';
import { importNodeOnly } from './nodeImport.js';

/**
 * Where Debian's `chromium` package installs SwiftShader's Vulkan driver (a CPU implementation Dawn accepts);
 * `setBackend('webgpu')` in Node uses it when no Vulkan driver is configured.
 *
 * @example
 * ```ts
 * import { SWIFTSHADER_ICD } from '@nnx-ts/backend';
 * process.env.VK_ICD_FILENAMES ??= SWIFTSHADER_ICD;
 * ```
 * @public
 */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

const INSTALL_HINT =
  'In Node, WebGPU needs the optional peer dependency `webgpu` (npm i webgpu@0.6.2) and a Vulkan driver; without a GPU, ' +
  "install Debian's chromium and the Vulkan loader (apt-get install -y chromium libvulkan1) for SwiftShader at " +
  SWIFTSHADER_ICD +
  ' (or set VK_ICD_FILENAMES).';

interface WebgpuModule {
  create(options: string[]): unknown;
  globals: Record<string, unknown>;
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions === 'object' && typeof process.versions.node === 'string';
}

/**
 * In Node, installs `navigator.gpu` from the `webgpu` package (Dawn) before the TF.js WebGPU backend is loaded: that
 * backend registers itself at import time only if `navigator.gpu` exists. Points Vulkan at SwiftShader when no driver
 * is configured and chromium's copy is present. Browsers (native `navigator.gpu`) are left untouched.
 */
export async function provideNodeWebgpu(): Promise<void> {
  const scope = globalThis as { navigator?: { gpu?: unknown } };
  if (scope.navigator?.gpu !== undefined || !isNode()) return;
  if (process.env['VK_ICD_FILENAMES'] === undefined && process.env['VK_DRIVER_FILES'] === undefined) {
    const { existsSync } = await importNodeOnly<typeof import('node:fs')>('node:fs');
    if (existsSync(SWIFTSHADER_ICD)) process.env['VK_ICD_FILENAMES'] = SWIFTSHADER_ICD;
  }
  let webgpu: WebgpuModule;
  try {
    webgpu = await importNodeOnly<WebgpuModule>('webgpu');
  } catch (cause) {
    throw new BackendError('webgpu', `Cannot load the \`webgpu\` package. ${INSTALL_HINT}`, { cause });
  }
  Object.assign(globalThis, webgpu.globals);
  const gpu = webgpu.create([]);
  if (scope.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else {
    Object.defineProperty(scope.navigator, 'gpu', { value: gpu, configurable: true });
  }
}

/** Fails with a `BackendError` naming what is missing when no WebGPU adapter can be had. */
export async function requireAdapter(): Promise<void> {
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
  if (gpu === undefined) throw new BackendError('webgpu', `navigator.gpu is not available. ${INSTALL_HINT}`);
  const adapter = await gpu.requestAdapter();
  if (adapter === null || adapter === undefined) {
    throw new BackendError('webgpu', `navigator.gpu.requestAdapter() returned no adapter. ${INSTALL_HINT}`);
  }
}
