import { defineCommand, noArgs, type CommandRegistry } from '../api/index.ts';
import type { GestureRecord, IndicatorService, LedReport } from './indicator-service.ts';

const SHOWN: Record<LedReport['pattern'], string> = { on: 'on', off: 'off', slow: 'slow blink', fast: 'fast blink' };

export interface LedsResult {
  leds: LedReport[];
  lastGesture?: GestureRecord;
}

function when(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * `leds`: each LED with its pattern and the reason the policy chose it (the
 * foundation's `led` shows only on/off at this instant), and the last button
 * gesture. Technician console and admin API (GW-3, GW-5).
 */
export function registerIndicatorCommands(registry: CommandRegistry, service: Pick<IndicatorService, 'report' | 'lastGesture'>): void {
  registry.register(
    defineCommand({
      name: 'leds',
      readOnly: true,
      summary: 'show each LED with its pattern (on, off, slow or fast blink) and why, and the last button gesture',
      args: noArgs,
      roles: ['technician', 'admin'],
      run: (): LedsResult => {
        const last = service.lastGesture;
        return { leds: service.report(), ...(last !== undefined ? { lastGesture: { ...last } } : {}) };
      },
      format: (r) =>
        [
          ...r.leds.map((l) => `${l.role}: ${SHOWN[l.pattern]} (${l.reason})`),
          r.lastGesture ? `last button gesture: ${r.lastGesture.gesture} (${r.lastGesture.role} button) at ${when(r.lastGesture.at)}` : 'last button gesture: none',
        ].join('\n'),
    }),
  );
}
