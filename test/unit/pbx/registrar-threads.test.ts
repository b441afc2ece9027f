import test from 'ava';
import { isRegister, registrarThreadCount } from '../../../firmware/pbx/registrar/threads.ts';
import { readRegister } from '../../../firmware/pbx/registrar/registrar.ts';
import { parseRequest as request } from '../../fixtures/sip/dialog-messages.ts';

test('registrar threads: auto is one when there is more than one core; a number is taken as is (issue 3)', (t) => {
  t.is(registrarThreadCount('auto', 1), 0);
  t.is(registrarThreadCount('auto', 2), 1);
  t.is(registrarThreadCount('auto', 4), 1);
  t.is(registrarThreadCount('auto', 16), 1);
  t.is(registrarThreadCount(0, 8), 0);
  t.is(registrarThreadCount(2, 1), 2);
});

test('isRegister: a request line starting "REGISTER " and nothing else', (t) => {
  t.true(isRegister(Buffer.from('REGISTER sip:pbx SIP/2.0\r\n')));
  t.false(isRegister(Buffer.from('REGISTERX sip:pbx SIP/2.0\r\n')));
  t.false(isRegister(Buffer.from('INVITE sip:601@pbx SIP/2.0\r\n')));
  t.false(isRegister(Buffer.from('SIP/2.0 200 OK\r\n')));
  t.false(isRegister(Buffer.from('REG')));
  t.false(isRegister(Buffer.alloc(0)));
});

const HEAD = ['REGISTER sip:pbx.local SIP/2.0', 'Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1', 'Max-Forwards: 70', 'From: <sip:601@pbx.local>;tag=a', 'To: <sip:601@pbx.local>', 'Call-ID: c1', 'CSeq: 7 REGISTER'];

test('readRegister: the plain data a thread sends the main thread (AOR, Call-ID, CSeq, contacts with expires and q, Expires, User-Agent)', (t) => {
  const r = readRegister(request([...HEAD, 'Contact: <sip:601@10.0.0.5:5060>;expires=120;q=0.5, <sip:601@10.0.0.6>', 'Expires: 300', 'User-Agent: Aastra 6867i']));
  t.deepEqual(r, {
    aorUser: '601',
    callId: 'c1',
    cseq: 7,
    contacts: [{ uri: 'sip:601@10.0.0.5:5060', expires: 120, q: '0.5' }, { uri: 'sip:601@10.0.0.6' }],
    expiresHeader: 300,
    userAgent: 'Aastra 6867i',
  });
  // Structured clone keeps it whole (it crosses threads).
  t.deepEqual(structuredClone(r), r);
  t.deepEqual(readRegister(request([...HEAD, 'Contact: *', 'Expires: 0'])).contacts, '*');
  t.deepEqual(readRegister(request([...HEAD])).contacts, [], 'no Contact: a query');
});
