/** Opening a serial device the way every modem user here needs it. */
import { SerialPort } from 'serialport';

/**
 * Open `path` and resolve once it is open. hupcl/lock off: ptys (socat, the
 * simulator) have no modem-control lines and several readers may probe a port.
 */
export function openSerialPort(path: string, baudRate = 115200): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, hupcl: false, lock: false, autoOpen: false });
    port.open((err) => (err ? reject(err) : resolve(port)));
  });
}

export function closeSerialPort(port: SerialPort): Promise<void> {
  return new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
}
