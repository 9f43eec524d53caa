/**
 * The live channel (server-sent events from /admin/api/live): the overview as it changes, and the status steps
 * of the message the page shows. One EventSource for the page; it reconnects by itself (the server says
 * `retry: 2000`) after a restart or a network blip.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Overview } from './types.js';

export interface MessageStep {
  id: string;
  status: string;
  at: number;
}

export interface Live {
  overview: Overview | null;
  step: MessageStep | null;
  connected: boolean;
  /** Counts the channel's openings: a page that read the store before the channel was open reads it again, since a
   * step committed between its read and the server taking the channel was sent to nobody. */
  opened: number;
}

export function useLive(watch: string | null): Live {
  const [overview, setOverview] = useState<Overview | null>(null);
  const [step, setStep] = useState<MessageStep | null>(null);
  const [connected, setConnected] = useState(false);
  const [opened, setOpened] = useState(0);
  useEffect(() => {
    const source = new EventSource(`/admin/api/live${watch ? `?message=${encodeURIComponent(watch)}` : ''}`);
    source.addEventListener('overview', (event) => setOverview(JSON.parse((event as MessageEvent<string>).data) as Overview));
    source.addEventListener('message', (event) => setStep(JSON.parse((event as MessageEvent<string>).data) as MessageStep));
    source.onopen = () => {
      setConnected(true);
      setOpened((n) => n + 1);
    };
    source.onerror = () => setConnected(false);
    return () => source.close();
  }, [watch]);
  return { overview, step, connected, opened };
}
