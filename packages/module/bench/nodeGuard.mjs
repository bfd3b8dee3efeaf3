// What the closure guard costs a Module: attribute reads and writes through the guarded object users hold versus
// the unguarded object behind it, side by side in one process (10 Linear-like modules, 3 reads each per pass).
// Run after building: pnpm --filter @nnx-ts/module bench
import { Module, Param } from '../dist/index.js';
import { rawNode } from '../dist/nodeGuard.js';

class Linear extends Module {
  constructor() {
    super();
    this.kernel = new Param(1);
    this.bias = new Param(2);
    this.features = 3;
  }
}
const guarded = Array.from({ length: 10 }, () => new Linear());
const raw = guarded.map((m) => rawNode(m));

const read = (layers) => () => {
  let s = 0;
  for (const l of layers) s += l.kernel.raw + l.bias.raw + l.features;
  return s;
};
const write = (layers) => () => {
  for (const l of layers) l.features = 3;
};

// ns per operation: median of 15 batches, after warm-up.
function nsPer(fn, opsPerCall, calls = 150_000) {
  for (let i = 0; i < calls / 10; i++) fn();
  const batch = calls / 15;
  const times = [];
  for (let r = 0; r < 15; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    times.push(Number(process.hrtime.bigint() - t0) / batch / opsPerCall);
  }
  return times.sort((a, b) => a - b)[7];
}

const results = {};
for (const [name, make, ops] of [
  ['read', read, 30],
  ['write', write, 10],
]) {
  results[name] = { guarded: nsPer(make(guarded), ops), raw: nsPer(make(raw), ops) };
}
for (const [name, { guarded: g, raw: r }] of Object.entries(results)) {
  console.log(`closure guard, attribute ${name}: ${g.toFixed(1)} ns guarded vs ${r.toFixed(1)} ns unguarded (+${(g - r).toFixed(1)} ns)`);
}
