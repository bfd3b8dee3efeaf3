import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BackendError, setBackend } from '../src/index.js';

describe('setBackend errors', () => {
  it("rejects 'webgpu' with a BackendError naming what to install when no adapter exists", async () => {
    // A navigator.gpu that finds no adapter, as Dawn does on a machine with no Vulkan driver it accepts.
    Object.defineProperty(globalThis, 'navigator', {
      value: { gpu: { requestAdapter: async () => null } },
      configurable: true,
      writable: true,
    });
    const failure = setBackend('webgpu');
    await expect(failure).rejects.toBeInstanceOf(BackendError);
    await expect(setBackend('webgpu')).rejects.toThrow(
      /requestAdapter\(\) returned no adapter\. In Node, WebGPU needs the optional peer dependency `webgpu`.*apt-get install -y chromium/,
    );
    const error = await setBackend('webgpu').catch((e: unknown) => e);
    expect((error as BackendError).name).toBe('BackendError');
    expect((error as BackendError).backend).toBe('webgpu');
    expect(tf.findBackend('webgpu')).toBeNull();
  });
});
