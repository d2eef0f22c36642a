/** Publishing to the priority, dead-letter and event topics; PUBSUB_EMULATOR_HOST selects the emulator. */
import { PubSub, type Topic } from '@google-cloud/pubsub';
import type { OcrMessage, Priority } from '../core/task.ts';
import { CALLBACK_DEAD_LETTER_TOPIC, DEAD_LETTER_TOPIC, EVENTS_TOPIC, PRIORITY_TOPICS } from '../names.ts';

export function createPubSub(projectId: string): PubSub {
  return new PubSub({ projectId });
}

export interface TaskEvent {
  v: 1;
  type: 'task.completed' | 'task.failed';
  taskId: string;
  userHash: string;
  status: string;
  error?: { code: string; message: string } | null;
  at: string;
}

export class Queue {
  private readonly topics = new Map<string, Topic>();
  private readonly pubsub: PubSub;

  constructor(pubsub: PubSub) {
    this.pubsub = pubsub;
  }

  private topic(name: string): Topic {
    let topic = this.topics.get(name);
    if (!topic) {
      // No batching delay: a task should start as soon as it is published.
      topic = this.pubsub.topic(name, { batching: { maxMessages: 1, maxMilliseconds: 0 } });
      this.topics.set(name, topic);
    }
    return topic;
  }

  publishTask(message: OcrMessage): Promise<string> {
    return this.topic(PRIORITY_TOPICS[message.priority]).publishMessage({
      json: message,
      attributes: { taskId: message.taskId, priority: message.priority, v: String(message.v), ...(message.userHash ? { userHash: message.userHash } : {}) },
    });
  }

  /** What the worker gave up on, with the reason, for an operator to inspect or requeue. */
  publishDeadLetter(message: OcrMessage, reason: { code: string; message: string }): Promise<string> {
    return this.topic(DEAD_LETTER_TOPIC).publishMessage({
      json: message,
      attributes: { taskId: message.taskId, errorCode: reason.code, reason: reason.message.slice(0, 1000) },
    });
  }

  publishEvent(event: TaskEvent): Promise<string> {
    return this.topic(EVENTS_TOPIC).publishMessage({ json: event, attributes: { type: event.type, taskId: event.taskId } });
  }

  /** A callback given up on, with its event, for an operator to inspect. */
  publishCallbackDeadLetter(event: TaskEvent, reason: string): Promise<string> {
    return this.topic(CALLBACK_DEAD_LETTER_TOPIC).publishMessage({ json: event, attributes: { taskId: event.taskId, reason: reason.slice(0, 1000) } });
  }

  topicFor(priority: Priority): string {
    return PRIORITY_TOPICS[priority];
  }

  async close(): Promise<void> {
    await Promise.all([...this.topics.values()].map((t) => t.flush().catch(() => undefined)));
  }
}
