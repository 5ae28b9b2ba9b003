/** COMPRESS DEFLATE (RFC 4978): tagged OK uncompressed, then raw DEFLATE both ways. */
import { bad, defineCommand, no, ok } from '../command.js';
import { AUTH } from '../state.js';

export const compressCommand = defineCommand({
  names: ['COMPRESS'],
  states: AUTH,
  async run(ctx, cmd) {
    if (cmd.mechanism.toUpperCase() !== 'DEFLATE') return bad('Unknown compression mechanism');
    // RFC 4978 §3: only once per connection.
    if (ctx.compressed) return no('Compression is already active', 'COMPRESSIONACTIVE');
    return { ...ok('DEFLATE active'), after: () => ctx.startCompression() };
  },
});
