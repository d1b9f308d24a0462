import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export const FIXTURE_DIR = path.join(__dirname, '..', 'fixtures', 'events');

/** The vendor's example events, as raw bytes exactly as the vendor documents them. */
export function vendorEvents(): { name: string; raw: string; json: Record<string, unknown> }[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const raw = readFileSync(path.join(FIXTURE_DIR, f), 'utf8');
      return { name: f.replace(/\.json$/, ''), raw, json: JSON.parse(raw) as Record<string, unknown> };
    });
}

export function vendorEvent(name: string): { raw: string; json: Record<string, unknown> } {
  const found = vendorEvents().find((e) => e.name === name);
  if (!found) throw new Error(`no fixture ${name}`);
  return found;
}
