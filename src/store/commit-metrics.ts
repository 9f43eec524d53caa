/**
 * Prometheus figures for the group committer: how many transactions, how many
 * durable writes they carried, and how long the event loop spent inside them
 * (the commit runs on the main thread, so this is time nothing else ran).
 */
import { Counter, type Registry } from 'prom-client';

export function storeCommitMetrics(registry: Registry): (batchSize: number, ms: number) => void {
  const commits = new Counter({ name: 'telenode_store_commits_total', help: 'Group-commit transactions', registers: [registry] });
  const writes = new Counter({ name: 'telenode_store_commit_operations_total', help: 'Operations carried by group commits', registers: [registry] });
  const seconds = new Counter({ name: 'telenode_store_commit_seconds_total', help: 'Time spent running group commits (main thread)', registers: [registry] });
  return (batchSize, ms) => {
    commits.inc();
    writes.inc(batchSize);
    seconds.inc(ms / 1000);
  };
}
