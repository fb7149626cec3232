// Time is passed in, never read deep inside: every rule that depends on "now" takes a Clock so that
// tests (and `tokend reminders run --at`) can move it.
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
