export { webhookConfigSchema, type WebhookConfig } from './config.js';
export { WebhookDispatcher, type WebhookDispatcherDeps } from './webhook-dispatcher.js';
export type { CallbackOutbox, WebhookRequest, WebhookRow, WebhookState, WebhookStore } from './webhook.js';
