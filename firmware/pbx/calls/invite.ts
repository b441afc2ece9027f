import { createRequest, newBranch, newCallId, newTag, type SipRequest } from '../../sip/message/index.ts';
import type { Destination } from '../../sip/transaction/index.ts';
import type { Binding } from '../registrar/bindings.ts';

/** What the B2BUA's requests say about methods (Allow). */
export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, REFER, NOTIFY';

/**
 * An INVITE from the PBX to one registered contact of a phone, presenting
 * `caller`, sent where the phone registered from (its flow). Used by the
 * B2BUA's forks, transfers and the callback dialer.
 */
export function inviteToContact(
  ports: { advertise: { host: string; port: number }; contact(transport: string): string },
  binding: Binding,
  caller: { number: string; display: string },
  to: string,
  body: Buffer,
): { invite: SipRequest; destination: Destination } {
  const adv = ports.advertise;
  const destination: Destination = { ...binding.source };
  const transport = destination.transport.toUpperCase();
  const invite = createRequest({
    method: 'INVITE',
    uri: binding.contact,
    headers: [
      ['Via', `SIP/2.0/${transport} ${adv.host}:${adv.port};branch=${newBranch()};rport`],
      ['Max-Forwards', '70'],
      ['From', `"${caller.display.replace(/["\\]/g, '')}" <sip:${caller.number}@${adv.host}>;tag=${newTag()}`],
      ['To', `<sip:${to}@${adv.host}>`],
      ['Call-ID', newCallId()],
      ['CSeq', '1 INVITE'],
      ['Contact', ports.contact(transport)],
      ['Allow', ALLOW],
      ['User-Agent', 'pbxgate'],
      ['Content-Type', 'application/sdp'],
    ],
    body,
  });
  return { invite, destination };
}
