/**
 * SIP dialog layer (RFC 3261 §12, with §9.1 CANCEL, §13.2.2.4 forking and
 * 2xx ACK, §15 BYE): dialog state, in-dialog request construction, the
 * dialogs of a forked INVITE, and a store matching messages to dialogs.
 * Pure: builds messages, the caller sends them through the transaction layer.
 */
export {
  Dialog,
  TARGET_REFRESH_METHODS,
  createUacDialog,
  createUasDialog,
  dialogKey,
  recordRouteHeaders,
  responseContactMustBeSips,
} from './dialog.ts';
export { createCancel } from './cancel.ts';
export { DialogStore } from './dialog-store.ts';
export { InviteClientDialogs } from './invite-client-dialogs.ts';
export type { InviteClientDialogsOptions, InviteResponseOutcome } from './invite-client-dialogs.ts';
export { defaultPort, readRecordRoute, requestUriOf, routeRequest, uriDestination } from './route-set.ts';
export type { Routing } from './route-set.ts';
export type {
  DialogCreation,
  DialogId,
  DialogOptions,
  DialogRole,
  DialogState,
  DialogTerminationReason,
  InDialogRequestInit,
  IncomingRequestVerdict,
  OutgoingDialogRequest,
  RouteEntry,
  ViaSentBy,
  ViaSpec,
} from './types.ts';
