/** What a webhook is sent: the body in its format, and its signature. */
import { createHmac } from 'node:crypto';
import type { NotificationBody } from '../core/notifications.js';
import type { WebhookFormat } from '../core/notify.js';

/**
 * `raw`: the notification as it is (README "Notifications"); `slack` and `discord`: the body their
 * incoming webhooks take (`{text}`, `{content}`), holding the notification's line.
 */
export function webhookBody(format: WebhookFormat, body: NotificationBody): string {
  switch (format) {
    case 'raw':
      return JSON.stringify(body);
    case 'slack':
      return JSON.stringify({ text: `holdfast: ${body.text}` });
    case 'discord':
      // Discord refuses content over 2000 characters.
      return JSON.stringify({ content: `holdfast: ${body.text}`.slice(0, 2000) });
  }
}

/** `X-Holdfast-Signature`'s value: HMAC-SHA256 of exactly the bytes sent, hex. */
export function signature(secret: string, payload: string): string {
  return `sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`;
}
