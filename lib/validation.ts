/**
 * Props validation that reports every problem at once: each construct collects what is wrong
 * with its props (the value, and what is allowed) and throws one error listing them, before it
 * creates anything. The pipeline gathers its parts' problems the same way, so one synth shows
 * every mistake in a configuration instead of the first.
 */

/** One thing wrong with a value. */
export interface Problem {
  /** The construct whose rule it breaks (`WebhookIngest`, `MessageStore`...). */
  readonly owner: string;
  /** The prop, as its user knows it: `maxBodyBytes`, `subscribers[1].name`. */
  readonly key: string;
  /** The rest of the sentence after the key: what is allowed, and the value given. */
  readonly message: string;
}

/** One line per problem: `Owner: key message`. */
export function describeProblem(problem: Problem): string {
  return `${problem.owner}: ${problem.key} ${problem.message}`;
}

/** A value as it appears in a message: short, and quoted when it is a string. */
export function shown(value: unknown): string {
  const text = typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Thrown by a construct whose props break its rules: every problem, one per line. */
export class InvalidPropsError extends Error {
  constructor(public readonly problems: readonly Problem[]) {
    super(problems.map(describeProblem).join('\n'));
    this.name = 'InvalidPropsError';
  }
}

/** Throws one error listing every problem, if there is any. */
export function throwIfAny(problems: readonly Problem[]): void {
  if (problems.length > 0) throw new InvalidPropsError(problems);
}

/** Collects the problems of one construct's props. */
export class Problems {
  private readonly found: Problem[] = [];

  constructor(private readonly owner: string) {}

  /** Records a problem with `key`. */
  add(key: string, message: string): void {
    this.found.push({ owner: this.owner, key, message });
  }

  /** Runs a parser that throws on a bad value (keys, schemes) and records its message under `key`. */
  attempt(key: string, parse: () => unknown): void {
    try {
      parse();
    } catch (err: unknown) {
      const text = err instanceof Error ? err.message : String(err);
      // Parsers name what they parse themselves ("voltPublicKeys[0]: ..."): say it once.
      const message = text.startsWith(`${key}: `)
        ? `cannot be used: ${text.slice(key.length + 2)}`
        : text.startsWith(`${key} `)
          ? text.slice(key.length + 1)
          : text;
      this.add(key, message);
    }
  }

  /**
   * Problems found by a part's own rules, under the names this construct's user knows the keys by
   * (`publicKeyUrl` of the ingest is the pipeline's `voltPublicKeyUrl`). The part stays the owner.
   */
  include(problems: readonly Problem[], rename: Readonly<Record<string, string>> = {}): void {
    for (const problem of problems) {
      const head = /^[^.[]+/.exec(problem.key)?.[0] ?? problem.key;
      const renamed = rename[head];
      this.found.push(renamed ? { ...problem, key: renamed + problem.key.slice(head.length) } : problem);
    }
  }

  get all(): readonly Problem[] {
    return this.found;
  }

  /** Throws one error listing every problem, if there is any. */
  throwIfAny(): void {
    throwIfAny(this.found);
  }
}

/** Whole numbers within a range, the commonest rule: `undefined` (the default) always passes. */
export function checkWholeNumber(
  problems: Problems,
  key: string,
  value: number | undefined,
  min: number,
  max: number,
  why = '',
): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.add(key, `must be a whole number from ${min} to ${max}${why}, got ${shown(value)}`);
  }
}
