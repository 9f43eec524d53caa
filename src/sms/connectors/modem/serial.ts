/** Opening a serial device the way every modem user here needs it. */
import type { SerialPort } from 'serialport';
import { AppError, ErrorCode } from '../../../shared/errors.js';

/**
 * Open `path` and resolve once it is open. hupcl off: ptys (socat, the
 * simulator) have no modem-control lines. With `exclusive` (the daemon and
 * modem-probe) the port is locked (flock, LOCK_EX|LOCK_NB, as serialport's
 * `lock` does on Linux): two programs talking AT on one port interleave
 * their commands and answers, so a second one is refused with
 * MODEM_PORT_IN_USE instead. The lock goes when the port is closed or the
 * process dies.
 */
export async function openSerialPort(path: string, baudRate = 115200, options: { exclusive?: boolean } = {}): Promise<SerialPort> {
  // Loaded with the first modem: a node without one does not carry serialport and its native binding.
  const { SerialPort } = await import('serialport');
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, hupcl: false, lock: options.exclusive === true, autoOpen: false });
    port.open((err) => {
      if (!err) return resolve(port);
      if (/cannot lock port|resource temporarily unavailable/i.test(err.message)) {
        reject(
          new AppError(
            ErrorCode.MODEM_PORT_IN_USE,
            `${path} is in use by another program (a running telenode holds its modems' ports): stop it, or use a port it does not hold`,
            {
              retryable: true,
              details: { port: path },
              cause: err,
            },
          ),
        );
        return;
      }
      reject(err);
    });
  });
}

export function closeSerialPort(port: SerialPort): Promise<void> {
  return new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
}
