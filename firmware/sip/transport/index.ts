export { SipTransport, stampReceived, stripBrackets, type Endpoint, type TransportOptions, type TransportEvents, type TransportStats } from './transport.ts';
