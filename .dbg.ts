import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { startProductStack } from './test/helpers/local-stack';
import { testKeyPair } from './test/helpers/keys';
import { signBody } from './lambda/common/signature';
import { SIGNATURE_HEADER } from './lambda/common/signature';
import { vendorEvent } from './test/helpers/fixtures';
(async () => {
  const key = testKeyPair('dbg');
  const batches: string[] = [];
  const p = await startProductStack({ name: 'dbg', context: { voltPublicKeys: JSON.stringify([key.formats.spkiPem]) },
    stack: { onEvent: (e) => { if (e.kind === 'batch') batches.push(`${e.queueName} ${JSON.stringify((e as any).messageIds ?? (e as any).records ?? '')}`.slice(0, 300)); } } });
  const reqs: string[] = [];
  (p.stack.faults as any).sqs = (req: any) => { if (req.operation.startsWith('Send')) reqs.push(`${req.operation} ${req.queueUrl.split('/').pop()} n=${req.messages.length} ${req.messages.map((m: any) => JSON.stringify(m.attributes ?? m.messageAttributes ?? {}).slice(0, 60)).join('|')}`); return undefined; };
  try {
    for (let i = 0; i < 3; i++) {
      const json = structuredClone(vendorEvent('message-sent').json) as any; json.id = `rfw_dbg_${i}`; json.payload.id = `rf_dbg_${i}`;
      const raw = JSON.stringify(json);
      const r = await fetch(p.stack.webhookUrl!, { method: 'POST', headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(key.privateKey, raw) }, body: raw });
      console.log('post', r.status);
    }
    await new Promise((r) => setTimeout(r, 5000));
    const a = await p.aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: p.aws.queueUrl('archive'), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    console.log('archive', a.Attributes);
    console.log(batches.join('\n'));
    console.log(reqs.join('\n'));
  } finally { await p.stop(); process.exit(0); }
})();
