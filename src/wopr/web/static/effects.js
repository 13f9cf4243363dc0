// Flourishes: the boot line typed as on WOPR's terminal, and a short tone per mark (sound is off by default).
let audio = null;
let typed = Promise.resolve();  // lines are typed one after the other, each left on screen a moment
let typing = null;  // the line being typed: {text, timer, done}
let atOnceFromNow = false;  // the page stopped (endBoot): no line is typed letter by letter any more

// Types `text` into the boot line after the line before it (its box is reserved in the CSS: nothing moves); at once
// when motion is reduced.
export function typeBoot(text, atOnce = false) {
  typed = typed.then(() => new Promise((resolve) => {
    const line = document.getElementById('boot');
    if (atOnce || atOnceFromNow || matchMedia('(prefers-reduced-motion: reduce)').matches) {
      line.textContent = text;
      resolve();
      return;
    }
    let shown = 0;
    const timer = setInterval(() => {
      line.textContent = text.slice(0, ++shown);
      if (shown < text.length) return;
      clearInterval(timer);
      typing = null;
      setTimeout(resolve, 700);
    }, 45);
    typing = { text, timer, done: resolve };
  }));
}

// Shows the line being typed whole, at once, and any later line too: a page that stopped (its engine failed) is
// never left with a greeting cut mid-word.
export function endBoot() {
  atOnceFromNow = true;
  if (!typing) return;
  clearInterval(typing.timer);
  document.getElementById('boot').textContent = typing.text;
  typing.done();
  typing = null;
}

// A tone for a mark, X higher than O, when `on`.
export function blip(side, on) {
  if (!on) return;
  audio ??= new AudioContext();  // made on a move, so after a gesture: browsers let it play
  const [tone, gain] = [audio.createOscillator(), audio.createGain()];
  tone.frequency.value = side === 'X' ? 660 : 440;
  gain.gain.setValueAtTime(0.06, audio.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.15);
  tone.connect(gain).connect(audio.destination);
  tone.start();
  tone.stop(audio.currentTime + 0.15);
}
