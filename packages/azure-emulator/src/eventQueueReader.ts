import type { QueueClient } from '@azure/storage-queue';

/*
 * The kv-audit-events queue read as the Functions host's queue trigger reads it (Learn: "Azure Queue storage trigger
 * for Azure Functions", polling algorithm and host.json settings), for `kv-audit demo --watch`, which has no host:
 * receive a batch with a visibility timeout; delete a message once handled; after a failure make it visible again
 * after the timeout; past maxDequeueCount move it to `<queue>-poison`. The product has no Storage queue SDK (the host
 * reads the queue for it), so this lives with the emulator.
 */

export interface QueuedMessage {
  readonly messageId: string;
  readonly popReceipt: string;
  /** 1 on the first delivery. */
  readonly dequeueCount: number;
  /** The body, Base64-decoded as the trigger's `messageEncoding: base64` does. */
  readonly text: string;
}

export interface EventQueueReader {
  readonly queueName: string;
  /** Up to `max` visible messages, hidden from other readers for `visibilityTimeoutSeconds`. */
  receive(max: number, visibilityTimeoutSeconds: number): Promise<QueuedMessage[]>;
  /** The message was handled. */
  remove(message: QueuedMessage): Promise<void>;
  /** The message failed: visible again after `visibilityTimeoutSeconds`. */
  retryLater(message: QueuedMessage, visibilityTimeoutSeconds: number): Promise<void>;
  /** The message failed too often: moved to the poison queue. */
  poison(message: QueuedMessage): Promise<void>;
  /** Messages in the queue, visible or not (Azure's approximate count). */
  count(): Promise<number>;
}

export async function connectEventQueue(connectionString: string, queueName = 'kv-audit-events'): Promise<EventQueueReader> {
  const { QueueClient } = await import('@azure/storage-queue');
  const queue: QueueClient = new QueueClient(connectionString, queueName);
  await queue.createIfNotExists();
  const poisonQueue = new QueueClient(connectionString, `${queueName}-poison`);
  return {
    queueName,
    receive: async (max, visibilityTimeoutSeconds) => {
      const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: max, visibilityTimeout: visibilityTimeoutSeconds });
      return receivedMessageItems.map((item) => ({
        messageId: item.messageId,
        popReceipt: item.popReceipt,
        dequeueCount: item.dequeueCount,
        text: Buffer.from(item.messageText, 'base64').toString('utf8'),
      }));
    },
    remove: async (message) => {
      await queue.deleteMessage(message.messageId, message.popReceipt);
    },
    retryLater: async (message, visibilityTimeoutSeconds) => {
      await queue.updateMessage(message.messageId, message.popReceipt, undefined, visibilityTimeoutSeconds);
    },
    poison: async (message) => {
      await poisonQueue.createIfNotExists();
      await poisonQueue.sendMessage(Buffer.from(message.text, 'utf8').toString('base64'));
      await queue.deleteMessage(message.messageId, message.popReceipt);
    },
    count: async () => (await queue.getProperties()).approximateMessagesCount ?? 0,
  };
}
