/**
 * DeleteFile: Ozeki lists it without its parameters (ozeki-ozml.md §2). telenode's reading: the file to
 * delete is the `File` attribute or the element's text, a file of the recordings folder only — as the
 * script got it in `$RecordURL` (`recordings/<name>` or the public URL) or by its plain name. Anything that
 * is not a plain name there is refused (logged; the script goes on), so a script from an app cannot reach
 * past the folder. A file that is already gone is logged and the script goes on.
 */
import { unlink } from 'node:fs/promises';
import { CONTINUE, defineVerb } from '../script.js';
import { requireMain } from '../xml.js';
import { recordingFile } from '../recording.js';

export const deleteFile = defineVerb({
  name: 'DeleteFile',
  answers: false,
  parse: (el) => ({ file: requireMain(el, 'the file to delete', 'File') }),
  async run(args, ctx) {
    const { name, path } = recordingFile(ctx.services.recordings, ctx.vars.substitute(args.file));
    try {
      await unlink(path);
      ctx.log.info({ file: name }, 'recording deleted');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      ctx.log.warn({ file: name }, 'DeleteFile: no such recording');
    }
    return CONTINUE;
  },
});
