import { ClientErrorCodes, SluiceError } from './errors.js';

/** The channel of a table: `table:{schema}.{table}`, a name with `.` or `"` in double quotes with quotes doubled. */
export function tableChannel(schema: string, table: string): string {
  if (!schema || !table) throw new SluiceError(ClientErrorCodes.InvalidArgument, 'schema and table names must not be empty');
  return `table:${quote(schema)}.${quote(table)}`;
}

function quote(identifier: string): string {
  return /[."]/.test(identifier) ? `"${identifier.replace(/"/g, '""')}"` : identifier;
}

/** Parses `table:{schema}.{table}` (quoted names allowed) into its names; throws `invalid_channel` when it is not one. */
export function parseTableChannel(channel: string): { schema: string; table: string } {
  const fail = (why: string) => new SluiceError('invalid_channel', `${why}: ${channel} (expected table:{schema}.{table})`, { channel });
  if (!channel.startsWith('table:')) throw fail('not a table channel');
  let position = 'table:'.length;
  const read = (): string => {
    let name = '';
    if (channel[position] === '"') {
      position++;
      for (;;) {
        if (position >= channel.length) throw fail('unterminated quoted name');
        const c = channel[position++];
        if (c === '"') {
          if (channel[position] === '"') {
            name += '"';
            position++;
            continue;
          }
          break;
        }
        name += c;
      }
    } else {
      while (position < channel.length && channel[position] !== '.' && channel[position] !== '"') name += channel[position++];
    }
    if (name.length === 0) throw fail('empty schema or table name');
    return name;
  };
  const schema = read();
  if (channel[position] !== '.') throw fail("missing '.' between schema and table");
  position++;
  const table = read();
  if (position !== channel.length) throw fail('unexpected characters after the table name');
  return { schema, table };
}

export const maxRoomNameLength = 200;
export const maxEventLength = 100;
export const maxPresenceKeyLength = 100;

/** The channel of a room, `room:<name>`; throws `invalid_argument` for a name that is not 1–200 of `A-Z a-z 0-9 _ - . : @`. */
export function roomChannel(name: string): string {
  if (!/^[A-Za-z0-9_\-.:@]{1,200}$/.test(name))
    throw new SluiceError(ClientErrorCodes.InvalidArgument, `a room name has 1 to ${maxRoomNameLength} characters from A-Z a-z 0-9 _ - . : @ (not '${name}')`);
  return `room:${name}`;
}
