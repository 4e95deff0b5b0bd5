/**
 * Offsets are opaque to applications; the client compares them only to drop a frame it has already taken in (which
 * cannot happen with a correct server, but a replayed frame must never be applied twice).
 *
 * Table offsets are `{epoch}-{lsn}-{index}` with fixed-width hex parts: offsets of one epoch sort as strings.
 * Room offsets are `r{epoch}-{sequence}`: same epoch, compare the sequence as a number (hex, any width).
 */

/** Whether table offset `offset` is at or before `last` in the same epoch (offsets of other epochs never are). */
export function tableOffsetNotAfter(offset: string, last: string): boolean {
  const dash = last.indexOf('-');
  if (dash <= 0 || offset.length <= dash || offset.slice(0, dash + 1) !== last.slice(0, dash + 1)) return false;
  return offset <= last;
}

/** Whether room offset `offset` is at or before `last` in the same epoch (offsets of other epochs never are). */
export function roomOffsetNotAfter(offset: string, last: string): boolean {
  const a = offset.lastIndexOf('-');
  const b = last.lastIndexOf('-');
  if (a <= 0 || a !== b || offset.slice(0, a) !== last.slice(0, b)) return false;
  const x = offset.slice(a + 1).replace(/^0+/, '');
  const y = last.slice(b + 1).replace(/^0+/, '');
  if (x.length !== y.length) return x.length < y.length;
  return x <= y;
}
