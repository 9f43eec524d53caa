/**
 * MoveFile: Ozeki lists it without its parameters (ozeki-ozml.md §2). telenode's reading: `Source` (or `From`)
 * and `Destination` (or `To`), both files of the recordings folder (see DeleteFile for how they may be
 * written) — in practice, giving a recording a name the app chooses (`order-$OrderId.wav`). An existing
 * destination is never overwritten. `$FileURL` then names the moved file as `$RecordURL` names a recording.
 */
import { link, unlink } from 'node:fs/promises';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import { CONTINUE, defineVerb } from '../script.js';
import { OzmlError, attr } from '../xml.js';
import { recordingFile, recordingReference } from '../recording.js';

export const moveFile = defineVerb({
  name: 'MoveFile',
  answers: false,
  parse: (el) => {
    const source = attr(el, 'Source', 'From')?.trim();
    const destination = attr(el, 'Destination', 'To')?.trim();
    if (!source || !destination) throw new OzmlError(`<${el.name}> needs Source and Destination (files of the recordings folder)`, el.at);
    return { source, destination };
  },
  async run(args, ctx) {
    const store = ctx.services.recordings;
    const from = recordingFile(store, ctx.vars.substitute(args.source));
    const to = recordingFile(store, ctx.vars.substitute(args.destination));
    try {
      // link + unlink rather than rename: rename would silently replace a file already at the destination.
      await link(from.path, to.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new AppError(ErrorCode.REQUEST_INVALID, `MoveFile: '${to.name}' exists already; it is not overwritten`);
      if (code === 'ENOENT') throw new AppError(ErrorCode.RECORDING_NOT_FOUND, `MoveFile: no recording '${from.name}'`);
      throw err;
    }
    await unlink(from.path);
    ctx.vars.set('FileURL', recordingReference(store, to.name));
    ctx.log.info({ from: from.name, to: to.name }, 'recording moved');
    return CONTINUE;
  },
});
