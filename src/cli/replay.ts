export const REPLAY_HELP = `Usage: restock replay <orders.csv[.gz]> [options]

Replays an order history through the engine. Not available in this build.
`;

export async function runReplay(_argv: string[]): Promise<number> {
  process.stderr.write('replay is not available in this build\n');
  return 2;
}
