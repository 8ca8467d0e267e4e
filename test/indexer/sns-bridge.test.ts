import { SnsBridgeError, snsEventFromSqsMessages, snsRecordFromSqsBody } from '../../cli/sns-bridge';
import { snsEnvelope } from '../harness/factories';

test('an SNS envelope becomes the record Lambda would receive', () => {
  // Prepare
  const envelope = {
    ...snsEnvelope('{"s3Bucket":"b","s3ObjectKey":["k"]}', { subject: 'Hello' }),
    MessageAttributes: { outcome: { Type: 'String', Value: 'failed' } },
  };
  // Act
  const record = snsRecordFromSqsBody(JSON.stringify(envelope), 'arn:sub');
  // Assess
  expect(record).toEqual({
    EventVersion: '1.0',
    EventSource: 'aws:sns',
    EventSubscriptionArn: 'arn:sub',
    Sns: {
      Type: 'Notification',
      MessageId: envelope.MessageId,
      TopicArn: envelope.TopicArn,
      Subject: 'Hello',
      Message: envelope.Message,
      Timestamp: envelope.Timestamp,
      SignatureVersion: '1',
      Signature: 'EXAMPLE',
      SigningCertUrl: envelope.SigningCertURL,
      UnsubscribeUrl: envelope.UnsubscribeURL,
      MessageAttributes: { outcome: { Type: 'String', Value: 'failed' } },
    },
  });
});

test('a null Subject, as fauxqs sends it, is left out', () => {
  // Act
  const record = snsRecordFromSqsBody({ ...snsEnvelope('m'), Subject: null });
  // Assess
  expect(record.Sns).not.toHaveProperty('Subject');
});

test.each([
  ['raw delivery (not JSON)', 'CloudTrail validation message.', 'not JSON'],
  ['a JSON array', '[]', 'not an SNS envelope'],
  [
    'a subscription confirmation',
    JSON.stringify({ ...snsEnvelope('m'), Type: 'SubscriptionConfirmation' }),
    'Type',
  ],
  ['no Message', JSON.stringify({ ...snsEnvelope('m'), Message: undefined }), 'Message is missing'],
  [
    'bad attributes',
    JSON.stringify({ ...snsEnvelope('m'), MessageAttributes: { a: { Type: 'String' } } }),
    'attribute a',
  ],
])('%s is refused with a clear error', (_, body, message) => {
  // Act
  const bridge = () => snsRecordFromSqsBody(body);
  // Assess
  expect(bridge).toThrow(SnsBridgeError);
  expect(bridge).toThrow(message);
});

test('an SQS batch becomes one event, one record per message, in order', () => {
  // Prepare
  const messages = ['a', 'b'].map((m) => ({ MessageId: m, Body: JSON.stringify(snsEnvelope(m)) }));
  // Act
  const event = snsEventFromSqsMessages(messages);
  // Assess
  expect(event.Records.map((r) => r.Sns.Message)).toEqual(['a', 'b']);
});

test('a message without a body is an error', () => {
  // Act
  const bridge = () => snsEventFromSqsMessages([{ MessageId: 'm1' }]);
  // Assess
  expect(bridge).toThrow('SQS message m1 has no body');
});
