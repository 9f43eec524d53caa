/**
 * How long a follow-up write in a message's life — the carrier's answer to a
 * submit, a receipt — may wait for another commit to share (the group
 * committer's `defer`, docs/decisions/0108-follow-up-writes-share-commits.md).
 *
 * Nobody is answered until the write is on disk, as before; only the commit
 * may come a little later. At a steady few hundred messages a second each
 * accepted message is a commit of its own, and its submit result and receipt
 * were up to two more (2.2 commits and fsyncs a message measured at 500 msg/s),
 * the largest share of the daemon's CPU after the SQL itself. Deferred, they
 * ride with the next accept's commit. Flat out, batches were shared anyway;
 * with no other traffic, a lone message's callback comes at most twice this
 * much later.
 */
export const FOLLOW_UP_COMMIT_DELAY_MS = 10;
