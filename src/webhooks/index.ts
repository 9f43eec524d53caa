export { webhookConfigSchema, type WebhookConfig } from './config.js';
export { WebhookDispatcher, enqueueWebhook, type WebhookDispatcherDeps, type WebhookRequest } from './webhook-dispatcher.js';
export { listDeadLetters, replayDeadLetters } from './dead-letters.js';
export type { WebhookRow, WebhookState } from './webhook-store.js';
