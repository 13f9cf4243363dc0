// The page's side of the engine: requests to worker.js (MicroPython + the runtime), each answered, and its errors in
// words a player understands, with the technical reason kept for "Technical reason".
const worker = new Worker(new URL('worker.js', import.meta.url), { type: 'module' });
const pending = new Map();
let lastId = 0;
let failed = null;  // set once the engine cannot start: (message) => void
let broken = false;  // the engine could not start or stopped: only a new one (a reload) can play

// The worker's reply: {id, text (the bridge's JSON), ms, boot?} or {id, ok: false, error, kind}.
function parse(data) {
  if (typeof data.text !== 'string') return data;
  try {
    return { ...JSON.parse(data.text), ms: data.ms, boot: data.boot };
  } catch {
    return { ok: false, error: 'the engine answered something that is not JSON', kind: 'Engine' };
  }
}

worker.onmessage = (event) => {
  const resolve = pending.get(event.data?.id);
  pending.delete(event.data?.id);
  const reply = parse(event.data);
  broken ||= reply.kind === 'Engine';
  resolve?.(reply);
};
worker.onerror = (event) => {
  event.preventDefault();  // shown on the page instead of the console
  const error = event.message || 'the engine stopped';
  for (const resolve of pending.values()) resolve({ ok: false, error, kind: 'Engine' });  // nobody waits forever
  pending.clear();
  broken = true;
  failed?.(error);
};

export function onFailure(callback) {
  failed = callback;
}

export const engineBroken = () => broken;

// One request (a bridge request, or a knowledge load); resolves with the reply ({ok, state, knowledge, error, kind}).
export function ask(message, transfer = []) {
  return new Promise((resolve) => {
    const id = ++lastId;
    pending.set(id, resolve);
    worker.postMessage({ id, ...message }, transfer);
  });
}

// Stops the downloads in progress; their loads answer {ok: false, kind: 'Cancelled'}.
export function cancelDownloads() {
  worker.postMessage({ cancel: true });
}

const WORDS = {
  KnowledgeError: 'This is not a knowledge file WOPR can use: it may be damaged, cut short or another kind of file.',
  Mismatch: 'The file downloaded is not the one the catalog lists (an old copy, or a damaged one), so WOPR did not use it.',
  Download: 'It could not be downloaded: the address may be wrong, the server down, or it does not let this page read it.',
  Timeout: 'The download took too long and was stopped.',
  TooLarge: 'The file is far too large to be a knowledge file.',
  Cancelled: 'Loading was cancelled.',
  Unreadable: 'It could not be read from your device.',
  IllegalMove: 'That move is not allowed.',
};

// {words, reason} of a failed reply: what happened for a player, and the engine's own message.
export function explain(reply) {
  const words = WORDS[reply.kind] || 'The engine met something it cannot handle.';
  const reason = typeof reply.error === 'string' ? reply.error.slice(0, 500) : '';
  return { words, reason };
}
