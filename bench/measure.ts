/**
 * Tiny benchmark harness. Implementations are measured in interleaved rounds (A B C, A B C, …) so
 * that noise from the rest of the machine hits all of them alike; each reports its median round.
 */
export interface Measurement {
  name: string;
  opsPerSecond: number;
}

export interface Candidate {
  name: string;
  run: () => unknown;
}

async function oneRound(run: () => unknown, roundMs: number): Promise<number> {
  let count = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(roundMs) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 50; i += 1) {
      const result = run();
      if (result instanceof Promise) await result;
    }
    count += 50;
    now = process.hrtime.bigint();
  }
  return count / (Number(now - start) / 1e9);
}

export async function measureAll(candidates: Candidate[], options: { rounds?: number; roundMs?: number } = {}): Promise<Measurement[]> {
  const rounds = options.rounds ?? 7;
  const roundMs = options.roundMs ?? 250;
  const rates = candidates.map(() => [] as number[]);
  for (const candidate of candidates) await oneRound(candidate.run, roundMs); // warm-up
  for (let round = 0; round < rounds; round += 1) {
    for (let i = 0; i < candidates.length; i += 1) rates[i].push(await oneRound(candidates[i].run, roundMs));
  }
  return candidates.map((candidate, i) => {
    const sorted = [...rates[i]].sort((a, b) => a - b);
    return { name: candidate.name, opsPerSecond: sorted[Math.floor(sorted.length / 2)] };
  });
}

export function ratio(value: Measurement, baseline: Measurement): string {
  return `${(value.opsPerSecond / baseline.opsPerSecond).toFixed(2)}×`;
}

export function row(value: Measurement, baseline: Measurement): string {
  return `| ${value.name} | ${Math.round(value.opsPerSecond).toLocaleString('en-US')} | ${ratio(value, baseline)} |`;
}
