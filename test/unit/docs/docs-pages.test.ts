/**
 * README is the front door and docs/ holds the rest (issue 22 item 12). These checks keep the split usable: a
 * link that points nowhere, a page nobody links to or a decision missing from the index is an operator
 * following the docs into a dead end.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? markdownFiles(path) : path.endsWith('.md') ? [path] : [];
  });
}

const PAGES = ['README.md', 'CHANGELOG.md', ...markdownFiles('docs')];

/** Text outside fenced code blocks: a `[x](y)` inside a shell example is not a link. */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
  const headings = [...prose(readFileSync(file, 'utf8')).matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!.trim()));
  return new Set(headings);
}

function links(file: string): string[] {
  return [...prose(readFileSync(file, 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

describe('README and docs/', () => {
  it('every relative link reaches a file, and every #anchor a heading in it', () => {
    const broken: string[] = [];
    for (const file of PAGES) {
      for (const link of links(file)) {
        if (/^(https?|mailto):/.test(link)) continue;
        const [path, anchor] = link.split('#') as [string, string | undefined];
        const target = path === '' ? file : join(dirname(file), path);
        if (!existsSync(target)) broken.push(`${file}: ${link} (no ${target})`);
        else if (anchor && target.endsWith('.md') && !anchors(target).has(anchor)) broken.push(`${file}: ${link} (no heading #${anchor})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('README links every page of docs/, so none is out of reach', () => {
    const readme = links('README.md');
    const pages = readdirSync('docs').filter((name) => name.endsWith('.md'));
    expect(pages.length).toBeGreaterThan(15);
    expect(pages.filter((page) => !readme.includes(`docs/${page}`))).toEqual([]);
  });

  it('docs/decisions/README.md lists every decision with its own title', () => {
    const index = readFileSync('docs/decisions/README.md', 'utf8');
    const listed = new Map([...index.matchAll(/\[([^\]]+)\]\((\d{4}-[^)]+\.md)\)/g)].map((m) => [m[2]!, m[1]!]));
    const notes = readdirSync('docs/decisions').filter((name) => /^\d{4}-.*\.md$/.test(name));
    const titles = new Map(notes.map((name) => [name, /^# \d+\. (.+)$/m.exec(readFileSync(join('docs/decisions', name), 'utf8'))?.[1]]));
    expect(notes.length).toBeGreaterThan(20);
    expect([...listed.keys()].sort()).toEqual(notes.sort());
    for (const [name, title] of titles) expect(listed.get(name), relative('.', name)).toBe(title);
  });

  it('README stays a front door', () => {
    // 885 lines when issue 22 asked for the split; the details live in docs/.
    expect(readFileSync('README.md', 'utf8').split('\n').length).toBeLessThan(200);
  });
});

describe('docs/configuration.md', () => {
  it('names every top-level key of the config', () => {
    const page = readFileSync('docs/configuration.md', 'utf8');
    const named = new Set([...page.matchAll(/^\| `([a-zA-Z]+)` \|/gm)].map((m) => m[1]!));
    expect(Object.keys(parseConfig({})).filter((key) => !named.has(key))).toEqual([]);
  });
});
