/**
 * The PostgreSQL schema: the same tables and columns as SQLite's migrations
 * 1–10 (src/store/sqlite/migrations.ts), so one set of repos serves both.
 * Differences, all invisible to the repos: epoch-millisecond columns are
 * BIGINT (read back as numbers, see pool.ts), autoincrement ids are identity
 * columns, BLOB is BYTEA, the numeric message ids come from a trigger
 * function, and contacts keep their creation order in `seq` (SQLite's rowid).
 * Numbered on their own: never edit a released migration, add one.
 */
import type { Migration } from '../sqlite/migrations.js';

export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE messages (
        id                 TEXT PRIMARY KEY,
        "user"             TEXT NOT NULL,
        dialect            TEXT NOT NULL,
        sender             TEXT NOT NULL,
        recipient          TEXT NOT NULL,
        text               TEXT NOT NULL,
        status             TEXT NOT NULL,
        parts_estimate     INTEGER NOT NULL,
        encoding           TEXT NOT NULL,
        concat_ref         INTEGER NOT NULL,
        callback_url       TEXT,
        meta               TEXT NOT NULL DEFAULT '{}',
        connector_id       TEXT,
        attempts           INTEGER NOT NULL DEFAULT 0,
        next_attempt_at    BIGINT NOT NULL DEFAULT 0,
        error_code         TEXT,
        error_text         TEXT,
        carrier_status     TEXT,
        carrier_error      TEXT,
        created_at         BIGINT NOT NULL,
        updated_at         BIGINT NOT NULL,
        submitted_at       BIGINT,
        done_at            BIGINT,
        expires_at         BIGINT,
        possible_duplicate INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX messages_pending ON messages (status, next_attempt_at) WHERE status = 'accepted';
      CREATE INDEX messages_created ON messages (created_at);
      CREATE INDEX messages_user ON messages ("user", created_at);
      CREATE INDEX messages_expiring ON messages (expires_at)
        WHERE expires_at IS NOT NULL AND status IN ('accepted', 'submitted', 'buffered');
      CREATE INDEX messages_awaiting_report ON messages (connector_id, submitted_at) WHERE status IN ('submitted', 'buffered');

      CREATE TABLE message_parts (
        message_id      TEXT NOT NULL REFERENCES messages (id),
        part_no         INTEGER NOT NULL,
        parts_total     INTEGER NOT NULL,
        connector_id    TEXT NOT NULL,
        carrier_id      TEXT,
        carrier_id_norm TEXT,
        status          TEXT NOT NULL,
        carrier_status  TEXT,
        carrier_error   TEXT,
        submitted_at    BIGINT,
        done_at         BIGINT,
        PRIMARY KEY (message_id, part_no)
      );
      CREATE INDEX message_parts_carrier ON message_parts (connector_id, carrier_id_norm);

      CREATE TABLE unmatched_receipts (
        id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        connector_id    TEXT NOT NULL,
        carrier_id      TEXT NOT NULL,
        event           TEXT NOT NULL,
        received_at     BIGINT NOT NULL
      );
      CREATE INDEX unmatched_receipts_carrier ON unmatched_receipts (connector_id, carrier_id);

      CREATE TABLE inbound_messages (
        id              TEXT PRIMARY KEY,
        connector_id    TEXT NOT NULL,
        sender          TEXT NOT NULL,
        recipient       TEXT NOT NULL,
        text            TEXT NOT NULL,
        parts_total     INTEGER NOT NULL,
        complete        INTEGER NOT NULL,
        received_at     BIGINT NOT NULL
      );
      CREATE INDEX inbound_messages_received ON inbound_messages (received_at);
      CREATE INDEX inbound_messages_recipient ON inbound_messages (recipient, received_at);

      CREATE TABLE inbound_fragments (
        connector_id    TEXT NOT NULL,
        sender          TEXT NOT NULL,
        recipient       TEXT NOT NULL,
        reference       INTEGER NOT NULL,
        total           INTEGER NOT NULL,
        seq             INTEGER NOT NULL,
        data_coding     INTEGER NOT NULL,
        payload         BYTEA NOT NULL,
        received_at     BIGINT NOT NULL,
        PRIMARY KEY (connector_id, sender, recipient, reference, total, seq)
      );

      CREATE TABLE inbound_completed_groups (
        connector_id    TEXT NOT NULL,
        sender          TEXT NOT NULL,
        recipient       TEXT NOT NULL,
        reference       INTEGER NOT NULL,
        total           INTEGER NOT NULL,
        completed_at    BIGINT NOT NULL,
        PRIMARY KEY (connector_id, sender, recipient, reference, total)
      );
      CREATE INDEX inbound_completed_groups_age ON inbound_completed_groups (completed_at);

      CREATE TABLE webhooks (
        id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        order_key       TEXT NOT NULL,
        kind            TEXT NOT NULL,
        url             TEXT NOT NULL,
        method          TEXT NOT NULL DEFAULT 'POST',
        content_type    TEXT NOT NULL,
        headers         TEXT NOT NULL DEFAULT '{}',
        body            TEXT NOT NULL,
        state           TEXT NOT NULL DEFAULT 'pending',
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL,
        created_at      BIGINT NOT NULL,
        delivered_at    BIGINT,
        last_status     INTEGER,
        last_error      TEXT,
        owner           TEXT
      );
      CREATE INDEX webhooks_pending ON webhooks (order_key, id) WHERE state = 'pending';
      CREATE INDEX webhooks_state ON webhooks (state, id);

      -- One numeric id per message, outbound and inbound, from one sequence (see SQLite migration 2).
      CREATE TABLE message_seq (
        seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        direction       TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        message_id      TEXT NOT NULL,
        UNIQUE (direction, message_id)
      );
      CREATE FUNCTION telenode_message_seq() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        INSERT INTO message_seq (direction, message_id) VALUES (TG_ARGV[0], NEW.id);
        RETURN NULL;
      END
      $fn$;
      CREATE TRIGGER messages_seq AFTER INSERT ON messages FOR EACH ROW EXECUTE FUNCTION telenode_message_seq('out');
      CREATE TRIGGER inbound_messages_seq AFTER INSERT ON inbound_messages FOR EACH ROW EXECUTE FUNCTION telenode_message_seq('in');

      CREATE TABLE number_settings (
        number          TEXT PRIMARY KEY,
        sms_enabled     INTEGER NOT NULL,
        updated_by      TEXT NOT NULL,
        updated_at      BIGINT NOT NULL
      );

      CREATE TABLE quota_usage (
        "user"          TEXT NOT NULL,
        period          TEXT NOT NULL,
        parts           INTEGER NOT NULL,
        PRIMARY KEY ("user", period)
      );

      CREATE TABLE contacts (
        id               TEXT PRIMARY KEY,
        seq              BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
        display_name     TEXT NOT NULL,
        phone_numbers    TEXT NOT NULL DEFAULT '[]',
        primary_emails   TEXT NOT NULL DEFAULT '[]',
        secondary_emails TEXT NOT NULL DEFAULT '[]',
        created_at       BIGINT NOT NULL,
        updated_at       BIGINT NOT NULL
      );
      CREATE INDEX contacts_name ON contacts (lower(display_name));

      CREATE TABLE sms_failovers (
        message_id      TEXT PRIMARY KEY REFERENCES messages (id),
        link_id         TEXT NOT NULL,
        origin          TEXT NOT NULL,
        destination     TEXT NOT NULL,
        content         TEXT NOT NULL,
        sms_status      TEXT NOT NULL,
        state           TEXT NOT NULL DEFAULT 'pending',
        created_at      BIGINT NOT NULL,
        updated_at      BIGINT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL DEFAULT 0,
        last_error      TEXT
      );
      CREATE INDEX sms_failovers_due ON sms_failovers (next_attempt_at) WHERE state = 'pending';

      CREATE TABLE emails (
        id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind            TEXT NOT NULL,
        recipients      TEXT NOT NULL,
        sender          TEXT NOT NULL,
        subject         TEXT NOT NULL,
        text            TEXT NOT NULL,
        html            TEXT,
        state           TEXT NOT NULL DEFAULT 'pending',
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL,
        created_at      BIGINT NOT NULL,
        sent_at         BIGINT,
        last_error      TEXT
      );
      CREATE INDEX emails_pending ON emails (next_attempt_at) WHERE state = 'pending';

      CREATE TABLE call_history (
        call_id         TEXT PRIMARY KEY,
        direction       TEXT NOT NULL,
        source          TEXT NOT NULL,
        caller_id       TEXT NOT NULL,
        destination     TEXT NOT NULL,
        dialed          TEXT NOT NULL,
        state           TEXT NOT NULL,
        end_reason      TEXT NOT NULL,
        start_time      BIGINT NOT NULL,
        answered_at     BIGINT,
        ended_at        BIGINT NOT NULL
      );
      CREATE INDEX call_history_start ON call_history (start_time);

      CREATE TABLE smpp_submit_parts (
        system_id           TEXT NOT NULL,
        sender              TEXT NOT NULL,
        recipient           TEXT NOT NULL,
        reference           INTEGER NOT NULL,
        total               INTEGER NOT NULL,
        seq                 INTEGER NOT NULL,
        part_id             TEXT NOT NULL,
        data_coding         INTEGER NOT NULL,
        payload             BYTEA NOT NULL,
        registered_delivery INTEGER NOT NULL,
        received_at         BIGINT NOT NULL,
        PRIMARY KEY (system_id, sender, recipient, reference, total, seq)
      );
      CREATE INDEX smpp_submit_parts_age ON smpp_submit_parts (received_at);
      CREATE TABLE smpp_deliveries (
        id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        system_id       TEXT NOT NULL,
        order_key       TEXT NOT NULL,
        kind            TEXT NOT NULL,
        fields          TEXT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL,
        created_at      BIGINT NOT NULL
      );
      CREATE INDEX smpp_deliveries_client ON smpp_deliveries (system_id, id);
    `,
  },
  {
    // Several nodes on one database (issue 17, decision 0105): nodes heartbeat; an unfinished message and a
    // pending callback belong to the node in claimed_by while that node is alive, and to whoever claims them after.
    version: 2,
    sql: `
      CREATE TABLE cluster_nodes (
        id              TEXT PRIMARY KEY,
        started_at      BIGINT NOT NULL,
        heartbeat_at    BIGINT NOT NULL,
        http            TEXT
      );
      ALTER TABLE messages ADD COLUMN claimed_by TEXT;
      CREATE INDEX messages_claimable ON messages (next_attempt_at) WHERE status = 'accepted';
      ALTER TABLE webhooks ADD COLUMN claimed_by TEXT;
      CREATE INDEX webhooks_claimed ON webhooks (claimed_by, id) WHERE state = 'pending';
    `,
  },
  {
    // A carrier's binds are the cluster's (issue 17, decision 0105): slot n of a connector is bind n, held by one
    // live node at a time.
    version: 3,
    sql: `
      CREATE TABLE bind_slots (
        connector_id    TEXT NOT NULL,
        slot            INTEGER NOT NULL,
        node_id         TEXT,
        PRIMARY KEY (connector_id, slot)
      );
      -- The node placing an SMS-to-voice failover call (state 'calling'): a restarting node recovers only its own.
      ALTER TABLE sms_failovers ADD COLUMN claimed_by TEXT;
    `,
  },
  {
    // The operator console (issue 21): the same history columns and index as SQLite's migration 12.
    version: 4,
    sql: `
      ALTER TABLE messages ADD COLUMN events TEXT NOT NULL DEFAULT '';
      ALTER TABLE webhooks ADD COLUMN attempt_log TEXT NOT NULL DEFAULT '';
      CREATE INDEX webhooks_order_key ON webhooks (order_key);
    `,
  },
  {
    // Ozeki's ReceiveMessage (issue 19): the same table as SQLite's migration 13.
    version: 5,
    sql: `
      CREATE TABLE inbox_downloads (
        "user"          TEXT NOT NULL,
        message_id      TEXT NOT NULL REFERENCES inbound_messages (id) ON DELETE CASCADE,
        state           TEXT NOT NULL,
        at              BIGINT NOT NULL,
        PRIMARY KEY ("user", message_id)
      );
      CREATE INDEX inbox_downloads_message ON inbox_downloads (message_id);
    `,
  },
  {
    // Issue 19: IOVOX call flows uploaded over the API (createCallFlow …), one name per user.
    version: 6,
    sql: `
      CREATE TABLE call_flows (
        "user"          TEXT NOT NULL,
        name            TEXT NOT NULL,
        notes           TEXT NOT NULL,
        xml             TEXT NOT NULL,
        created_at      BIGINT NOT NULL,
        updated_at      BIGINT NOT NULL,
        PRIMARY KEY ("user", name)
      );
    `,
  },
  {
    // Issue 17: which connectors each node has up, written with its heartbeat, so a node hands a message to the
    // node whose connector the route prefers instead of using its own less preferred one.
    version: 7,
    sql: `ALTER TABLE cluster_nodes ADD COLUMN connectors_up TEXT NOT NULL DEFAULT '';`,
  },
  {
    // Issue 18: a message row's version, raised by every status write (SQLite migration 15, decision 0111).
    version: 8,
    sql: `ALTER TABLE messages ADD COLUMN version INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    // Issue 18: callbacks indexed by state only where they are dead letters (SQLite migration 16).
    version: 9,
    sql: `
      DROP INDEX webhooks_state;
      CREATE INDEX webhooks_dead ON webhooks (id) WHERE state = 'dead';
    `,
  },
  {
    // A row per group-commit transaction, so that a batch whose connection broke after its COMMIT went out can
    // learn whether it committed (decision 0124). Pruned by the committer after an hour.
    version: 10,
    sql: `CREATE TABLE commit_markers (id TEXT PRIMARY KEY, at BIGINT NOT NULL);`,
  },
  {
    // A node below its share of a connector's binds asks a node above it for one; the holder hands the bind over
    // once its window is empty (decision 0137).
    version: 11,
    sql: `ALTER TABLE bind_slots ADD COLUMN wanted_by TEXT;`,
  },
  {
    // Scheduled sending: a message's send time (SQLite migration 17, decision 0144).
    version: 12,
    sql: `
      ALTER TABLE messages ADD COLUMN send_at BIGINT;
      CREATE INDEX messages_scheduled ON messages (send_at, id) WHERE status = 'accepted' AND send_at IS NOT NULL;
    `,
  },
];
