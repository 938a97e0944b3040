/**
 * The no-op workflows the raw limits are measured with (their own bundle and worker, never the
 * product's): what the Temporal server and an SDK worker do on this machine with no inbox logic.
 * - benchNoopWorkflow: started and signalled by signalWithStart; records nothing, never ends
 *   (the benchmark terminates it). S_raw.
 * - benchTimerWorkflow: sleeps until each absolute deadline and returns how late it woke
 *   (workflow time is the workflow task's start, i.e. when the worker took the fired timer). T_raw.
 */
import { condition, defineSignal, setHandler, sleep } from '@temporalio/workflow';

export const pokeSignal = defineSignal<[number]>('poke');

export async function benchNoopWorkflow(): Promise<void> {
  let received = 0;
  setHandler(pokeSignal, () => {
    received += 1;
  });
  await condition(() => received < 0);
}

export async function benchTimerWorkflow(deadlines: number[]): Promise<number[]> {
  const lateness: number[] = [];
  for (const deadline of deadlines) {
    const wait = deadline - Date.now();
    if (wait > 0) await sleep(wait);
    lateness.push(Date.now() - deadline);
  }
  return lateness;
}
