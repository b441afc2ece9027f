/**
 * Message-waiting indication (RFC 3842): the `application/simple-message-summary`
 * body a phone needs to light its message lamp and show the counts.
 * "Voice-Message: new/old (urgent new/urgent old)" (RFC 3842 §5.2).
 */
export function messageSummary(account: string, counts: { fresh: number; saved: number }): string {
  return [`Messages-Waiting: ${counts.fresh > 0 ? 'yes' : 'no'}`, `Message-Account: ${account}`, `Voice-Message: ${counts.fresh}/${counts.saved} (0/0)`, ''].join('\r\n');
}
