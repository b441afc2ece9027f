/**
 * Call-progress tones the PBX plays itself (8 kHz linear PCM), for a caller
 * whose call cannot go through or for a feature code's confirmation. French
 * cadences (ETSI TR 101 041-2 / ITU-T E.180 Suppl. 2 for France): busy and
 * congestion are 440 Hz, 0.5 s on / 0.5 s off; the special information tone
 * (ITU-T E.180 §2.6: 950, 1400, 1800 Hz, 330 ms each) says "this number
 * cannot be reached as dialled". Ringback ("retour d'appel") is 440 Hz,
 * 1.5 s on / 3.5 s off: what a caller the PBX itself is connecting hears
 * (automatic callback, FWD-6).
 */
export type ToneName = 'busy' | 'special-information' | 'confirmation' | 'ringback';

const RATE = 8000;
const LEVEL = 0.3 * 32767; // about -10 dBm0: clearly audible, never clipping after G.711

function segment(out: number[], hz: number, ms: number): void {
  const n = Math.round((RATE * ms) / 1000);
  for (let i = 0; i < n; i++) out.push(hz === 0 ? 0 : Math.round(LEVEL * Math.sin((2 * Math.PI * hz * i) / RATE)));
}

/** About `seconds` of the tone, whole cadences only. */
export function toneSamples(name: ToneName, seconds = 3): Int16Array {
  const out: number[] = [];
  const total = RATE * seconds;
  while (out.length < total) {
    switch (name) {
      case 'busy':
        segment(out, 440, 500);
        segment(out, 0, 500);
        break;
      case 'special-information':
        segment(out, 950, 330);
        segment(out, 1400, 330);
        segment(out, 1800, 330);
        segment(out, 0, 1000);
        break;
      case 'ringback':
        segment(out, 440, 1500);
        segment(out, 0, 3500);
        break;
      case 'confirmation':
        // Three short beeps, then silence: "done".
        for (let i = 0; i < 3; i++) {
          segment(out, 880, 120);
          segment(out, 0, 80);
        }
        segment(out, 0, 1400);
        break;
    }
  }
  return Int16Array.from(out);
}

/**
 * The built-in music on hold (VOX-2, when no file is uploaded): a slow
 * arpeggio of soft sine notes with attack and release, about 8 s, meant to
 * loop. Low level (about -16 dBm0): waiting should not be loud.
 */
export function defaultHoldMusic(): Int16Array {
  // C major / A minor / F major / G major, one bar each: four notes of 500 ms.
  const bars = [
    [261.63, 329.63, 392.0, 523.25],
    [220.0, 261.63, 329.63, 440.0],
    [174.61, 220.0, 261.63, 349.23],
    [196.0, 246.94, 293.66, 392.0],
  ];
  const noteMs = 500;
  const n = Math.round((RATE * noteMs) / 1000);
  const level = 0.15 * 32767;
  const out = new Int16Array(bars.length * 4 * n);
  let at = 0;
  for (const bar of bars) {
    for (const hz of bar) {
      for (let i = 0; i < n; i++) {
        // 20 ms attack, exponential decay: a plucked, gentle note.
        const env = Math.min(1, i / 160) * Math.exp((-3 * i) / n);
        out[at + i] = Math.round(level * env * (Math.sin((2 * Math.PI * hz * i) / RATE) + 0.3 * Math.sin((4 * Math.PI * hz * i) / RATE)) / 1.3);
      }
      at += n;
    }
  }
  return out;
}
