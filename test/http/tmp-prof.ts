import fc from 'fast-check';
const re = /^[A-Za-z0-9._-]{1,64}$/;
let t = performance.now();
for (let i = 0; i < 200; i++) fc.sample(fc.stringMatching(re), { seed: i, numRuns: 1 });
console.log('stringMatching sample', (performance.now() - t) / 200);
t = performance.now();
const arb = fc.record({ a: fc.integer(), b: fc.string(), c: fc.array(fc.record({x: fc.integer(), y: fc.constantFrom('a','b')})) });
for (let i = 0; i < 200; i++) fc.sample(arb, { seed: i, numRuns: 1 });
console.log('record sample', (performance.now() - t) / 200);
