import type { Clock, TimerHandle } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { LegId, RelayCall } from '../../media/types.ts';
import { WavPlayer } from '../../media/player.ts';
import { WavRecorder } from '../../media/recorder.ts';
import type { Clip, VoiceAction, VoiceEvent } from './menus.ts';

const CLIP_GAP = new Int16Array(2000);

/** The clips one after the other, 250 ms apart: a prompt, a number and a message are separate phrases. */
export function renderClips(source: ClipSource, clips: readonly Clip[]): Int16Array {
  const parts = clips.flatMap((c, i) => (i === 0 ? [source.samples(c)] : [CLIP_GAP, source.samples(c)]));
  const all = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

/** Turns clips into audio (prompts, greetings, stored messages, numbers, the beep). */
export interface ClipSource {
  /** 8 kHz samples; an empty array for a clip that cannot be had (logged by the source). */
  samples(clip: Clip): Int16Array;
}

export interface VoiceSessionDeps {
  clock: Clock;
  log: Logger;
  relay: RelayCall;
  /** The relay leg the caller is on. */
  leg: LegId;
  clips: ClipSource;
  /** The dialogue: one event in, actions out (a closure over a menus.ts machine). */
  step(event: VoiceEvent): VoiceAction[];
  /** A finished recording to keep. */
  onRecording?(samples: Int16Array): void;
  onDelete?(id: string): void;
  onMarkSaved?(id: string): void;
  /** The dialogue is over: the call ends (BYE from us). */
  onHangup(): void;
}

/**
 * Runs a voice dialogue (voicemail deposit or retrieval) on one leg of a
 * relayed call: plays clips, records, reads digits (RFC 4733 or in band) and owns the one
 * digit timer and the recording timer. Everything it holds is released by
 * close(), which a hang-up calls.
 */
export class VoiceSession {
  private recorder?: WavRecorder;
  private digitTimer?: TimerHandle;
  private recordTimer?: TimerHandle;
  private offDtmf?: () => void;
  private playing = 0;
  private closed = false;

  constructor(private readonly deps: VoiceSessionDeps) {}

  start(): void {
    this.offDtmf = this.deps.relay.onDtmfReceived((leg, digit) => {
      if (leg === this.deps.leg) this.dispatch({ kind: 'digit', digit });
    });
    this.dispatch({ kind: 'start' });
  }

  /** The caller hung up: a recording in progress is handed over if the dialogue keeps it. */
  callerHungUp(): void {
    if (this.closed) return;
    const recordedMs = this.recorder ? this.recorder.durationMs : 0;
    this.dispatch({ kind: 'hangup', recordedMs });
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.offDtmf?.();
    this.digitTimer?.cancel();
    this.recordTimer?.cancel();
    this.playing++;
    this.deps.relay.detachPlayer(this.deps.leg);
    if (this.recorder) this.deps.relay.detachRecorder(this.deps.leg);
    this.recorder = undefined;
  }

  private dispatch(event: VoiceEvent): void {
    let actions: VoiceAction[];
    try {
      actions = this.deps.step(event);
    } catch (err) {
      this.deps.log.error({ err: (err as Error).message, event: event.kind }, 'voice dialogue failed: hanging up');
      actions = [{ kind: 'hangup' }];
    }
    for (const a of actions) this.perform(a);
  }

  private perform(a: VoiceAction): void {
    switch (a.kind) {
      case 'play': {
        const all = renderClips(this.deps.clips, a.clips);
        const token = ++this.playing;
        if (this.closed) return;
        // A new playback replaces the current one; only the latest one's end is an event.
        this.deps.relay.attachPlayer(this.deps.leg, new WavPlayer(all), () => {
          if (token === this.playing && !this.closed) this.dispatch({ kind: 'played' });
        });
        return;
      }
      case 'record':
        if (this.closed) return;
        this.recorder = new WavRecorder({ maxDurationMs: a.maxMs });
        this.deps.relay.attachRecorder(this.deps.leg, this.recorder);
        // The recorder counts media-clock frames; the wall timer says "full" at the same moment.
        this.recordTimer = this.deps.clock.setTimeout(() => {
          this.recordTimer = undefined;
          this.dispatch({ kind: 'record-full' });
        }, a.maxMs);
        return;
      case 'stop-recording': {
        const rec = this.recorder;
        this.recorder = undefined;
        this.recordTimer?.cancel();
        this.recordTimer = undefined;
        if (!rec) return;
        this.deps.relay.detachRecorder(this.deps.leg);
        if (a.keep) this.deps.onRecording?.(rec.samples());
        return;
      }
      case 'timer':
        this.digitTimer?.cancel();
        if (this.closed) return;
        this.digitTimer = this.deps.clock.setTimeout(() => {
          this.digitTimer = undefined;
          this.dispatch({ kind: 'timeout' });
        }, a.ms);
        return;
      case 'delete':
        this.deps.onDelete?.(a.id);
        return;
      case 'mark-saved':
        this.deps.onMarkSaved?.(a.id);
        return;
      case 'hangup':
        this.close();
        this.deps.onHangup();
        return;
    }
  }
}
