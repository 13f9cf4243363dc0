// Flourishes: the boot line typed as on WOPR's terminal, and a short tone per mark (sound is off by default).

// The boot line (`line`, its box reserved in the CSS: nothing moves) typed as on WOPR's terminal: {type, end}.
export function bootLine(line) {
  let typed = Promise.resolve();  // lines are typed one after the other, each left on screen a moment
  let typing = null;  // the line being typed: {text, timer, done}
  let atOnceFromNow = false;  // the page stopped (end): no line is typed letter by letter any more

  // Types `text` after the line before it; at once when asked or when motion is reduced.
  function type(text, atOnce = false) {
    typed = typed.then(() => new Promise((resolve) => {
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
  function end() {
    atOnceFromNow = true;
    if (!typing) return;
    clearInterval(typing.timer);
    line.textContent = typing.text;
    typing.done();
    typing = null;
  }

  return { type, end };
}

// A tone for a mark, X higher than O: a function of the side, made once (its audio starts on the first mark).
export function tones() {
  let audio = null;
  return (side) => {
    audio ??= new AudioContext();  // made on a move, so after a gesture: browsers let it play
    const [tone, gain] = [audio.createOscillator(), audio.createGain()];
    tone.frequency.value = side === 'X' ? 660 : 440;
    gain.gain.setValueAtTime(0.06, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.15);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.15);
  };
}
