import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The vendor's example events, byte for byte as documented (the delivered and failed examples share one envelope id). */
export const FIXTURE_DIR = path.join(__dirname, '..', 'fixtures', 'events', 'vendor');

/** The example events the docs point to: the vendor's, but each with its own envelope id (test/fixtures/events/README.md). */
export const EXAMPLE_DIR = path.join(__dirname, '..', 'fixtures', 'events');

export interface FixtureEvent {
  readonly name: string;
  readonly raw: string;
  readonly json: Record<string, unknown>;
}

function eventsIn(dir: string): FixtureEvent[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const raw = readFileSync(path.join(dir, f), 'utf8');
      return { name: f.replace(/\.json$/, ''), raw, json: JSON.parse(raw) as Record<string, unknown> };
    });
}

function eventIn(dir: string, name: string): FixtureEvent {
  const found = eventsIn(dir).find((e) => e.name === name);
  if (!found) throw new Error(`no fixture ${name} in ${dir}`);
  return found;
}

/** The vendor's example events, as raw bytes exactly as the vendor documents them. */
export function vendorEvents(): FixtureEvent[] {
  return eventsIn(FIXTURE_DIR);
}

export function vendorEvent(name: string): { raw: string; json: Record<string, unknown> } {
  return eventIn(FIXTURE_DIR, name);
}

/** The examples the docs and the local stack use: posting all of them stores every one. */
export function exampleEvents(): FixtureEvent[] {
  return eventsIn(EXAMPLE_DIR);
}
