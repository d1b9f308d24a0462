import { errorLabel, failureChart } from '../../../../cli/console/data';

describe('failureChart', () => {
  const failure = (occurredAt: string, errorCode: number, title: string, carrierName?: string) => ({
    messageId: `rf_${occurredAt}`,
    status: 'failed',
    occurredAt,
    errorCode,
    providerErrorTitle: title,
    ...(carrierName ? { carrierName } : {}),
  });

  it('counts failures per hour by error and by carrier over a day', () => {
    const chart = failureChart(
      [
        failure('2026-05-01T10:05:00.000Z', 702, 'Blocked as spam', 'T-Mobile'),
        failure('2026-05-01T10:55:00.000Z', 702, 'Blocked as spam', 'Verizon'),
        failure('2026-05-01T11:30:00.000Z', 40300, 'Opted out'),
        failure('2026-04-29T11:30:00.000Z', 1, 'out of range'),
      ],
      { since: '2026-04-30T12:00:00.000Z', until: '2026-05-01T12:00:00.000Z' },
    );
    expect(chart.bucketMs).toBe(3_600_000);
    expect(chart.buckets).toHaveLength(24);
    expect(chart.buckets[0]).toBe('2026-04-30T12:00:00.000Z');
    expect(chart.total).toBe(3);
    expect(Object.keys(chart.byErrorCode).sort()).toEqual(['40300 Opted out', '702 Blocked as spam']);
    expect(chart.byErrorCode['702 Blocked as spam']?.[22]).toBe(2);
    expect(chart.byErrorCode['40300 Opted out']?.[23]).toBe(1);
    expect(chart.byCarrier).toMatchObject({ 'T-Mobile': expect.any(Array), Verizon: expect.any(Array) });
    expect(chart.byCarrier['unknown carrier']?.[23]).toBe(1);
  });

  it('counts per day over a longer range', () => {
    const chart = failureChart([failure('2026-05-01T10:05:00.000Z', 702, 'x')], {
      since: '2026-04-24T12:00:00.000Z',
      until: '2026-05-01T12:00:00.000Z',
    });
    expect(chart.bucketMs).toBe(86_400_000);
    expect(chart.buckets).toHaveLength(8);
    expect(chart.byErrorCode['702 x']?.[7]).toBe(1);
  });
});

describe('errorLabel', () => {
  it('joins the code and the title, and says when a failure has no code', () => {
    expect(errorLabel({ errorCode: 702, providerErrorTitle: 'Blocked as spam' })).toBe('702 Blocked as spam');
    expect(errorLabel({ providerErrorCode: '30007' })).toBe('30007');
    expect(errorLabel({ status: 'expired' })).toBe('expired (no error code)');
  });
});
