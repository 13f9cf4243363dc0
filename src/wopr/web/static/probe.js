// What tests and benchmarks set and read: the URL's switches, read once here, and timings as performance measures.
const params = new URLSearchParams(location.search);
const number = (name) => (params.has(name) && Number(params.get(name)) >= 0 ? Number(params.get(name)) : null);

export const PACE = number('pace') ?? 1;  // 0: no beat before WOPR's mark and no typing (tests)
export const DEADLINE_MS = number('deadline') * 1000 || undefined;  // a download's whole time (tests)
export const SEED = number('seed') || null;  // the game's random choices made repeatable

// A duration the page or its worker measured, as a User Timing measure named `name` (read by benchmarks/).
export function measured(name, ms) {
  const end = performance.now();
  performance.measure(name, { start: Math.max(0, end - ms), end });
}
