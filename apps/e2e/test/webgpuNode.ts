// WebGPU in Node: Dawn's bindings (the `webgpu` package) provide `navigator.gpu`. Imported for its side effect
// before anything evaluates @tensorflow/tfjs-backend-webgpu, which registers itself only if `navigator.gpu` exists.
// Without a GPU, Dawn runs on SwiftShader's Vulkan driver from Debian's chromium package (scripts/setup.sh).
import { existsSync } from 'node:fs';
import { create, globals } from 'webgpu';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

// The Vulkan loader reads VK_ICD_FILENAMES when Dawn creates its instance, so setting it here is early enough.
if (process.env['VK_ICD_FILENAMES'] === undefined && existsSync(SWIFTSHADER_ICD)) {
  process.env['VK_ICD_FILENAMES'] = SWIFTSHADER_ICD;
}

// Node 20 has no `navigator`; newer Node has one without `gpu`.
const nodeGlobal = globalThis as { navigator?: { gpu?: GPU } };
if (nodeGlobal.navigator?.gpu === undefined) {
  Object.assign(globalThis, globals);
  const gpu = create([]);
  if (nodeGlobal.navigator === undefined) nodeGlobal.navigator = { gpu };
  else Object.defineProperty(nodeGlobal.navigator, 'gpu', { value: gpu, configurable: true });
}

/**
 * Fails loudly (never skips) when no WebGPU adapter is available, saying what to install.
 */
export async function requireWebGpuAdapter(): Promise<GPUAdapter> {
  const adapter = await (globalThis as { navigator: { gpu: GPU } }).navigator.gpu.requestAdapter();
  if (adapter === null) {
    throw new Error(
      'No WebGPU adapter: Dawn found no Vulkan driver. Run `bash scripts/setup.sh` (installs Debian chromium, whose ' +
        `SwiftShader driver ${SWIFTSHADER_ICD} runs WebGPU on the CPU, and libvulkan1) or set VK_ICD_FILENAMES.`,
    );
  }
  return adapter;
}
