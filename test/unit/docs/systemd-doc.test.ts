/**
 * docs/operations.md's "run as a service" steps and systemd/telenode.service say the same thing (issue 22 item 7): the
 * user, the install folder, the config file and the one writable folder. A change to one without the other
 * would leave an operator with a unit that cannot start or cannot write its store.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const unit = readFileSync('systemd/telenode.service', 'utf8');
const page = readFileSync('docs/operations.md', 'utf8');
const setting = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(unit)?.[1]?.trim() ?? '';
const steps = /To run telenode as a service[\s\S]*?```sh\n([\s\S]*?)```/.exec(page)?.[1] ?? '';

describe('docs/operations.md service steps against systemd/telenode.service', () => {
  it('are there', () => {
    expect(steps).toContain('systemctl enable --now telenode');
  });

  it('create the user the unit runs as, in the folder it works in', () => {
    expect(steps).toContain(`useradd --system --home-dir ${setting('WorkingDirectory')} --shell /usr/sbin/nologin ${setting('User')}`);
    expect(steps).toContain(`git clone <this repository> ${setting('WorkingDirectory')}`);
    expect(setting('ExecStart')).toMatch(new RegExp(`^/usr/bin/node (--\\S+ )*${setting('WorkingDirectory')}/dist/cli/main.js start --config `));
  });

  it('put the config where the unit reads it, readable by its group', () => {
    const config = /--config (\S+)/.exec(setting('ExecStart'))![1]!;
    expect(steps).toContain(`cp config/telenode.example.yaml ${config}`);
    expect(steps).toContain(`chown root:${setting('Group')} ${config}`);
    expect(setting('ExecStartPre')).toContain(`check-config ${config}`);
  });

  it("hand the unit's one writable folder to its user; the store's default path lies inside it", () => {
    const writable = setting('ReadWritePaths');
    expect(steps).toContain(`chown -R ${setting('User')}:${setting('Group')} ${writable}`);
    expect(`${setting('WorkingDirectory')}/data`).toBe(writable);
    expect(setting('SupplementaryGroups')).toBe('dialout');
  });
});
