import busboy from 'busboy';
import type { Request } from 'express';
import { PortalInputError } from './actions';
import { MAX_UPLOAD_BYTES } from './pages/add';

/** A multipart form with one file: its fields and the file's bytes, bounded in size and count. */
export function readUpload(req: Request): Promise<{ fields: Record<string, string>; file?: Buffer }> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1, fileSize: MAX_UPLOAD_BYTES, fields: 10, fieldSize: 4096, parts: 12 } });
    } catch {
      reject(new PortalInputError('Le formulaire envoyé n’est pas lisible.'));
      return;
    }
    const fields: Record<string, string> = {};
    let file: Buffer | undefined;
    let tooBig = false;
    bb.on('field', (name, value) => {
      fields[name] = value;
    });
    bb.on('file', (_name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => {
        tooBig = true;
      });
      stream.on('end', () => {
        file = Buffer.concat(chunks);
      });
    });
    bb.on('error', () => reject(new PortalInputError('Le formulaire envoyé n’est pas lisible.')));
    bb.on('close', () => (tooBig ? reject(new PortalInputError('Le fichier dépasse 10 Mo.')) : resolve({ fields, file })));
    req.pipe(bb);
  });
}
