// Time is passed in, never read deep inside: every rule that depends on "now" takes a Clock so that
// tests (and `tokend reminders run --at`) can move it.
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** A clock for tests and rehearsals: starts at `start` and moves only when told. */
export function manualClock(start: Date | string = new Date()): Clock & {
  set(at: Date | string): void;
  advance(ms: number): void;
} {
  let current = new Date(start);
  const clock = () => new Date(current);
  clock.set = (at: Date | string) => {
    current = new Date(at);
  };
  clock.advance = (ms: number) => {
    current = new Date(current.getTime() + ms);
  };
  return clock;
}
