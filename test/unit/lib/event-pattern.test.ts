import { eventPatternProblems, matchesEventPattern, MAX_PATTERN_LENGTH } from '../../../lib/event-pattern';

// The behaviours EventBridge documents for event patterns ("Event patterns", "Content filtering",
// "Comparison operators", "Matching null values and empty strings", "Arrays in event patterns"),
// each shown on an event of its own kind.

const instance = {
  version: '0',
  id: 'e-1',
  'detail-type': 'Instance State Change',
  source: 'example.compute',
  account: '111122223333',
  time: '2026-10-02T18:43:48Z',
  region: 'eu-west-1',
  resources: ['arn:example:instance/i-1', 'arn:example:instance/i-2'],
  detail: {
    state: 'running',
    'instance-id': 'i-0abc',
    count: 4,
    weight: 2.5,
    'source-ip': '10.0.0.123',
    'source-ip6': '2001:db8::17',
    file: 'photos/Cat.PNG',
    empty: '',
    nothing: null,
    enabled: true,
    nested: { zone: 'eu-west-1a' },
    tags: ['blue', 'green'],
    disks: [
      { kind: 'ssd', size: 100 },
      { kind: 'hdd', size: 500 },
    ],
  },
};

const matches = (pattern: unknown) => matchesEventPattern(pattern, instance);

describe('matchesEventPattern', () => {
  describe('exact values', () => {
    it('matches a field equal to a listed value, and ORs the values of a list', () => {
      expect(matches({ source: ['example.compute'] })).toBe(true);
      expect(matches({ detail: { state: ['stopped', 'running'] } })).toBe(true);
      expect(matches({ detail: { state: ['stopped'] } })).toBe(false);
    });

    it('ANDs fields, and needs every named field in the event at the same nesting', () => {
      expect(matches({ source: ['example.compute'], detail: { state: ['running'] } })).toBe(true);
      expect(matches({ source: ['example.compute'], detail: { state: ['stopped'] } })).toBe(false);
      expect(matches({ state: ['running'] })).toBe(false);
      expect(matches({ detail: { zone: ['eu-west-1a'] } })).toBe(false);
      expect(matches({ detail: { nested: { zone: ['eu-west-1a'] } } })).toBe(true);
    });

    it('is exact: case, and strings against numbers, count', () => {
      expect(matches({ detail: { state: ['Running'] } })).toBe(false);
      expect(matches({ detail: { count: ['4'] } })).toBe(false);
      expect(matches({ detail: { count: [4] } })).toBe(true);
      expect(matches({ detail: { enabled: [true] } })).toBe(true);
    });

    it('tells null from an empty string, and neither matches a missing field', () => {
      expect(matches({ detail: { nothing: [null] } })).toBe(true);
      expect(matches({ detail: { nothing: [''] } })).toBe(false);
      expect(matches({ detail: { empty: [''] } })).toBe(true);
      expect(matches({ detail: { empty: [null] } })).toBe(false);
      expect(matches({ detail: { absent: [null] } })).toBe(false);
    });

    it('matches an array field when any element matches', () => {
      expect(matches({ resources: ['arn:example:instance/i-2'] })).toBe(true);
      expect(matches({ detail: { tags: ['green', 'red'] } })).toBe(true);
      expect(matches({ detail: { tags: ['red'] } })).toBe(false);
    });

    it('matches fields of an array of objects element by element, as flattened paths', () => {
      expect(matches({ detail: { disks: { kind: ['hdd'] } } })).toBe(true);
      expect(matches({ detail: { disks: { kind: ['nvme'] } } })).toBe(false);
      expect(matches({ detail: { disks: { size: [{ numeric: ['>', 400] }] } } })).toBe(true);
    });

    it('matches no list against a field holding an object', () => {
      expect(matches({ detail: { nested: ['eu-west-1a'] } })).toBe(false);
    });
  });

  describe('prefix and suffix', () => {
    it('matches the start or the end of a string', () => {
      expect(matches({ time: [{ prefix: '2026-10-02' }] })).toBe(true);
      expect(matches({ time: [{ prefix: '2026-10-03' }] })).toBe(false);
      expect(matches({ detail: { file: [{ suffix: '.PNG' }] } })).toBe(true);
      expect(matches({ detail: { file: [{ suffix: '.png' }] } })).toBe(false);
    });

    it('ignores case with equals-ignore-case inside', () => {
      expect(matches({ detail: { file: [{ suffix: { 'equals-ignore-case': '.png' } }] } })).toBe(true);
      expect(matches({ detail: { file: [{ prefix: { 'equals-ignore-case': 'PHOTOS/' } }] } })).toBe(true);
    });

    it('never matches a number', () => {
      expect(matches({ detail: { count: [{ prefix: '4' }] } })).toBe(false);
    });
  });

  describe('equals-ignore-case and wildcard', () => {
    it('compares strings regardless of case', () => {
      expect(matches({ detail: { state: [{ 'equals-ignore-case': 'RUNNING' }] } })).toBe(true);
      expect(matches({ detail: { state: [{ 'equals-ignore-case': 'RUN' }] } })).toBe(false);
    });

    it('matches * against any run of characters, the whole value, and an escaped \\* literally', () => {
      expect(matches({ detail: { file: [{ wildcard: 'photos/*.PNG' }] } })).toBe(true);
      expect(matches({ detail: { file: [{ wildcard: '*Cat*' }] } })).toBe(true);
      expect(matches({ detail: { file: [{ wildcard: 'Cat*' }] } })).toBe(false);
      expect(matchesEventPattern({ a: [{ wildcard: 'x\\*y' }] }, { a: 'x*y' })).toBe(true);
      expect(matchesEventPattern({ a: [{ wildcard: 'x\\*y' }] }, { a: 'xzy' })).toBe(false);
    });
  });

  describe('anything-but', () => {
    it('matches any other string or number, and a field that is there', () => {
      expect(matches({ detail: { state: [{ 'anything-but': 'stopped' }] } })).toBe(true);
      expect(matches({ detail: { state: [{ 'anything-but': 'running' }] } })).toBe(false);
      expect(matches({ detail: { count: [{ 'anything-but': 5 }] } })).toBe(true);
      expect(matches({ detail: { count: [{ 'anything-but': 4 }] } })).toBe(false);
      expect(matches({ detail: { absent: [{ 'anything-but': 'x' }] } })).toBe(false);
    });

    it('excludes a whole list', () => {
      expect(matches({ detail: { state: [{ 'anything-but': ['stopped', 'running'] }] } })).toBe(false);
      expect(matches({ detail: { state: [{ 'anything-but': ['stopped', 'pending'] }] } })).toBe(true);
    });

    it('excludes by prefix, suffix, case-insensitive value and wildcard', () => {
      expect(matches({ region: [{ 'anything-but': { prefix: 'us-' } }] })).toBe(true);
      expect(matches({ region: [{ 'anything-but': { prefix: 'eu-' } }] })).toBe(false);
      expect(matches({ detail: { file: [{ 'anything-but': { suffix: '.PNG' } }] } })).toBe(false);
      expect(matches({ detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['RUNNING'] } }] } })).toBe(false);
      expect(matches({ detail: { file: [{ 'anything-but': { wildcard: '*/lib/*' } }] } })).toBe(true);
    });
  });

  describe('numeric', () => {
    it('matches JSON numbers in a range, bounds as given', () => {
      expect(matches({ detail: { count: [{ numeric: ['>', 0, '<=', 4] }] } })).toBe(true);
      expect(matches({ detail: { count: [{ numeric: ['>', 0, '<', 4] }] } })).toBe(false);
      expect(matches({ detail: { weight: [{ numeric: ['>=', 2.5] }] } })).toBe(true);
      expect(matches({ detail: { count: [{ numeric: ['=', 4] }] } })).toBe(true);
    });

    it('never matches a string holding a number', () => {
      expect(matchesEventPattern({ n: [{ numeric: ['>', 0] }] }, { n: '5' })).toBe(false);
    });
  });

  describe('exists', () => {
    it('matches a present leaf with true, a missing field with false', () => {
      expect(matches({ detail: { state: [{ exists: true }] } })).toBe(true);
      expect(matches({ detail: { state: [{ exists: false }] } })).toBe(false);
      expect(matches({ detail: { absent: [{ exists: false }] } })).toBe(true);
      expect(matches({ detail: { absent: [{ exists: true }] } })).toBe(false);
      expect(matches({ missing: { deeper: [{ exists: false }] } })).toBe(true);
    });

    it('counts null as present, and an object as no leaf', () => {
      expect(matches({ detail: { nothing: [{ exists: true }] } })).toBe(true);
      expect(matches({ detail: { nested: [{ exists: true }] } })).toBe(false);
    });
  });

  describe('cidr', () => {
    it('matches IPv4 and IPv6 addresses inside the block', () => {
      expect(matches({ detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } })).toBe(true);
      expect(matches({ detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } })).toBe(false);
      expect(matches({ detail: { 'source-ip6': [{ cidr: '2001:db8::/32' }] } })).toBe(true);
      expect(matches({ detail: { state: [{ cidr: '10.0.0.0/8' }] } })).toBe(false);
    });
  });

  describe('$or', () => {
    it('matches when any sub-pattern matches, at any level', () => {
      expect(matches({ $or: [{ source: ['other'] }, { detail: { state: ['running'] } }] })).toBe(true);
      expect(matches({ $or: [{ source: ['other'] }, { detail: { state: ['stopped'] } }] })).toBe(false);
      expect(
        matches({ detail: { $or: [{ count: [{ numeric: ['>', 10] }] }, { 'instance-id': [{ prefix: 'i-0' }] }] } }),
      ).toBe(true);
    });
  });
});

describe('eventPatternProblems', () => {
  it('accepts every pattern used above', () => {
    for (const pattern of [
      { detail: { status: ['failed'] } },
      { detail: { errorCode: ['702'], toNumber: [{ prefix: '+1555' }] } },
      { detail: { count: [{ numeric: ['>', 0, '<=', 5] }, { exists: false }], nothing: [null, ''] } },
      { $or: [{ source: ['a'] }, { detail: { x: [{ 'anything-but': { prefix: 'y' } }] } }] },
      { a: [{ cidr: '2001:db8::/32' }, { wildcard: 'a*b' }, { 'anything-but': [1, 2] }] },
    ])
      expect(eventPatternProblems(pattern)).toEqual([]);
  });

  it('names each mistake with its path', () => {
    expect(
      eventPatternProblems({
        detail: {
          status: 'failed',
          errorCode: [],
          carrier: [{ prefixx: 'x' }],
          count: [{ numeric: ['>', 5, '<', 1] }],
          big: [{ numeric: ['>', 6e9] }],
          flag: [{ exists: 'yes' }],
          ip: [{ cidr: '10.0.0.0/33' }],
          both: [{ 'anything-but': ['a', 1] }],
          glob: [{ wildcard: 'a**b' }],
          two: [{ prefix: 'a', suffix: 'b' }],
        },
        $or: [{ a: ['x'] }],
        empty: {},
      }),
    ).toEqual([
      expect.stringMatching(/^detail\.status: values must be in a list/),
      expect.stringMatching(/^detail\.errorCode: an empty list matches nothing/),
      expect.stringMatching(/^detail\.carrier\[0\]: unknown filter "prefixx"/),
      expect.stringMatching(/^detail\.count\[0\]: "numeric" needs its lower bound below its upper bound/),
      expect.stringMatching(/^detail\.big\[0\]: "numeric" compares with numbers from -5e9 to 5e9/),
      expect.stringMatching(/^detail\.flag\[0\]: "exists" takes true or false/),
      expect.stringMatching(/^detail\.ip\[0\]: "cidr" takes an IPv4 or IPv6 block/),
      expect.stringMatching(/^detail\.both\[0\]: "anything-but" takes/),
      expect.stringMatching(/^detail\.glob\[0\]: "wildcard" may not hold consecutive "\*"/),
      expect.stringMatching(/^detail\.two\[0\]: a list holds values .* or one filter/),
      expect.stringMatching(/^\$or: "\$or" takes a list of at least two sub-patterns/),
      expect.stringMatching(/^empty: an empty object/),
    ]);
  });

  it('refuses what is not an object, and a pattern longer than EventBridge takes', () => {
    expect(eventPatternProblems(['x'])).toEqual([expect.stringMatching(/^a pattern is a JSON object/)]);
    const long = { detail: { status: Array.from({ length: 500 }, (_, i) => `status-${i}`) } };
    expect(JSON.stringify(long).length).toBeGreaterThan(MAX_PATTERN_LENGTH);
    expect(eventPatternProblems(long)).toEqual([
      expect.stringMatching(/characters as JSON; EventBridge takes at most 4096/),
    ]);
  });

  it('refuses a numeric range given as two lower bounds, and operators it does not know', () => {
    expect(eventPatternProblems({ n: [{ numeric: ['>', 1, '>', 2] }] })).toEqual([
      expect.stringContaining('needs a lower bound (> or >=) then an upper one'),
    ]);
    expect(eventPatternProblems({ n: [{ numeric: ['!=', 1] }] })).toEqual([
      expect.stringContaining('unknown operator'),
    ]);
  });
});
