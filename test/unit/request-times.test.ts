import { peakOpenAfter, requestTimes } from '../../dev/local-host/request-times';

describe('the requests an instance held open', () => {
  test('counts from the given time past the first arrival, arrivals and answers after it', () => {
    const requests = [
      { arrivedMs: 0, answeredMs: 5 }, // answered before the count starts
      { arrivedMs: 0, answeredMs: 2000 }, // open at 1000
      { arrivedMs: 500 }, // never answered: open throughout
      { arrivedMs: 1200, answeredMs: 1300 },
      { arrivedMs: 1250, answeredMs: 1400 }, // with the two above: 4 open at 1250
      { arrivedMs: 2500, answeredMs: 2600 },
    ];
    expect(peakOpenAfter(requests, 1000)).toBe(4);
    expect(peakOpenAfter(requests, 0)).toBe(4);
    expect(peakOpenAfter(requests, 2100)).toBe(2);
    expect(peakOpenAfter([], 1000)).toBe(0);
  });

  test('an answer at the instant of an arrival is out first', () => {
    expect(
      peakOpenAfter(
        [
          { arrivedMs: 0, answeredMs: 1500 },
          { arrivedMs: 1500, answeredMs: 1600 },
        ],
        1000,
      ),
    ).toBe(1);
  });

  test('each request is timed once, from arrival to answer', () => {
    let nowMs = 10;
    const times = requestTimes(() => nowMs);
    const answered = times.arrived();
    nowMs = 25;
    answered();
    nowMs = 40;
    answered();
    expect(times.list()).toEqual([{ arrivedMs: 10, answeredMs: 25 }]);
  });
});
