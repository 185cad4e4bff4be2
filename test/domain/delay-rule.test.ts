import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { addCalendarDays } from '../../src/domain/calendar.js';
import {
  dateInForce, decideLine, hasSlipped, isBackOnTime, LATE_ANSWER_DAYS, LATE_REASON, planNotices, refundDueDate, UNKNOWN_DATE_REASON,
  type DelayDecision, type DelayLine, type NoticeDecision,
} from '../../src/domain/delay-rule.js';

const MONDAY_TO_FRIDAY = { timeZone: 'UTC', workingDays: [1, 2, 3, 4, 5], holidays: [] };

function line(overrides: Partial<DelayLine> = {}): DelayLine {
  return {
    id: 'line_1',
    sku: 'TOTE',
    unshipped: 2,
    placedDate: '2026-03-02',
    promisedDate: '2026-03-20',
    estimatedDate: '2026-03-20',
    shipByDate: null,
    state: null,
    openNotice: null,
    ...overrides,
  };
}

describe('delay rule', () => {
  it('line on time needs nothing', () => {
    assert.equal(decideLine(line(), '2026-03-10'), null);
  });

  it('slip within 30 days gets a silence notice', () => {
    const decision = decideLine(line({ estimatedDate: '2026-04-10' }), '2026-03-10') as NoticeDecision;

    assert.equal(decision.kind, 'notice');
    assert.equal(decision.notice, 'first');
    assert.equal(decision.consent, 'silence');
    assert.equal(decision.respondBy, '2026-03-20');
    assert.equal(decision.revisedDate, '2026-04-10');
    assert.equal(decision.reason, null);
    assert.equal(decision.late, false);
  });

  it('slip beyond 30 days needs explicit consent', () => {
    const decision = decideLine(line({ estimatedDate: '2026-04-20' }), '2026-03-10') as NoticeDecision;

    assert.equal(decision.consent, 'explicit');
    assert.equal(decision.respondBy, '2026-03-20');
  });

  it('revised date exactly 30 days later still allows silence', () => {
    const decision = decideLine(line({ estimatedDate: addCalendarDays('2026-03-20', 30) }), '2026-03-10') as NoticeDecision;

    assert.equal(decision.consent, 'silence');
  });

  it('line without promise must ship within 30 days of placing', () => {
    const unpromised = line({ promisedDate: null, estimatedDate: null });

    assert.equal(dateInForce(unpromised), '2026-04-01');
    assert.equal(decideLine(unpromised, '2026-03-28'), null);
    const decision = decideLine(unpromised, '2026-03-29') as NoticeDecision;
    assert.equal(decision.consent, 'explicit');
    assert.equal(decision.revisedDate, null);
    assert.equal(decision.reason, UNKNOWN_DATE_REASON);
  });

  it('renewed notice always needs explicit consent', () => {
    const accepted = line({ shipByDate: '2026-04-10', estimatedDate: '2026-04-15' });
    const decision = decideLine(accepted, '2026-04-01') as NoticeDecision;

    assert.equal(decision.notice, 'renewed');
    assert.equal(decision.consent, 'explicit');
    assert.equal(decision.respondBy, '2026-04-10');
  });

  it('open notice waits until its last day has passed', () => {
    const notified = line({
      estimatedDate: '2026-04-10',
      state: 'notified',
      openNotice: { id: 'dly_1', consent: 'silence', respondBy: '2026-03-20', revisedDate: '2026-04-10' },
    });

    assert.equal(decideLine(notified, '2026-03-20'), null);
    assert.deepEqual(decideLine(notified, '2026-03-21'), { kind: 'consent', lineId: 'line_1', noticeId: 'dly_1', shipByDate: '2026-04-10' });
  });

  it('explicit notice without answer cancels the unshipped units', () => {
    const notified = line({
      unshipped: 3,
      estimatedDate: '2026-05-10',
      state: 'notified',
      openNotice: { id: 'dly_1', consent: 'explicit', respondBy: '2026-03-20', revisedDate: '2026-05-10' },
    });

    assert.deepEqual(decideLine(notified, '2026-03-21'), { kind: 'cancel', lineId: 'line_1', noticeId: 'dly_1', quantity: 3 });
  });

  it('slip found on the date in force gets a late notice', () => {
    const decision = decideLine(line({ estimatedDate: '2026-03-25' }), '2026-03-20') as NoticeDecision;

    assert.equal(decision.late, true);
    assert.equal(decision.consent, 'explicit');
    assert.equal(decision.respondBy, addCalendarDays('2026-03-20', LATE_ANSWER_DAYS));
    assert.equal(decision.revisedDate, '2026-03-25');
    assert.equal(decision.reason, LATE_REASON);
  });

  it('units not shipped by the date get a late notice', () => {
    const stale = line({ estimatedDate: '2026-03-20' });

    assert.equal(decideLine(stale, '2026-03-20'), null);
    const decision = decideLine(stale, '2026-03-21') as NoticeDecision;
    assert.equal(decision.late, true);
    assert.equal(decision.revisedDate, null, 'an estimate in the past gives no revised date');
  });

  it('accepted indefinite delay and shipped lines need nothing', () => {
    assert.equal(decideLine(line({ state: 'indefinite', estimatedDate: null }), '2026-05-01'), null);
    assert.equal(decideLine(line({ unshipped: 0, estimatedDate: '2026-05-01' }), '2026-03-10'), null);
  });

  it('notified line back on time resolves', () => {
    const openNotice = { id: 'dly_1', consent: 'explicit' as const, respondBy: '2026-03-20', revisedDate: '2026-05-10' };
    const backOnTime = line({ estimatedDate: '2026-03-18', state: 'notified', openNotice });

    assert.deepEqual(decideLine(backOnTime, '2026-03-12'), { kind: 'resolve', lineId: 'line_1', noticeId: 'dly_1' });
    assert.deepEqual(decideLine(backOnTime, '2026-03-20'), { kind: 'resolve', lineId: 'line_1', noticeId: 'dly_1' }, 'it may still ship on the day');
    assert.deepEqual(decideLine(backOnTime, '2026-03-21'), { kind: 'cancel', lineId: 'line_1', noticeId: 'dly_1', quantity: 2 }, 'the date passed unshipped');
  });

  it('notified line without waiting units resolves', () => {
    const openNotice = { id: 'dly_1', consent: 'silence' as const, respondBy: '2026-03-20', revisedDate: '2026-04-10' };
    const served = line({ unshipped: 0, estimatedDate: '2026-04-10', state: 'notified', openNotice });

    assert.deepEqual(decideLine(served, '2026-03-25'), { kind: 'resolve', lineId: 'line_1', noticeId: 'dly_1' });
  });

  it('back on time needs a known estimate', () => {
    assert.equal(isBackOnTime(line(), '2026-03-20'), true);
    assert.equal(isBackOnTime(line(), '2026-03-21'), false, 'the date passed unshipped');
    assert.equal(isBackOnTime(line({ estimatedDate: '2026-03-25' }), '2026-03-10'), false);
    assert.equal(isBackOnTime(line({ estimatedDate: null }), '2026-03-10'), false, 'an unknown estimate keeps the notice');
    assert.equal(isBackOnTime(line({ unshipped: 0, estimatedDate: null }), '2026-04-01'), true);
  });

  it('notices group by consent and deadline', () => {
    const decisions: DelayDecision[] = [
      decideLine(line({ id: 'a', estimatedDate: '2026-04-01' }), '2026-03-10')!,
      decideLine(line({ id: 'b', estimatedDate: '2026-04-05' }), '2026-03-10')!,
      decideLine(line({ id: 'c', estimatedDate: '2026-06-01' }), '2026-03-10')!,
    ];
    const plans = planNotices(decisions);

    assert.equal(plans.length, 2);
    assert.deepEqual(plans[0]!.lines.map((l) => l.lineId), ['a', 'b']);
    assert.equal(plans[0]!.revisedDate, '2026-04-05');
    assert.equal(plans[0]!.consent, 'silence');
    assert.deepEqual(plans[1]!.lines.map((l) => l.lineId), ['c']);
    assert.equal(plans[1]!.consent, 'explicit');
  });
});

describe('refund due date', () => {
  it('counts 7 working days after a weekday', () => {
    assert.equal(refundDueDate(MONDAY_TO_FRIDAY, '2026-03-02'), '2026-03-11');
  });

  it('skips weekends', () => {
    assert.equal(refundDueDate(MONDAY_TO_FRIDAY, '2026-03-06'), '2026-03-17');
    assert.equal(refundDueDate(MONDAY_TO_FRIDAY, '2026-03-07'), '2026-03-17');
    assert.equal(refundDueDate(MONDAY_TO_FRIDAY, '2026-03-08'), '2026-03-17');
  });

  it('skips holidays', () => {
    const calendar = { ...MONDAY_TO_FRIDAY, holidays: ['2026-03-09', '2026-03-16'] };
    assert.equal(refundDueDate(calendar, '2026-03-06'), '2026-03-19');
  });
});

/** A line's estimate over time: the estimate it has from each day on. */
const estimateChanges = fc.array(
  fc.record({ day: fc.integer({ min: 0, max: 80 }), shift: fc.option(fc.integer({ min: -10, max: 60 }), { nil: null, freq: 6 }) }),
  { maxLength: 6 },
);

/**
 * Runs the rule once a day over 120 days, applying each decision the way the
 * application does, with no customer answers. Returns every day with the
 * line as the rule saw it and the decision, null when nothing was due.
 */
function simulate(promiseOffset: number, changes: { day: number; shift: number | null }[]) {
  const start = '2026-03-02';
  const promised = addCalendarDays(start, promiseOffset);
  let current = line({ placedDate: start, promisedDate: promised, estimatedDate: promised });
  const days: { today: string; before: DelayLine; decision: DelayDecision | null }[] = [];

  for (let day = 0; day < 120 && current.unshipped > 0; day += 1) {
    const today = addCalendarDays(start, day);
    for (const change of changes.filter((c) => c.day === day)) {
      current = { ...current, estimatedDate: change.shift === null ? null : addCalendarDays(promised, change.shift) };
    }

    const decision = decideLine(current, today);
    days.push({ today, before: current, decision });
    if (decision?.kind === 'notice') {
      const openNotice = { id: `n${day}`, consent: decision.consent, respondBy: decision.respondBy, revisedDate: decision.revisedDate };
      current = { ...current, state: 'notified', openNotice };
    } else if (decision?.kind === 'consent') {
      current = { ...current, state: null, openNotice: null, shipByDate: decision.shipByDate };
    } else if (decision?.kind === 'cancel') {
      current = { ...current, state: null, openNotice: null, unshipped: 0 };
    } else if (decision?.kind === 'resolve') {
      current = { ...current, state: null, openNotice: null };
    }
  }
  return days;
}

describe('delay rule properties', () => {
  it('slip seen before the date in force gets a timely notice that day', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 40 }), estimateChanges, (offset, changes) => {
        for (const { today, before, decision } of simulate(offset, changes)) {
          if (before.state !== null || today >= dateInForce(before) || !hasSlipped(before, today)) continue;
          assert.equal(decision?.kind, 'notice', `no notice on ${today} for a slip past ${dateInForce(before)}`);
          assert.equal((decision as NoticeDecision).late, false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('notice on or after the date in force is always marked late', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 40 }), estimateChanges, (offset, changes) => {
        for (const { today, before, decision } of simulate(offset, changes)) {
          if (decision?.kind !== 'notice') continue;
          const inForce = dateInForce(before);
          assert.equal(decision.late, today >= inForce, `notice on ${today} with the date in force ${inForce}`);
          if (!decision.late) assert.equal(decision.respondBy, inForce);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('silence consents only to a first timely notice within 30 days', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 40 }), estimateChanges, (offset, changes) => {
        for (const { before, decision } of simulate(offset, changes)) {
          if (decision?.kind !== 'notice' || decision.consent !== 'silence') continue;
          assert.equal(decision.notice, 'first');
          assert.equal(decision.late, false);
          assert.notEqual(decision.revisedDate, null);
          assert.ok(decision.revisedDate! <= addCalendarDays(before.promisedDate!, 30));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('notice resolves only for a line back on time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 40 }), estimateChanges, (offset, changes) => {
        for (const { today, before, decision } of simulate(offset, changes)) {
          if (decision?.kind !== 'resolve') continue;
          assert.notEqual(before.estimatedDate, null, `resolved on ${today} with no estimate`);
          assert.ok(before.estimatedDate! <= dateInForce(before), `resolved on ${today} with ${before.estimatedDate} past ${dateInForce(before)}`);
          assert.ok(today <= dateInForce(before), `resolved on ${today}, after the date in force`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('cancellation follows only a lapsed notice that needed consent', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 40 }), estimateChanges, (offset, changes) => {
        for (const { today, before, decision } of simulate(offset, changes)) {
          if (decision?.kind !== 'cancel') continue;
          assert.notEqual(before.openNotice, null);
          assert.equal(before.openNotice!.consent, 'explicit');
          assert.ok(today > before.openNotice!.respondBy, `cancelled on ${today}, not after ${before.openNotice!.respondBy}`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
