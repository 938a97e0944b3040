/**
 * Figure 10: history events per inbound text message. A few contacts each write `historyMessages`
 * texts, one at a time (each waits until the previous one is projected, so no two share a workflow
 * task: the worst case for history growth); then each workflow's history is read and split at
 * its inboundMessage signals. The first message (opening, routing) and a follow-up are counted apart.
 */
import { temporal as proto } from '@temporalio/proto';
import type { BenchContext, Scenario } from '../lib/context';
import { startProductWorld } from '../lib/product';
import { TARGETS } from '../lib/report';
import { fmt } from '../lib/stats';
import { postWebhook, whatsappTextWebhook } from '../../support/webhooks';
import { APP_SECRET, PHONE_NUMBER_ID, sleep } from '../lib/world';

const typeName = (t: number | null | undefined) =>
  (proto.api.enums.v1.EventType[t ?? 0] ?? String(t)).replace(/^EVENT_TYPE_/, '');

async function run(ctx: BenchContext): Promise<void> {
  const { sizes, log } = ctx;
  const world = await startProductWorld(ctx, 'history');
  try {
    const { db } = world.database;
    const waitVisible = async (externalId: string) => {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const row = await db('messages').where({ external_id: externalId }).first('id');
        if (row) return;
        await sleep(20);
      }
      throw new Error(`message ${externalId} was not projected within 30 s`);
    };
    // The history length once the workflow has nothing more to do (its last task completed).
    const quiescentLength = async (workflowId: string): Promise<number> => {
      const handle = world.temporal.client.workflow.getHandle(workflowId);
      let last = -1;
      for (let i = 0; i < 200; i++) {
        const { historyLength } = await handle.describe();
        if (historyLength === last) return historyLength;
        last = historyLength;
        await sleep(250);
      }
      return last;
    };
    const lengths: number[][] = [];
    const followTypes = new Map<string, number>();
    const firstTypes = new Map<string, number>();
    for (let c = 0; c < sizes.historyConversations; c++) {
      const perMessage: number[] = [];
      let workflowId = '';
      for (let m = 0; m < sizes.historyMessages; m++) {
        const id = `wamid.hist.${c}.${m}`;
        const res = await postWebhook(
          world.app.baseUrl,
          whatsappTextWebhook({
            phoneNumberId: PHONE_NUMBER_ID,
            from: `4930000${String(c).padStart(5, '0')}`,
            text: `question ${m}`,
            id,
            name: `History ${c}`,
          }),
          APP_SECRET,
        );
        if (!res.ok) throw new Error(`webhook answered ${res.status}`);
        await waitVisible(id);
        if (!workflowId) {
          const row = await db('messages as m')
            .join('conversations as cv', 'cv.id', 'm.conversation_id')
            .where('m.external_id', id)
            .first('cv.workflow_id');
          workflowId = row.workflow_id;
        }
        perMessage.push(await quiescentLength(workflowId));
      }
      lengths.push(perMessage);
      const history = await world.temporal.client.workflow.getHandle(workflowId).fetchHistory();
      for (const e of (history.events ?? []).slice(0, perMessage[0]!)) {
        firstTypes.set(typeName(e.eventType), (firstTypes.get(typeName(e.eventType)) ?? 0) + 1);
      }
      for (const e of (history.events ?? []).slice(perMessage[0]!)) {
        followTypes.set(typeName(e.eventType), (followTypes.get(typeName(e.eventType)) ?? 0) + 1);
      }
      log(
        `  history: conversation ${c + 1}/${sizes.historyConversations}: ${sizes.historyMessages} messages, history lengths ${perMessage.join(' ')}`,
      );
    }
    const rows = lengths;
    const firstCounts = lengths.map((l) => l[0]!);
    const followCounts = lengths.map((l) => (l[l.length - 1]! - l[0]!) / (l.length - 1));
    const followUps = followCounts.length ? followCounts.reduce((a, b) => a + b, 0) / followCounts.length : Number.NaN;
    const first = firstCounts.length ? firstCounts.reduce((a, b) => a + b, 0) / firstCounts.length : Number.NaN;
    const totalFollowMessages = rows.length * (sizes.historyMessages - 1);
    const breakdown = [...followTypes]
      .sort((a, b) => b[1] - a[1])
      .map(([t, n]) => `${t} ${fmt(n / totalFollowMessages)}`)
      .join(', ');
    log(`  history: ${fmt(followUps)} events per follow-up message, ${fmt(first)} for the first`);
    ctx.rows.set('10', {
      id: '10',
      ...TARGETS['10']!,
      product: `**${fmt(followUps)}** per follow-up text; ${fmt(first)} for the message that opens the conversation`,
      raw: 'no-op workflow: 4 per signal (Signaled, WFT Scheduled/Started/Completed)',
      ratio: `${fmt(followUps / 4)} × no-op`,
      met: followUps <= 6,
      notes: [
        `${rows.length} conversations × ${sizes.historyMessages} texts, each sent once the previous one was projected and the workflow was idle (history length stable); follow-up cost = (length after the last − after the first) / (messages − 1).`,
        `Events per follow-up message by type: ${breakdown}.`,
        `Events of the opening message by type: ${[...firstTypes]
          .sort((a, b) => b[1] - a[1])
          .map(([t, k]) => `${t} ${fmt(k / rows.length)}`)
          .join(', ')}.`,
      ],
    });
  } finally {
    await world.stop();
  }
}

export const historyScenario: Scenario = { name: 'history', figures: ['10'], needs: [], run };
