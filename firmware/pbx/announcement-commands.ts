import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import type { ConfigStore } from '../config/index.ts';
import { defineCommand, fail, type CommandRegistry } from '../api/index.ts';
import { importAudio } from '../media/index.ts';
import type { Announcements } from './announcements.ts';

/**
 * Uploading announcements (VOX-2, VOX-3): hold music, the general
 * pre-answer, the auto attendant's welcome, a phone's voicemail greeting.
 * The file is checked from its content (media/audio-import: WAV PCM/A-law/
 * µ-law at the usual rates, G.729), converted once to 8 kHz, stored
 * atomically in `<data>/audio/`, then the configuration points at it. A
 * refused file changes nothing: the previous announcement stays in place.
 *
 * The console reads a file on the box (`announcement import hold-music
 * /mnt/usb/music.wav`); the API (and the web, issue 10) sends the bytes in
 * base64 to the same command.
 */

export const ANNOUNCEMENT_KINDS = ['hold-music', 'pre-answer', 'attendant', 'greeting'] as const;
export type AnnouncementKind = (typeof ANNOUNCEMENT_KINDS)[number];

/** Longest accepted audio per kind (seconds), and the biggest upload (bytes). */
const MAX_SECONDS: Record<AnnouncementKind, number> = { 'hold-music': 600, 'pre-answer': 60, attendant: 120, greeting: 120 };
export const MAX_UPLOAD_BYTES = 16 * 1024 * 1024;
/** The JSON body of an upload through the REST API: the file in base64 and a few fields. */
export const UPLOAD_BODY_LIMIT = Math.ceil((MAX_UPLOAD_BYTES * 4) / 3) + 4096;

export interface AnnouncementDeps {
  config: ConfigStore;
  announcements: Announcements;
  /** G.729 frames to 8 kHz samples, when a decoder is available (docs/g729.md). */
  decodeG729?: (frames: Buffer) => Int16Array;
}

export interface AnnouncementImport {
  kind: AnnouncementKind;
  file: string;
  seconds: number;
  source: string;
}

/**
 * Checks an uploaded file by its content (VOX-3), stores it converted and
 * points the configuration at it: the one implementation behind the console,
 * the API and the user web's greeting upload. A refusal throws a PbxError
 * and leaves the previous announcement in place. A greeting names its phone.
 */
export function importAnnouncement(deps: AnnouncementDeps, kind: AnnouncementKind, bytes: Buffer, phoneMac?: string): AnnouncementImport {
  if (kind === 'greeting' && phoneMac === undefined) fail('E_BAD_ARGUMENTS', 'a greeting needs its phone');
  const r = importAudio(bytes, { maxBytes: MAX_UPLOAD_BYTES, maxSeconds: MAX_SECONDS[kind] });
  if (!r.ok) fail('E_MEDIA_FORMAT', r.message);
  let samples: Int16Array;
  if (r.kind === 'pcm') samples = r.samples;
  else if (deps.decodeG729) samples = deps.decodeG729(r.frames);
  else fail('E_MEDIA_FORMAT', 'G.729 announcements cannot be played on this build (no G.729 decoder): send a WAV file');
  const ref = kind === 'greeting' ? `greeting-${phoneMac!.replace(/:/g, '')}.wav` : `${kind}.wav`;
  deps.announcements.store(ref, samples);
  const u = deps.config.update((draft) => {
    switch (kind) {
      case 'hold-music':
        draft.announcements.holdMusic = ref;
        break;
      case 'pre-answer':
        draft.announcements.preAnswer.file = ref;
        break;
      case 'attendant':
        draft.autoAttendant.prompt = ref;
        break;
      case 'greeting': {
        const p = draft.phones.find((x) => x.mac === phoneMac);
        if (p) p.voicemail.greeting = ref;
        break;
      }
    }
  });
  if (!u.ok) throw u.error;
  return { kind, file: ref, seconds: Math.round((samples.length / 8000) * 10) / 10, source: r.source };
}

export function registerAnnouncementCommands(registry: CommandRegistry, deps: AnnouncementDeps): void {
  registry.register(
    defineCommand({
      name: 'announcement import',
      summary: 'replace an announcement with an audio file: announcement import hold-music|pre-answer|attendant|greeting <file> [internal number for a greeting]',
      positional: ['kind', 'file', 'number'],
      args: z.strictObject({
        kind: z.enum(ANNOUNCEMENT_KINDS),
        /** A path on the box (console). */
        file: z.string().min(1).max(4096).optional(),
        /** The file's bytes in base64 (API, web). */
        data: z.string().max(Math.ceil((MAX_UPLOAD_BYTES * 4) / 3) + 4).optional(),
        number: z.string().regex(/^\d{3}$/, 'an internal number').optional(),
      }),
      roles: ['technician', 'admin'],
      bodyLimit: UPLOAD_BODY_LIMIT,
      run: ({ kind, file, data, number }, ctx) => {
        // A path names a file on the box: only the technician at the console may; the web uploads bytes.
        if (file !== undefined && ctx.role !== 'technician') fail('E_FORBIDDEN', 'a file on the box is for the console; upload the file instead');
        const cfg = deps.config.get();
        const phone = kind === 'greeting' ? cfg.phones.find((p) => p.internalNumber === number) : undefined;
        if (kind === 'greeting' && !phone) fail('E_BAD_ARGUMENTS', number === undefined ? 'a greeting needs the internal number of its phone' : `no phone ${number}`);
        let bytes: Buffer;
        if (data !== undefined) bytes = Buffer.from(data, 'base64');
        else if (file !== undefined) {
          let size: number;
          try {
            size = statSync(file).size;
          } catch (err) {
            fail('E_NOT_FOUND', `cannot read ${file}: ${(err as Error).message}`);
          }
          if (size > MAX_UPLOAD_BYTES) fail('E_MEDIA_FORMAT', `the file is ${Math.round(size / 1048576)} MB; at most ${MAX_UPLOAD_BYTES / 1048576} MB`);
          bytes = readFileSync(file);
        } else fail('E_BAD_ARGUMENTS', 'give the file (console) or its bytes in base64 (data)');
        return importAnnouncement(deps, kind, bytes, phone?.mac);
      },
      format: (r) => `${r.kind} replaced: ${r.source}, ${r.seconds} s, stored as ${r.file}`,
    }),
  );
}
