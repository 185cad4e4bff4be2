/** The source of the current instant. Tests and replays pass a controlled one. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** A clock that stays where it is set, for tests and replays. */
export class ManualClock {
  constructor(private instant: Date) {}

  readonly now: Clock = () => new Date(this.instant.getTime());

  set(instant: Date | string): void {
    this.instant = typeof instant === 'string' ? new Date(instant) : instant;
  }

  advance(milliseconds: number): void {
    this.instant = new Date(this.instant.getTime() + milliseconds);
  }
}
