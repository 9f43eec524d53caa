/**
 * IOVOX writes its times (receipt_timestamp, alert e-mails) as UK local time
 * without a zone: "2020-05-06 18:37:37" is GMT in winter and BST in summer.
 */

// Made on first use: building a formatter with a time zone maps ~5 MiB of ICU's zone and locale data into the
// process (resident from then on), which a node whose users never speak IOVOX need not carry (issue 18).
let london: Intl.DateTimeFormat | null = null;

const londonFormat = (): Intl.DateTimeFormat =>
  (london ??= new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }));

/** "2020-05-06 18:37:37": Europe/London local time (GMT in winter, BST in summer). */
export function londonTimestamp(ms: number): string {
  const parts = Object.fromEntries(
    londonFormat()
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  return `${parts['year']}-${parts['month']}-${parts['day']} ${parts['hour']}:${parts['minute']}:${parts['second']}`;
}
