// The page's side of the engine: requests to worker.js (MicroPython + the runtime), each answered, and its errors in
// words a player understands, with the technical reason kept for "Technical reason".
const worker = new Worker(new URL('worker.js', import.meta.url), { type: 'module' });

// The worker's reply: {text (the bridge's JSON), ms, boot?} or {ok: false, error, kind}.
function parse(data) {
  if (typeof data.text !== 'string') return data;
  try {
    return { ...JSON.parse(data.text), ms: data.ms, boot: data.boot };
  } catch {
    return { ok: false, error: 'the engine answered something that is not JSON', kind: 'Engine' };
  }
}

// The reply every request gets once the engine could not start or stopped: nobody waits forever.
const died = new Promise((resolve) => {
  worker.addEventListener('error', (event) => {
    event.preventDefault();  // shown on the page instead of the console
    resolve({ ok: false, error: event.message || 'the engine stopped', kind: 'Engine' });
  });
});

// Resolves with why, once the engine stopped: only a new one (a reload) can play.
export const stopped = died.then((reply) => reply.error);

// One request (a bridge request, or a knowledge load), answered on its own channel; resolves with the reply
// ({ok, state, knowledge, error, kind}).
export function ask(message, transfer = []) {
  const channel = new MessageChannel();
  const answered = new Promise((resolve) => {
    channel.port1.onmessage = (event) => resolve(parse(event.data));
  });
  worker.postMessage(message, [channel.port2, ...transfer]);
  return Promise.race([answered, died]).finally(() => channel.port1.close());
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
