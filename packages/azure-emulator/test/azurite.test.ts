import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Azurite, startAzurite } from '../src/index.js';

/** Azurite as the tests and the demo run it: the real Storage SDK clients against its queue and blob services. */

const azuriteFolders = () => readdirSync(tmpdir()).filter((name) => name.startsWith('kv-audit-azurite-'));

describe('a running Azurite', () => {
  let azurite: Azurite;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(() => azurite.close());

  it('listens on 127.0.0.1, on ports of its own', () => {
    expect([azurite.queueEndpoint, azurite.blobEndpoint]).toEqual([
      expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/),
      expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/),
    ]);
    expect(azurite.queueEndpoint).not.toBe(azurite.blobEndpoint);
  });

  it('queues: a message sent is received once', async () => {
    const queue = new QueueClient(azurite.connectionString, 'round-trip');
    await queue.create();
    await queue.sendMessage('hello');
    const first = await queue.receiveMessages({ visibilityTimeout: 600 });
    const second = await queue.receiveMessages();
    expect([first.receivedMessageItems.map((m) => m.messageText), second.receivedMessageItems.length]).toEqual([['hello'], 0]);
  });

  it('blobs: a write guarded by a stale ETag is refused with 412, as the scan state blob needs', async () => {
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('kv-audit-state');
    await container.create();
    const blob = container.getBlockBlobClient('scan-state.json');
    const { etag } = await blob.upload('{"v":1}', 7);
    await blob.upload('{"v":2}', 7, { conditions: { ifMatch: etag } });
    const stale = await blob.upload('{"v":3}', 7, { conditions: { ifMatch: etag } }).catch((error: { statusCode?: number }) => error.statusCode);
    expect([stale, (await blob.downloadToBuffer()).toString()]).toEqual([412, '{"v":2}']);
  });
});

describe('closing Azurite', () => {
  it('stops the process and removes its folder, and a second close is harmless', async () => {
    const before = azuriteFolders();
    const azurite = await startAzurite();
    const during = azuriteFolders().length - before.length;
    await azurite.close();
    await azurite.close();
    const refused = await new QueueClient(azurite.connectionString, 'gone', { retryOptions: { maxTries: 1 } })
      .exists()
      .then(() => 'answered')
      .catch((error: { code?: string }) => error.code);
    expect([during, azuriteFolders().length - before.length, refused]).toEqual([1, 0, 'ECONNREFUSED']);
  });
});
